"""Console passwords: Create/Get/Update/DeleteLoginProfile, ChangePassword, and the account
password policy (Update/Get/DeleteAccountPasswordPolicy), as the IAM API Reference describes them.

Authorization: the login-profile calls act on the user's ARN (the caller's own when `UserName` is
left out); ChangePassword on the caller's own user ARN; both carry that user's tags as
`iam:ResourceTag/K` and `aws:ResourceTag/K` (resource type `user`). The password-policy calls are
on `*` (the Service Authorization Reference lists no resource for them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sagegate.iam.arns import target_user_arn
from sagegate.iam.errors import store_errors
from sagegate.iam.users import user_context
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, registry
from sagegate.store import PasswordPolicyViolation
from sagegate.store.credentials import POLICY_DEFAULTS

POLICY_MEMBERS = frozenset(POLICY_DEFAULTS)

#: Members of GetAccountPasswordPolicy's PasswordPolicy that are present only when set.
_OPTIONAL = ("MaxPasswordAge", "PasswordReusePrevention", "HardExpiry")


@contextmanager
def password_errors() -> Iterator[None]:
    """The store's errors, and PasswordPolicyViolation, in IAM's words."""
    try:
        with store_errors():
            yield
    except PasswordPolicyViolation as e:
        raise ServiceError("PasswordPolicyViolation", e.message, status=400) from None


def _own_user(call: Call, params: dict[str, Any]) -> str:
    """`UserName`, or the calling IAM user; the root user has no login profile here."""
    name = params.get("UserName") or call.caller.username
    if name is None:
        raise ServiceError(
            "ValidationError",
            "Must specify userName when calling with non-User credentials",
            status=400,
        )
    return str(name)


def _profile_shape(profile: Any) -> dict[str, Any]:
    return {
        "UserName": profile.user_name,
        "CreateDate": profile.created_at,
        "PasswordResetRequired": profile.password_reset_required,
    }


def _required_password(params: dict[str, Any], member: str = "Password") -> str:
    password = params.get(member)
    if password is None:
        raise ServiceError(
            "ValidationError",
            f"1 validation error detected: Value null at '{member[0].lower() + member[1:]}' "
            "failed to satisfy constraint: Member must not be null",
            status=400,
        )
    return str(password)


@registry.operation("iam", "CreateLoginProfile", resources=target_user_arn, context=user_context)
def create_login_profile(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = _own_user(call, params)
    with password_errors():
        profile = call.store.create_login_profile(
            call.caller.account_id,
            name,
            _required_password(params),
            bool(params.get("PasswordResetRequired", False)),
        )
    return {"LoginProfile": _profile_shape(profile)}


@registry.operation("iam", "GetLoginProfile", resources=target_user_arn, context=user_context)
def get_login_profile(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        profile = call.store.get_login_profile(call.caller.account_id, _own_user(call, params))
    return {"LoginProfile": _profile_shape(profile)}


@registry.operation("iam", "UpdateLoginProfile", resources=target_user_arn, context=user_context)
def update_login_profile(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with password_errors():
        call.store.update_login_profile(
            call.caller.account_id,
            params["UserName"],
            password=params.get("Password"),
            reset_required=params.get("PasswordResetRequired"),
        )
    return {}


@registry.operation("iam", "DeleteLoginProfile", resources=target_user_arn, context=user_context)
def delete_login_profile(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_login_profile(call.caller.account_id, _own_user(call, params))
    return {}


@registry.operation("iam", "ChangePassword", resources=target_user_arn, context=user_context)
def change_password(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """A user changes its own password (`resources` is the caller's ARN: no UserName member)."""
    if call.caller.type != "User" or call.caller.username is None:
        raise ServiceError(
            "InvalidUserType", "Only IAM Users can change their own password.", status=400
        )
    with password_errors():
        changed = call.store.change_password(
            call.caller.account_id,
            call.caller.username,
            params["OldPassword"],
            params["NewPassword"],
        )
    if not changed:
        raise ServiceError("AccessDenied", "The old password is incorrect.", status=403)
    return {}


# -- the account password policy ---------------------------------------------------------------


@registry.operation("iam", "UpdateAccountPasswordPolicy")
def update_account_password_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.update_password_policy(
            call.caller.account_id, **{k: v for k, v in params.items() if k in POLICY_MEMBERS}
        )
    return {}


@registry.operation("iam", "GetAccountPasswordPolicy")
def get_account_password_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        settings = call.store.get_password_policy(call.caller.account_id)
    out = {k: v for k, v in settings.items() if k not in _OPTIONAL}
    max_age = int(settings.get("MaxPasswordAge") or 0)
    out["ExpirePasswords"] = max_age > 0
    if max_age:
        out["MaxPasswordAge"] = max_age
    if settings.get("PasswordReusePrevention"):
        out["PasswordReusePrevention"] = int(settings["PasswordReusePrevention"])
    if max_age:
        out["HardExpiry"] = bool(settings.get("HardExpiry"))
    return {"PasswordPolicy": out}


@registry.operation("iam", "DeleteAccountPasswordPolicy")
def delete_account_password_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_password_policy(call.caller.account_id)
    return {}
