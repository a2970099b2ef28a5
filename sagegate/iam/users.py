"""IAM users: CreateUser, GetUser, ListUsers, DeleteUser (IAM API Reference)."""

from __future__ import annotations

from typing import Any

from sagegate.iam.arns import root_arn, target_user_arn, users_under_prefix
from sagegate.iam.errors import store_errors
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


def paged(items: list[Any], marker: str | None, key: str) -> dict[str, Any]:
    out: dict[str, Any] = {key: items, "IsTruncated": marker is not None}
    if marker is not None:
        out["Marker"] = marker
    return out


@registry.operation("iam", "CreateUser", resources=target_user_arn, context=request_tag_keys)
def create_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    tags = tuple((t["Key"], t["Value"]) for t in params.get("Tags") or [])
    with store_errors():
        user = call.store.create_user(
            call.caller.account_id,
            params["UserName"],
            path=params.get("Path", "/"),
            permissions_boundary_arn=params.get("PermissionsBoundary"),
            tags=tags,
        )
    return {"User": user_shape(user)}


@registry.operation("iam", "GetUser", resources=target_user_arn)
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
    with store_errors():
        user = call.store.get_user(call.caller.account_id, name)
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


@registry.operation("iam", "DeleteUser", resources=target_user_arn)
def delete_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_user(call.caller.account_id, params["UserName"])
    return {}
