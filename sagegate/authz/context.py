"""The request context: the global condition keys AWS sets for every request (IAM User Guide,
*AWS global condition context keys*), plus the operation's own keys.

Per principal type (the "Principal key" table of that page):

* `aws:PrincipalArn`: the user's ARN, the root ARN, the role's ARN for a role session (never the
  assumed-role session ARN), the federated-user ARN for a GetFederationToken session.
* `aws:PrincipalAccount`, `aws:PrincipalType` ("Account", "User", "AssumedRole",
  "FederatedUser"), `aws:userid`; `aws:username` for IAM users only (also under GetSessionToken
  credentials, whose principal is the user).
* `aws:PrincipalTag/K`: the user's tags; for a role session the role's tags with the session
  tags over them; for a federated user the user's tags with the session tags over them.
* `aws:MultiFactorAuthPresent`, `aws:TokenIssueTime`: only in requests signed with temporary
  credentials ("not present in AWS CLI, AWS API, or AWS SDK requests that are made using
  long-term credentials"); `aws:MultiFactorAuthAge` only when the session was MFA-authenticated.
* `aws:SourceIdentity` when the role session has one; `aws:FederatedProvider` only for sessions
  of an identity provider (web identity / SAML, carried in the session's extras), with the
  provider's keys the session keeps (a SAML session's `saml:sub`, `saml:sub_type`,
  `saml:namequalifier`: extras named as condition keys).
* `aws:ViaAWSService` is "false" and `aws:CalledVia` absent: sagegate makes no forward access
  sessions (no service calls another on a principal's behalf).
"""

from __future__ import annotations

from sagegate.policy import iso_time
from sagegate.protocol.registry import Call, Caller


def caller_keys(caller: Caller) -> dict[str, str]:
    """The global keys that depend on the caller alone (named lower-case, as `Context` keeps
    them): the same for every request of one caller, so the authorizer keeps them per caller."""
    ctx: dict[str, str] = {
        "aws:principalarn": str(caller.role_arn if caller.type == "AssumedRole" else caller.arn),
        "aws:principalaccount": caller.account_id,
        "aws:principaltype": caller.type,
        "aws:userid": caller.userid,
        "aws:viaawsservice": "false",
        "aws:principalisawsservice": "false",
    }
    if caller.username is not None and caller.type == "User":
        ctx["aws:username"] = caller.username
    for key, value in caller.tags:
        ctx[f"aws:principaltag/{key}".lower()] = value
    facts = caller.session.get("facts")
    if facts is not None:
        ctx["aws:tokenissuetime"] = iso_time(facts.issued_at)
        ctx["aws:multifactorauthpresent"] = "true" if facts.mfa_auth_time is not None else "false"
        if facts.source_identity is not None:
            ctx["aws:sourceidentity"] = facts.source_identity
        provider = facts.extra.get("federated_provider")
        if provider:
            ctx["aws:federatedprovider"] = provider
        # The identity provider's keys a session's requests keep (a SAML session's `saml:sub`,
        # `saml:sub_type`, `saml:namequalifier`): the extras named as condition keys.
        for key, value in facts.extra.items():
            if ":" in key and not key.lower().startswith("aws:"):
                ctx[key.lower()] = value
    return ctx


def request_keys(call: Call) -> dict[str, str]:
    """The global keys of this request that are not the caller's alone (lower-case names)."""
    now = call.now
    ctx = {
        "aws:currenttime": iso_time(now),
        "aws:epochtime": str(int(now.timestamp())),
        "aws:securetransport": "true" if call.secure_transport else "false",
        "aws:requestedregion": call.region,
    }
    if call.source_ip:
        ctx["aws:sourceip"] = call.source_ip
    facts = call.caller.session.get("facts")
    if facts is not None and facts.mfa_auth_time is not None:
        ctx["aws:multifactorauthage"] = str(
            max(0, int((now - facts.mfa_auth_time).total_seconds()))
        )
    return ctx


def global_keys(call: Call, own: dict[str, str] | None = None) -> dict[str, str]:
    """Every global key of the request (lower-case names); `own`: the caller's `caller_keys`,
    if already at hand."""
    keys = request_keys(call)
    keys.update(caller_keys(call.caller) if own is None else own)
    return keys
