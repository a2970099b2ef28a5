"""sts:GetSessionToken, GetFederationToken, GetAccessKeyInfo, DecodeAuthorizationMessage (STS API
Reference, one page each; IAM User Guide, *Requesting temporary security credentials*,
*Comparing the AWS STS API operations*).

* GetSessionToken: an IAM user or the root user, with long-term credentials only, gets
  temporary credentials with the same permissions, MFA-authenticated when `SerialNumber` and
  `TokenCode` prove it. "You cannot use policies to control authentication operations": no
  permission is needed. Durations: 900 s to 129,600 s (36 h), default 43,200 s; the root user
  at most 3,600 s (a longer request is cut to one hour).
* GetFederationToken: temporary credentials for a federated user named by the caller,
  `arn:aws:sts::ACCOUNT:federated-user/NAME`, whose permissions are the intersection of the
  calling user's policies and the session policies passed (none passed: no permissions). Same
  durations; the root user at most one hour. Session tags need `sts:TagSession`.
* GetAccessKeyInfo: the account an access key id belongs to (AKIA keys of this deployment, and
  any ASIA key id sagegate issued: the account is part of the id).
* DecodeAuthorizationMessage: sagegate never encodes authorization messages (its AccessDenied
  texts are plain), so every message is `InvalidAuthorizationMessageException`.
"""

from __future__ import annotations

from typing import Any

from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, Check, registry
from sagegate.store.sessions import session_key_account
from sagegate.sts.credentials import (
    access_denied,
    check_tags,
    credentials,
    packed_size,
    request_tags,
    session_facts,
    session_policies,
    tag_context,
    verify_mfa,
)

DEFAULT_SECONDS = 43_200
ROOT_MAX_SECONDS = 3_600


def _long_term_only(call: Call, operation: str) -> None:
    if session_facts(call) is not None:
        raise access_denied(f"Cannot call {operation} with session credentials")


def _duration(call: Call, params: dict[str, Any]) -> int:
    duration = int(params.get("DurationSeconds", DEFAULT_SECONDS))
    if call.caller.is_root:
        duration = min(duration, ROOT_MAX_SECONDS)
    return duration


# -- GetSessionToken ---------------------------------------------------------------------------


@registry.operation("sts", "GetSessionToken", authorize=False)
def get_session_token(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    caller = call.caller
    _long_term_only(call, "GetSessionToken")
    mfa = verify_mfa(call, params)
    _, creds = credentials(
        call,
        kind="Account" if caller.is_root else "User",
        account_id=caller.account_id,
        user_id=caller.user_id,
        user_name=caller.username,
        user_path=caller.user_path,
        mfa_auth_time=call.now if mfa else None,
        duration=_duration(call, params),
    )
    return {"Credentials": creds}


# -- GetFederationToken ------------------------------------------------------------------------


def federated_user_arn(call: Call, params: dict[str, Any]) -> list[str]:
    return [f"arn:aws:sts::{call.caller.account_id}:federated-user/{params['Name']}"]


def federation_context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    # Session credentials are refused before any policy is consulted.
    _long_term_only(call, "GetFederationToken")
    return tag_context(params)


def federation_checks(call: Call, params: dict[str, Any]) -> list[Check]:
    if not params.get("Tags"):
        return []
    arn = federated_user_arn(call, params)[0]
    return [Check("sts:TagSession", arn, tag_context(params))]


@registry.operation(
    "sts",
    "GetFederationToken",
    resources=federated_user_arn,
    context=federation_context,
    also=federation_checks,
)
def get_federation_token(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    caller = call.caller
    _long_term_only(call, "GetFederationToken")
    policies = session_policies(call, params, caller.account_id)
    tags = request_tags(params)
    check_tags(tags, ())
    packed = packed_size(policies, tags)
    name = params["Name"]
    _, creds = credentials(
        call,
        kind="FederatedUser",
        account_id=caller.account_id,
        user_id=caller.user_id,
        user_name=caller.username,
        user_path=caller.user_path,
        federated_name=name,
        policy=policies.policy,
        policy_arns=policies.policy_arns,
        tags=tags,
        duration=_duration(call, params),
    )
    out: dict[str, Any] = {
        "Credentials": creds,
        "FederatedUser": {
            "FederatedUserId": f"{caller.account_id}:{name}",
            "Arn": f"arn:aws:sts::{caller.account_id}:federated-user/{name}",
        },
    }
    if packed is not None:
        out["PackedPolicySize"] = packed
    return out


# -- GetAccessKeyInfo, DecodeAuthorizationMessage ----------------------------------------------


@registry.operation("sts", "GetAccessKeyInfo")
def get_access_key_info(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    key_id = params["AccessKeyId"]
    account = session_key_account(key_id)
    if account is None:
        record = call.store.lookup_access_key(key_id)
        if record is not None:
            account = record.account_id
    if account is None:
        raise ServiceError(
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
            status=403,
        )
    return {"Account": account}


@registry.operation("sts", "DecodeAuthorizationMessage")
def decode_authorization_message(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    raise ServiceError(
        "InvalidAuthorizationMessageException",
        "The message is not an encoded authorization message issued by this service.",
        status=400,
    )
