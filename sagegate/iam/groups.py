"""IAM groups (IAM API Reference): CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup,
AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser; inline group policies
(Put/Get/List/DeleteGroupPolicy, 5,120 characters together without white space, *IAM and AWS STS
quotas*) and attached ones (Attach/Detach/ListAttachedGroupPolicies, with `iam:PolicyARN`).

Resources follow the Service Authorization Reference: the group's ARN
``arn:aws:iam::ACCOUNT:group{path}{name}`` (with its real path once it exists), the user's for
ListGroupsForUser, and the path prefix for ListGroups. A group's policies apply to its members
(see `Store.principal_policies_for_user`).
"""

from __future__ import annotations

from typing import Any

from sagegate.iam.arns import target_user_arn
from sagegate.iam.errors import store_errors
from sagegate.iam.user_policies import validated_identity_policy
from sagegate.iam.users import paged, user_context, user_shape
from sagegate.policy.limits import GROUP_INLINE_AGGREGATE_MAX, size_without_whitespace
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, registry
from sagegate.store import NotFound


def group_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:group{path}{name}"


def target_group_arn(call: Call, params: dict[str, Any]) -> list[str]:
    """The group a call acts on, with its path when it exists (or the requested `Path`)."""
    account, name = call.caller.account_id, params["GroupName"]
    path = params.get("Path")
    if path is None:
        try:
            path = call.store.get_group(account, name).path
        except NotFound:
            path = "/"
    return [group_arn(account, name, path)]


def groups_under_prefix(call: Call, params: dict[str, Any]) -> list[str]:
    return [group_arn(call.caller.account_id, "", params.get("PathPrefix", "/"))]


def group_shape(group: Any) -> dict[str, Any]:
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.group_id,
        "Arn": group.arn,
        "CreateDate": group.created_at,
    }


def _page_args(params: dict[str, Any]) -> dict[str, Any]:
    return {"marker": params.get("Marker"), "max_items": params.get("MaxItems", 100)}


# -- groups ------------------------------------------------------------------------------------


@registry.operation("iam", "CreateGroup", resources=target_group_arn)
def create_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        group = call.store.create_group(
            call.caller.account_id, params["GroupName"], params.get("Path", "/")
        )
    return {"Group": group_shape(group)}


@registry.operation("iam", "GetGroup", resources=target_group_arn)
def get_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        group, users = call.store.get_group_users(
            call.caller.account_id, params["GroupName"], **_page_args(params)
        )
    out = paged([user_shape(u) for u in users.items], users.marker, "Users")
    out["Group"] = group_shape(group)
    return out


@registry.operation("iam", "ListGroups", resources=groups_under_prefix)
def list_groups(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    page = call.store.list_groups(
        call.caller.account_id, path_prefix=params.get("PathPrefix", "/"), **_page_args(params)
    )
    return paged([group_shape(g) for g in page.items], page.marker, "Groups")


def _old_and_new_group_arn(call: Call, params: dict[str, Any]) -> list[str]:
    """UpdateGroup needs permission on the group under its old and its new name and path (IAM
    API Reference, UpdateGroup)."""
    account, name = call.caller.account_id, params["GroupName"]
    try:
        path = call.store.get_group(account, name).path
    except NotFound:
        path = "/"
    old = group_arn(account, name, path)
    new = group_arn(account, params.get("NewGroupName") or name, params.get("NewPath") or path)
    return [old] if new == old else [old, new]


@registry.operation("iam", "UpdateGroup", resources=_old_and_new_group_arn)
def update_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.update_group(
            call.caller.account_id,
            params["GroupName"],
            new_name=params.get("NewGroupName"),
            new_path=params.get("NewPath"),
        )
    return {}


@registry.operation("iam", "DeleteGroup", resources=target_group_arn)
def delete_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_group(call.caller.account_id, params["GroupName"])
    return {}


# -- membership --------------------------------------------------------------------------------


@registry.operation("iam", "AddUserToGroup", resources=target_group_arn)
def add_user_to_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.add_user_to_group(
            call.caller.account_id, params["GroupName"], params["UserName"]
        )
    return {}


@registry.operation("iam", "RemoveUserFromGroup", resources=target_group_arn)
def remove_user_from_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.remove_user_from_group(
            call.caller.account_id, params["GroupName"], params["UserName"]
        )
    return {}


@registry.operation("iam", "ListGroupsForUser", resources=target_user_arn, context=user_context)
def list_groups_for_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_groups_for_user(
            call.caller.account_id, params["UserName"], **_page_args(params)
        )
    return paged([group_shape(g) for g in page.items], page.marker, "Groups")


# -- inline group policies ---------------------------------------------------------------------


@registry.operation("iam", "PutGroupPolicy", resources=target_group_arn)
def put_group_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    group, policy_name = params["GroupName"], params["PolicyName"]
    document = params["PolicyDocument"]
    with store_errors():
        others = [
            doc
            for name, doc in call.store.group_inline_policies(call.caller.account_id, group)
            if name.lower() != policy_name.lower()
        ]
        total = sum(size_without_whitespace(d) for d in [*others, document])
        if total > GROUP_INLINE_AGGREGATE_MAX:
            raise ServiceError(
                "LimitExceeded",
                f"Maximum policy size of {GROUP_INLINE_AGGREGATE_MAX} bytes exceeded for group "
                f"{group}",
                status=409,
            )
        validated_identity_policy(document)
        call.store.put_group_policy(call.caller.account_id, group, policy_name, document)
    return {}


@registry.operation("iam", "GetGroupPolicy", resources=target_group_arn)
def get_group_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        document = call.store.get_group_policy(
            call.caller.account_id, params["GroupName"], params["PolicyName"]
        )
    return {
        "GroupName": params["GroupName"],
        "PolicyName": params["PolicyName"],
        "PolicyDocument": document,
    }


@registry.operation("iam", "ListGroupPolicies", resources=target_group_arn)
def list_group_policies(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_group_policies(
            call.caller.account_id, params["GroupName"], **_page_args(params)
        )
    return paged(list(page.items), page.marker, "PolicyNames")


@registry.operation("iam", "DeleteGroupPolicy", resources=target_group_arn)
def delete_group_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_group_policy(
            call.caller.account_id, params["GroupName"], params["PolicyName"]
        )
    return {}


# -- attached group policies -------------------------------------------------------------------


def _policy_arn_key(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"iam:PolicyARN": params["PolicyArn"]}


@registry.operation("iam", "AttachGroupPolicy", resources=target_group_arn, context=_policy_arn_key)
def attach_group_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.attach_group_policy(
            call.caller.account_id, params["GroupName"], params["PolicyArn"]
        )
    return {}


@registry.operation("iam", "DetachGroupPolicy", resources=target_group_arn, context=_policy_arn_key)
def detach_group_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.detach_group_policy(
            call.caller.account_id, params["GroupName"], params["PolicyArn"]
        )
    return {}


@registry.operation("iam", "ListAttachedGroupPolicies", resources=target_group_arn)
def list_attached_group_policies(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_attached_group_policies(
            call.caller.account_id,
            params["GroupName"],
            path_prefix=params.get("PathPrefix", "/"),
            **_page_args(params),
        )
    items = [{"PolicyName": name, "PolicyArn": arn} for name, arn in page.items]
    return paged(items, page.marker, "AttachedPolicies")
