"""Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey,
GetAccessKeyLastUsed (IAM API Reference). Without `UserName` a call acts on the caller's own keys,
the root user's included."""

from __future__ import annotations

from typing import Any

from sagegate.iam.arns import target_user_arn
from sagegate.iam.errors import no_such_entity, store_errors
from sagegate.iam.users import paged
from sagegate.protocol.registry import Call, registry


def _user_name(call: Call, params: dict[str, Any]) -> str | None:
    """The user whose keys are meant; None means the root user of the caller's account."""
    name = params.get("UserName")
    if name is not None:
        return str(name)
    return call.caller.username


def _key_shape(key: Any) -> dict[str, Any]:
    out = {"AccessKeyId": key.access_key_id, "Status": key.status, "CreateDate": key.created_at}
    if key.user_name is not None:
        out["UserName"] = key.user_name
    return out


@registry.operation("iam", "CreateAccessKey", resources=target_user_arn)
def create_access_key(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        key, secret = call.store.create_access_key(call.caller.account_id, _user_name(call, params))
    out = _key_shape(key)
    out["SecretAccessKey"] = secret
    out.setdefault("UserName", "")
    return {"AccessKey": out}


@registry.operation("iam", "ListAccessKeys", resources=target_user_arn)
def list_access_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        keys = call.store.list_access_keys(call.caller.account_id, _user_name(call, params))
    return paged([_key_shape(k) for k in keys], None, "AccessKeyMetadata")


@registry.operation("iam", "UpdateAccessKey", resources=target_user_arn)
def update_access_key(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.update_access_key(
            call.caller.account_id,
            _user_name(call, params),
            params["AccessKeyId"],
            params["Status"],
        )
    return {}


@registry.operation("iam", "DeleteAccessKey", resources=target_user_arn)
def delete_access_key(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_access_key(
            call.caller.account_id, _user_name(call, params), params["AccessKeyId"]
        )
    return {}


@registry.operation("iam", "GetAccessKeyLastUsed", resources=lambda call, params: ["*"])
def get_access_key_last_used(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    used = call.store.get_access_key_last_used(params["AccessKeyId"])
    if used is None or used.account_id != call.caller.account_id:
        # AWS answers AccessDenied-free NoSuchEntity only for keys of the caller's account.
        raise no_such_entity(f"The Access Key with id {params['AccessKeyId']} cannot be found.")
    last: dict[str, Any] = {
        "ServiceName": used.last_used_service or "N/A",
        "Region": used.last_used_region or "N/A",
    }
    if used.last_used_at is not None:
        last["LastUsedDate"] = used.last_used_at
    out: dict[str, Any] = {"AccessKeyLastUsed": last}
    if used.user_name is not None:
        out["UserName"] = used.user_name
    return out
