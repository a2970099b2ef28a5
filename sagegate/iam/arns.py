"""ARNs of IAM entities, as AWS forms them (IAM User Guide, *IAM identifiers*).

`arn:aws:iam::ACCOUNT:user/PATH/NAME` — the path is part of the ARN; `/` is the default path.
"""

from __future__ import annotations

from typing import Any

from sagegate.protocol.registry import Call
from sagegate.store import NotFound


def user_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:user{path}{name}"


def root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def policy_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


def lookup_user(call: Call, name: str) -> Any:
    """The user `name` of the caller's account, or None; fetched once per request."""
    key = ("user", name.lower())
    if key not in call.memo:
        try:
            call.memo[key] = call.store.get_user(call.caller.account_id, name)
        except NotFound:
            call.memo[key] = None
    return call.memo[key]


def target_user_arn(call: Call, params: dict[str, Any]) -> list[str]:
    """The user a call acts on: `UserName` if given (with its path when the user exists), else the
    caller itself, as AWS does for the calls where `UserName` is optional."""
    name = params.get("UserName")
    account = call.caller.account_id
    if name is None:
        if call.caller.username is not None:
            return [user_arn(account, call.caller.username, call.caller.user_path or "/")]
        return [call.caller.arn]
    path = params.get("Path")
    if path is None:
        user = lookup_user(call, name)
        path = user.path if user is not None else "/"
    return [user_arn(account, name, path)]


def users_under_prefix(call: Call, params: dict[str, Any]) -> list[str]:
    """List calls are authorized on the path prefix itself: `arn:aws:iam::ACCOUNT:user/`."""
    return [f"arn:aws:iam::{call.caller.account_id}:user{params.get('PathPrefix', '/')}"]
