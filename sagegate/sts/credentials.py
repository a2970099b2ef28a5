"""What every STS operation that hands out temporary credentials shares: AWS's errors, session
policies and their packed size, session tags, MFA, and sealing the session into its credentials.

Follows the STS API Reference (*AssumeRole*, *GetFederationToken*, *GetSessionToken*, *Credentials*,
*PackedPolicyTooLargeException*), the IAM User Guide *Session policies*, *Passing session tags in
AWS STS* and *IAM and AWS STS quotas* ("The plaintext that you use for both inline and managed
session policies can't exceed 2,048 characters", up to 10 managed session policy ARNs, 50 session
tags, tag keys of 128 and values of 256 characters).

Packed size: AWS "compresses the session policy document, session policy ARNs, and session tags
into a packed binary format that has a separate limit" and reports the use as a percentage. Its
format is not documented; sagegate packs with zlib and allots `PACKED_POLICY_BYTES` to the session
policies and `PACKED_TAG_BYTES` to the session tags. `PackedPolicySize` is the larger share.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sagegate.policy import MalformedPolicyDocument, PolicyKind, PolicySizeExceeded, parse
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call
from sagegate.store import NotFound, SessionFacts

PACKED_POLICY_BYTES = 1024
PACKED_TAG_BYTES = 1024
MAX_POLICY_ARNS = 10
SESSION_POLICY_PLAINTEXT = 2048
MFA_KEY = "sagegate:mfa"  # where the MFA check leaves its verdict in the parameters


def validation_error(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, status=400, sender_fault=True)


def access_denied(message: str) -> ServiceError:
    return ServiceError("AccessDenied", message, status=403, sender_fault=True)


def malformed_policy(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocument", message, status=400, sender_fault=True)


def not_authorized(call: Call, action: str, resource: str) -> ServiceError:
    """AWS's answer when the target does not exist: the same words as any denial."""
    return access_denied(
        f"User: {call.caller.arn} is not authorized to perform: {action} on resource: {resource}"
    )


def session_facts(call: Call) -> SessionFacts | None:
    facts = call.caller.session.get("facts")
    return facts if isinstance(facts, SessionFacts) else None


# -- session policies --------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionPolicies:
    policy: str | None
    policy_arns: tuple[str, ...]

    @property
    def any(self) -> bool:
        return self.policy is not None or bool(self.policy_arns)


def session_policies(call: Call, params: Mapping[str, Any], account_id: str) -> SessionPolicies:
    """The `Policy` and `PolicyArns` of a request, checked: the inline policy is a valid session
    policy, at most ten ARNs, each naming a managed policy visible in `account_id` (the role's
    account), their plaintext together at most 2,048 characters."""
    doc = params.get("Policy")
    arns = tuple(p["arn"] for p in params.get("PolicyArns") or [] if p.get("arn"))
    if len(arns) > MAX_POLICY_ARNS:
        raise validation_error(
            f"1 validation error detected: Value '{len(arns)}' at 'policyArns' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_POLICY_ARNS}"
        )
    if doc is not None:
        try:
            parse(doc, PolicyKind.SESSION, max_size=max(len(doc), 1))
        except PolicySizeExceeded as e:  # pragma: no cover - the size is not limited here
            raise malformed_policy(e.message) from None
        except MalformedPolicyDocument as e:
            raise malformed_policy(e.message) from None
    for arn in arns:
        parts = arn.split(":", 5)
        owner = parts[4] if len(parts) == 6 else ""
        if owner not in ("aws", account_id):
            raise validation_error(f"Policy {arn} does not exist or is not attachable.")
        try:
            call.store.get_default_policy_document(arn)
        except NotFound:
            raise validation_error(f"Policy {arn} does not exist or is not attachable.") from None
    plaintext = len(doc or "") + sum(len(a) for a in arns)
    if plaintext > SESSION_POLICY_PLAINTEXT:
        raise validation_error(
            "The total size of the plaintext of session policies exceeds "
            f"{SESSION_POLICY_PLAINTEXT} characters."
        )
    return SessionPolicies(doc, arns)


def _percent(packed: int, allotted: int) -> int:
    return math.ceil(100 * packed / allotted)


def packed_size(policies: SessionPolicies, tags: Sequence[tuple[str, str]]) -> int | None:
    """The `PackedPolicySize` percentage, or None when neither policies nor tags were passed.
    Raises `PackedPolicyTooLarge` past 100 %, with AWS's words for policies or for tags."""
    policy_pct = tag_pct = 0
    if policies.any:
        minified = ""
        if policies.policy is not None:
            minified = json.dumps(json.loads(policies.policy), separators=(",", ":"))
        raw = "\n".join([minified, *policies.policy_arns]).encode()
        policy_pct = _percent(len(zlib.compress(raw, 9)), PACKED_POLICY_BYTES)
    if tags:
        raw = "\n".join(f"{k}={v}" for k, v in tags).encode()
        tag_pct = _percent(len(zlib.compress(raw, 9)), PACKED_TAG_BYTES)
    if policy_pct > 100:
        raise ServiceError(
            "PackedPolicyTooLarge",
            f"Packed policy consumes {policy_pct}% of allotted space, please use smaller policy.",
        )
    if tag_pct > 100:
        raise ServiceError(
            "PackedPolicyTooLarge",
            f"Packed size of session tags consumes {tag_pct}% of allotted space.",
        )
    if not policies.any and not tags:
        return None
    return max(policy_pct, tag_pct)


# -- session tags ------------------------------------------------------------------------------


def request_tags(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((t["Key"], t.get("Value", "")) for t in params.get("Tags") or [])


def check_tags(tags: Sequence[tuple[str, str]], transitive: Sequence[str]) -> None:
    """Session tag rules of *Tagging IAM resources* and *Passing session tags*: no duplicate key
    (keys are case-insensitive), no `aws:` prefix, transitive keys among the passed tags."""
    seen: set[str] = set()
    for key, _ in tags:
        low = key.lower()
        if low.startswith("aws:"):
            raise validation_error(
                "Tag keys cannot start with AWS reserved prefix for system tags."
            )
        if low in seen:
            raise validation_error(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            )
        seen.add(low)
    for key in transitive:
        if key.lower() not in seen:
            raise validation_error(
                f"The specified transitive tag key {key} must be included in the requested tags."
            )


def tag_context(params: Mapping[str, Any]) -> dict[str, Any]:
    """`aws:RequestTag/K`, `aws:TagKeys` and `sts:TransitiveTagKeys` of a tagging request."""
    ctx: dict[str, Any] = {}
    tags = request_tags(params)
    for key, value in tags:
        ctx[f"aws:RequestTag/{key}"] = value
    if tags:
        ctx["aws:TagKeys"] = tuple(k for k, _ in tags)
    transitive = params.get("TransitiveTagKeys") or []
    if transitive:
        ctx["sts:TransitiveTagKeys"] = tuple(transitive)
    return ctx


# -- MFA ---------------------------------------------------------------------------------------


def verify_mfa(call: Call, params: dict[str, Any]) -> bool:
    """Whether the request proved MFA (`SerialNumber` + `TokenCode`); False when it carries none.

    The device must be the caller's (an IAM user's, or the root user's), and the code is used up
    by the check, so it runs once per request: the verdict is kept in `params`. A wrong code or
    device is AWS's AccessDenied.
    """
    if MFA_KEY in params:
        return bool(params[MFA_KEY])
    serial, code = params.get("SerialNumber"), params.get("TokenCode")
    if serial is None and code is None:
        params[MFA_KEY] = False
        return False
    caller = call.caller
    if serial is None or code is None or not _device_is_callers(call, serial):
        raise access_denied(
            "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your "
            "MFA serial number is valid and associated with this user."
        )
    if not call.store.verify_mfa_code(caller.account_id, serial, code, call.now):
        raise access_denied("MultiFactorAuthentication failed with invalid MFA one time pass code.")
    params[MFA_KEY] = True
    return True


def _device_is_callers(call: Call, serial: str) -> bool:
    caller = call.caller
    if caller.type not in ("User", "Account"):
        return False
    try:
        device = call.store.get_mfa_device(caller.account_id, serial)
    except NotFound:
        return False
    if caller.type == "Account":
        return bool(device.is_root)
    return device.user is not None and device.user.user_id == caller.user_id


def mfa_context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """A request that proves MFA is MFA-authenticated now (`aws:MultiFactorAuthPresent`)."""
    if verify_mfa(call, params):
        return {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "0"}
    return {}


# -- issuing -----------------------------------------------------------------------------------


def credentials(call: Call, **facts: Any) -> tuple[SessionFacts, dict[str, Any]]:
    """Seal a new session; `facts` are `SessionFacts` fields besides the key, secret and times,
    plus `duration` (seconds). Returns the facts and the model's `Credentials` structure."""
    duration = int(facts.pop("duration"))
    session, token = call.store.issue_session(now=call.now, duration=duration, **facts)
    return session, {
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "SessionToken": token,
        "Expiration": session.expires_at,
    }
