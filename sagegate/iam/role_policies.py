"""Policies of a role: inline (Put/Get/List/DeleteRolePolicy), managed
(Attach/Detach/ListAttachedRolePolicies) and the permissions boundary
(Put/DeleteRolePermissionsBoundary), from the IAM API Reference.

Quotas (*IAM and AWS STS quotas*): the inline policies of one role together hold at most 10,240
characters without white space; at most 10 managed policies per role (the store's). Condition
keys (Service Authorization Reference): the role's tags, `iam:PolicyARN` on attach and detach,
`iam:PermissionsBoundary` (the role's boundary, or the one being set). A service-linked role's
policies are AWS's: changing them is UnmodifiableEntity.
"""

from __future__ import annotations

from typing import Any

from sagegate.iam.errors import store_errors
from sagegate.iam.roles import (
    bounded_role_keys,
    existing_role_keys,
    find_role,
    modifiable_role,
    role_tag_keys,
    scope_arn_not_found,
    target_role_arn,
)
from sagegate.iam.user_policies import validated_identity_policy
from sagegate.iam.users import paged
from sagegate.policy.limits import ROLE_INLINE_AGGREGATE_MAX, size_without_whitespace
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, registry
from sagegate.store import NotFound

# -- inline policies -------------------------------------------------------------------------


@registry.operation("iam", "PutRolePolicy", resources=target_role_arn, context=bounded_role_keys)
def put_role_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    role = modifiable_role(call, params["RoleName"])
    policy_name, document = params["PolicyName"], params["PolicyDocument"]
    with store_errors():
        others = [
            doc
            for name, doc in call.store.role_inline_policies(call.caller.account_id, role.name)
            if name.lower() != policy_name.lower()
        ]
        total = sum(size_without_whitespace(d) for d in [*others, document])
        if total > ROLE_INLINE_AGGREGATE_MAX:
            raise ServiceError(
                "LimitExceeded",
                f"Maximum policy size of {ROLE_INLINE_AGGREGATE_MAX} bytes exceeded for role "
                f"{role.name}",
                status=409,
            )
        validated_identity_policy(document)
        call.store.put_role_policy(call.caller.account_id, role.name, policy_name, document)
    return {}


@registry.operation("iam", "GetRolePolicy", resources=target_role_arn, context=existing_role_keys)
def get_role_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        name, document = call.store.get_role_policy(
            call.caller.account_id, params["RoleName"], params["PolicyName"]
        )
        role = call.store.get_role(call.caller.account_id, params["RoleName"])
    return {"RoleName": role.name, "PolicyName": name, "PolicyDocument": document}


@registry.operation(
    "iam", "ListRolePolicies", resources=target_role_arn, context=existing_role_keys
)
def list_role_policies(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_role_policies(
            call.caller.account_id,
            params["RoleName"],
            marker=params.get("Marker"),
            max_items=params.get("MaxItems", 100),
        )
    return paged(list(page.items), page.marker, "PolicyNames")


@registry.operation("iam", "DeleteRolePolicy", resources=target_role_arn, context=bounded_role_keys)
def delete_role_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    role = modifiable_role(call, params["RoleName"])
    with store_errors():
        call.store.delete_role_policy(call.caller.account_id, role.name, params["PolicyName"])
    return {}


# -- managed policies ------------------------------------------------------------------------


def _policy_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {**bounded_role_keys(call, params), "iam:PolicyARN": params["PolicyArn"]}


@registry.operation("iam", "AttachRolePolicy", resources=target_role_arn, context=_policy_keys)
def attach_role_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    role = modifiable_role(call, params["RoleName"])
    with store_errors():
        call.store.attach_role_policy(call.caller.account_id, role.name, params["PolicyArn"])
    return {}


@registry.operation("iam", "DetachRolePolicy", resources=target_role_arn, context=_policy_keys)
def detach_role_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    role = modifiable_role(call, params["RoleName"])
    with store_errors():
        call.store.detach_role_policy(call.caller.account_id, role.name, params["PolicyArn"])
    return {}


@registry.operation(
    "iam", "ListAttachedRolePolicies", resources=target_role_arn, context=existing_role_keys
)
def list_attached_role_policies(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_attached_role_policies(
            call.caller.account_id,
            params["RoleName"],
            path_prefix=params.get("PathPrefix", "/"),
            marker=params.get("Marker"),
            max_items=params.get("MaxItems", 100),
        )
    items = [{"PolicyName": name, "PolicyArn": arn} for name, arn in page.items]
    return paged(items, page.marker, "AttachedPolicies")


# -- permissions boundary --------------------------------------------------------------------


def _new_boundary_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ctx = role_tag_keys(find_role(call, params["RoleName"]))
    ctx["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
    return ctx


@registry.operation(
    "iam", "PutRolePermissionsBoundary", resources=target_role_arn, context=_new_boundary_keys
)
def put_role_permissions_boundary(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    role = modifiable_role(call, params["RoleName"])
    arn = params["PermissionsBoundary"]
    with store_errors():
        try:
            call.store.put_role_permissions_boundary(call.caller.account_id, role.name, arn)
        except NotFound as e:
            if e.entity == "policy":
                raise scope_arn_not_found(arn) from None
            raise
    return {}


@registry.operation(
    "iam", "DeleteRolePermissionsBoundary", resources=target_role_arn, context=bounded_role_keys
)
def delete_role_permissions_boundary(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    role = modifiable_role(call, params["RoleName"])
    with store_errors():
        call.store.delete_role_permissions_boundary(call.caller.account_id, role.name)
    return {}
