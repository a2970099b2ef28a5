"""Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey,
GetAccessKeyLastUsed (IAM API Reference). Without `UserName` a call acts on the caller's own keys,
the root user's included.

Authorization (Service Authorization Reference for IAM): every one of these actions is on
resource type `user` (GetAccessKeyLastUsed on the user who owns the key), so each carries that
user's tags as `iam:ResourceTag/K` and `aws:ResourceTag/K`."""

from __future__ import annotations

from typing import Any

from sagegate.iam.arns import root_arn, target_user_arn
from sagegate.iam.errors import no_such_entity, store_errors
from sagegate.iam.users import paged, user_context
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


@registry.operation("iam", "CreateAccessKey", resources=target_user_arn, context=user_context)
def create_access_key(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        key, secret = call.store.create_access_key(call.caller.account_id, _user_name(call, params))
    out = _key_shape(key)
    out["SecretAccessKey"] = secret
    out.setdefault("UserName", "")
    return {"AccessKey": out}


@registry.operation("iam", "ListAccessKeys", resources=target_user_arn, context=user_context)
def list_access_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        keys = call.store.list_access_keys(call.caller.account_id, _user_name(call, params))
    return paged([_key_shape(k) for k in keys], None, "AccessKeyMetadata")


@registry.operation("iam", "UpdateAccessKey", resources=target_user_arn, context=user_context)
def update_access_key(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.update_access_key(
            call.caller.account_id,
            _user_name(call, params),
            params["AccessKeyId"],
            params["Status"],
        )
    return {}


@registry.operation("iam", "DeleteAccessKey", resources=target_user_arn, context=user_context)
def delete_access_key(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_access_key(
            call.caller.account_id, _user_name(call, params), params["AccessKeyId"]
        )
    return {}


def _key_use(call: Call, params: dict[str, Any]) -> Any:
    """The key's last use, if it is a key of the caller's account (else None); fetched once."""
    key = ("access_key_last_used", params["AccessKeyId"])
    if key not in call.memo:
        used = call.store.get_access_key_last_used(params["AccessKeyId"])
        call.memo[key] = (
            used if used is not None and used.account_id == call.caller.account_id else None
        )
    return call.memo[key]


def _key_owner_arn(call: Call, params: dict[str, Any]) -> list[str]:
    """GetAccessKeyLastUsed acts on the user who owns the key (Service Authorization Reference:
    resource type `user`); the root user's key on the root ARN; an unknown key on `*`."""
    used = _key_use(call, params)
    if used is None:
        return ["*"]
    if used.user_name is None:
        return [root_arn(call.caller.account_id)]
    return target_user_arn(call, {"UserName": used.user_name})


def _key_owner_context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """The owning user's tags as `iam:ResourceTag/K` and `aws:ResourceTag/K`."""
    used = _key_use(call, params)
    if used is None or used.user_name is None:
        return {}
    return user_context(call, {"UserName": used.user_name})


@registry.operation(
    "iam", "GetAccessKeyLastUsed", resources=_key_owner_arn, context=_key_owner_context
)
def get_access_key_last_used(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    used = _key_use(call, params)
    if used is None:
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
