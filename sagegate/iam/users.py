"""IAM users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, TagUser, UntagUser,
ListUserTags, PutUserPermissionsBoundary, DeleteUserPermissionsBoundary (IAM API Reference).

Condition keys follow the Service Authorization Reference (*Actions defined by AWS Identity and
Access Management*): `aws:RequestTag/K` and `aws:TagKeys` on calls that tag,
`iam:PermissionsBoundary` on calls that set a boundary (the requested one) or that change a
bounded user's policies (the user's current one), and `iam:ResourceTag/K` with `aws:ResourceTag/K`
of the target user on every call about an existing user."""

from __future__ import annotations

from typing import Any

from sagegate.iam.arns import (
    lookup_user,
    root_arn,
    target_user_arn,
    user_arn,
    users_under_prefix,
)
from sagegate.iam.errors import no_such_entity, store_errors
from sagegate.iam.tags import tag_pairs, untag_keys
from sagegate.protocol.registry import Call, registry


def user_shape(user: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.user_id,
        "Arn": user.arn,
        "CreateDate": user.created_at,
    }
    if user.permissions_boundary_arn:
        out["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": user.permissions_boundary_arn,
        }
    if user.tags:
        out["Tags"] = [{"Key": k, "Value": v} for k, v in user.tags]
    return out


def request_tag_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """`aws:RequestTag/K` and `aws:TagKeys` for calls that tag, `iam:PermissionsBoundary` for calls
    that set one."""
    ctx: dict[str, Any] = {}
    tags = params.get("Tags") or []
    for tag in tags:
        ctx[f"aws:RequestTag/{tag['Key']}"] = tag["Value"]
    if tags:
        ctx["aws:TagKeys"] = tuple(t["Key"] for t in tags)
    if params.get("PermissionsBoundary"):
        ctx["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
    return ctx


def resource_tag_keys(tags: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {}
    for key, value in tags:
        ctx[f"iam:ResourceTag/{key}"] = value
        ctx[f"aws:ResourceTag/{key}"] = value
    return ctx


def target_user(call: Call, params: dict[str, Any]) -> Any:
    """The existing user a call is about (`UserName`, else the calling user), or None."""
    name = params.get("UserName") or call.caller.username
    if name is None:
        return None
    return lookup_user(call, name)


def user_context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """Request tag keys, a requested boundary, and the target user's resource tags."""
    ctx = request_tag_keys(call, params)
    user = target_user(call, params)
    if user is not None:
        ctx.update(resource_tag_keys(user.tags))
    return ctx


def bounded_user_context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """`user_context` plus `iam:PermissionsBoundary`: the requested boundary, else the target
    user's current one (Put/Delete/Attach/DetachUserPolicy, DeleteUserPermissionsBoundary)."""
    ctx = request_tag_keys(call, params)
    user = target_user(call, params)
    if user is not None:
        ctx.update(resource_tag_keys(user.tags))
        if "iam:PermissionsBoundary" not in ctx and user.permissions_boundary_arn:
            ctx["iam:PermissionsBoundary"] = user.permissions_boundary_arn
    return ctx


def paged(items: list[Any], marker: str | None, key: str) -> dict[str, Any]:
    out: dict[str, Any] = {key: items, "IsTruncated": marker is not None}
    if marker is not None:
        out["Marker"] = marker
    return out


def new_user_arn(call: Call, params: dict[str, Any]) -> list[str]:
    """The user CreateUser would make, with the path it asks for (no lookup: if a user of that
    name exists the call fails anyway, after authorization, as AWS answers)."""
    return [user_arn(call.caller.account_id, params["UserName"], params.get("Path", "/"))]


@registry.operation("iam", "CreateUser", resources=new_user_arn, context=request_tag_keys)
def create_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    tags = tag_pairs(params)
    with store_errors():
        user = call.store.create_user(
            call.caller.account_id,
            params["UserName"],
            path=params.get("Path", "/"),
            permissions_boundary_arn=params.get("PermissionsBoundary"),
            tags=tags,
        )
    return {"User": user_shape(user)}


@registry.operation("iam", "GetUser", resources=target_user_arn, context=user_context)
def get_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("UserName") or call.caller.username
    if name is None:
        # The root user asking about itself: AWS answers with the account's root identity.
        account = call.store.get_account(call.caller.account_id)
        return {
            "User": {
                "Path": "/",
                "UserName": "",
                "UserId": call.caller.account_id,
                "Arn": root_arn(call.caller.account_id),
                "CreateDate": account.created_at,
            }
        }
    user = lookup_user(call, name)
    if user is None:
        raise no_such_entity(f"The user with name {name} cannot be found.")
    return {"User": user_shape(user)}


@registry.operation("iam", "ListUsers", resources=users_under_prefix)
def list_users(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    page = call.store.list_users(
        call.caller.account_id,
        path_prefix=params.get("PathPrefix", "/"),
        marker=params.get("Marker"),
        max_items=params.get("MaxItems", 100),
    )
    return paged([user_shape(u) for u in page.items], page.marker, "Users")


@registry.operation("iam", "DeleteUser", resources=target_user_arn, context=user_context)
def delete_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_user(call.caller.account_id, params["UserName"])
    return {}


def _old_and_new_user_arn(call: Call, params: dict[str, Any]) -> list[str]:
    """UpdateUser needs permission on the user under its old name and path and its new ones
    (IAM API Reference, UpdateUser: "on both the source object and the target object")."""
    (old,) = target_user_arn(call, params)
    user = target_user(call, params)
    path = params.get("NewPath") or (user.path if user is not None else "/")
    name = params.get("NewUserName") or params["UserName"]
    new = user_arn(call.caller.account_id, name, path)
    return [old] if new == old else [old, new]


@registry.operation("iam", "UpdateUser", resources=_old_and_new_user_arn, context=user_context)
def update_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.update_user(
            call.caller.account_id,
            params["UserName"],
            new_name=params.get("NewUserName"),
            new_path=params.get("NewPath"),
        )
    return {}


@registry.operation("iam", "TagUser", resources=target_user_arn, context=user_context)
def tag_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    tags = tag_pairs(params)
    with store_errors():
        call.store.tag_user(call.caller.account_id, params["UserName"], tags)
    return {}


def _tag_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ctx = user_context(call, params)
    ctx["aws:TagKeys"] = tuple(params["TagKeys"])
    return ctx


@registry.operation("iam", "UntagUser", resources=target_user_arn, context=_tag_keys)
def untag_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.untag_user(call.caller.account_id, params["UserName"], untag_keys(params))
    return {}


@registry.operation("iam", "ListUserTags", resources=target_user_arn, context=user_context)
def list_user_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_user_tags(
            call.caller.account_id,
            params["UserName"],
            marker=params.get("Marker"),
            max_items=params.get("MaxItems", 100),
        )
    return paged([{"Key": k, "Value": v} for k, v in page.items], page.marker, "Tags")


@registry.operation(
    "iam", "PutUserPermissionsBoundary", resources=target_user_arn, context=bounded_user_context
)
def put_user_permissions_boundary(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.put_user_permissions_boundary(
            call.caller.account_id, params["UserName"], params["PermissionsBoundary"]
        )
    return {}


@registry.operation(
    "iam", "DeleteUserPermissionsBoundary", resources=target_user_arn, context=bounded_user_context
)
def delete_user_permissions_boundary(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_user_permissions_boundary(call.caller.account_id, params["UserName"])
    return {}
