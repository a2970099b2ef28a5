"""Decisions and their explanation: which statements decided, which layer had no allow, and
AWS's AccessDenied wording.

Message forms follow *Troubleshoot access denied error messages* (IAM User Guide) and AWS's
"Enhanced access denied error messages with policy ARNs" (the denying policy is named for
identity-based policies, permissions boundaries and session policies, same account only):

    User: <principal ARN> is not authorized to perform: <action> on resource: <resource>
        because no identity-based policy allows the <action> action
        because no permissions boundary allows the <action> action
        because no session policy allows the <action> action
        because no resource-based policy allows the <action> action
        with an explicit deny in an identity-based policy: <policy>
        with an explicit deny in a permissions boundary: <policy>
        with an explicit deny in a session policy: <policy>
        with an explicit deny in a resource-based policy

" on resource: <resource>" is left out when the action has no resource ("*"), as in AWS's
examples for list actions. Messages always say "User:", whatever the principal type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

import msgspec

from .context import Request


class Reason(Enum):
    ROOT = "root"  # the account root user acting in its own account
    IDENTITY_ALLOW = "identity_allow"
    RESOURCE_ALLOW = "resource_allow"
    CROSS_ACCOUNT_ALLOW = "cross_account_allow"  # identity side and resource policy both allow
    EXPLICIT_DENY_IDENTITY = "explicit_deny_identity"
    EXPLICIT_DENY_RESOURCE = "explicit_deny_resource"
    EXPLICIT_DENY_BOUNDARY = "explicit_deny_boundary"
    EXPLICIT_DENY_SESSION = "explicit_deny_session"
    NO_IDENTITY_ALLOW = "no_identity_allow"
    NO_BOUNDARY_ALLOW = "no_boundary_allow"
    NO_SESSION_ALLOW = "no_session_allow"
    NO_RESOURCE_ALLOW = "no_resource_allow"


Layer = Literal["identity", "boundary", "session", "resource"]


@dataclass(frozen=True)
class MatchedStatement:
    policy_id: str
    sid: str | None
    index: int
    effect: Literal["Allow", "Deny"]
    layer: Layer = "identity"


class Decision(msgspec.Struct, frozen=True):
    """The answer. `effect` uses the policy simulator's EvalDecision values. `matched` names
    the decisive statements: the denying ones for an explicit deny, the allowing ones (every
    layer that had to allow) for an allow, none for an implicit deny. `missing_context_keys`
    are condition keys a considered statement referenced but the request did not carry;
    `diagnostics` records statements that could not be evaluated (treated as not matching)."""

    allowed: bool
    effect: Literal["allowed", "explicitDeny", "implicitDeny"]
    reason: Reason
    matched: tuple[MatchedStatement, ...] = ()
    missing_context_keys: tuple[str, ...] = ()
    diagnostics: tuple[str, ...] = ()


_IMPLICIT = {
    Reason.NO_IDENTITY_ALLOW: "identity-based policy",
    Reason.NO_BOUNDARY_ALLOW: "permissions boundary",
    Reason.NO_SESSION_ALLOW: "session policy",
    Reason.NO_RESOURCE_ALLOW: "resource-based policy",
}
_EXPLICIT = {
    Reason.EXPLICIT_DENY_IDENTITY: "an identity-based policy",
    Reason.EXPLICIT_DENY_BOUNDARY: "a permissions boundary",
    Reason.EXPLICIT_DENY_SESSION: "a session policy",
    Reason.EXPLICIT_DENY_RESOURCE: "a resource-based policy",
}


def denial_message(request: Request, decision: Decision) -> str:
    """AWS's AccessDenied text for a denied request."""
    if decision.allowed:
        raise ValueError("denial_message() of an allowed decision")
    if request.principal.type in ("WebIdentityUser", "SAMLUser"):
        # The bearer of a token or assertion learns no more (STS API Reference, errors of
        # AssumeRoleWithWebIdentity / AssumeRoleWithSAML).
        return f"Not authorized to perform {request.action}"
    head = f"User: {request.principal.arn} is not authorized to perform: {request.action}"
    if request.resource and request.resource != "*":
        head += f" on resource: {request.resource}"
    reason = decision.reason
    if reason in _IMPLICIT:
        return f"{head} because no {_IMPLICIT[reason]} allows the {request.action} action"
    if reason in _EXPLICIT:
        msg = f"{head} with an explicit deny in {_EXPLICIT[reason]}"
        if (
            reason is not Reason.EXPLICIT_DENY_RESOURCE
            and decision.matched
            and not request.cross_account
        ):
            msg += f": {decision.matched[0].policy_id}"
        return msg
    return head  # pragma: no cover - allowed reasons are rejected above


def explain(decision: Decision) -> str:
    """A one-paragraph human explanation (for logs, the console and the simulator)."""
    parts = [f"{decision.effect} ({decision.reason.value})"]
    for m in decision.matched:
        sid = f" Sid {m.sid!r}" if m.sid else ""
        parts.append(f"{m.effect} by {m.layer} policy {m.policy_id} statement {m.index}{sid}")
    if decision.missing_context_keys:
        parts.append("missing context keys: " + ", ".join(decision.missing_context_keys))
    parts.extend(decision.diagnostics)
    return "; ".join(parts)
