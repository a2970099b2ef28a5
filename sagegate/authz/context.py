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

from typing import Any

from sagegate.protocol.registry import Call


def _iso(value: Any) -> str:
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


def global_keys(call: Call) -> dict[str, Any]:
    caller = call.caller
    now = call.now
    ctx: dict[str, Any] = {
        "aws:CurrentTime": _iso(now),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SecureTransport": "true" if call.secure_transport else "false",
        "aws:RequestedRegion": call.region,
        "aws:PrincipalArn": caller.role_arn if caller.type == "AssumedRole" else caller.arn,
        "aws:PrincipalAccount": caller.account_id,
        "aws:PrincipalType": caller.type,
        "aws:userid": caller.userid,
        "aws:ViaAWSService": "false",
        "aws:PrincipalIsAWSService": "false",
    }
    if call.source_ip:
        ctx["aws:SourceIp"] = call.source_ip
    if caller.username is not None and caller.type == "User":
        ctx["aws:username"] = caller.username
    for key, value in caller.tags:
        ctx[f"aws:PrincipalTag/{key}"] = value
    facts = caller.session.get("facts")
    if facts is not None:
        ctx["aws:TokenIssueTime"] = _iso(facts.issued_at)
        mfa_time = facts.mfa_auth_time
        ctx["aws:MultiFactorAuthPresent"] = "true" if mfa_time is not None else "false"
        if mfa_time is not None:
            ctx["aws:MultiFactorAuthAge"] = str(max(0, int((now - mfa_time).total_seconds())))
        if facts.source_identity is not None:
            ctx["aws:SourceIdentity"] = facts.source_identity
        provider = facts.extra.get("federated_provider")
        if provider:
            ctx["aws:FederatedProvider"] = provider
        # The identity provider's keys a session's requests keep (a SAML session's `saml:sub`,
        # `saml:sub_type`, `saml:namequalifier`): the extras named as condition keys.
        for key, value in facts.extra.items():
            if ":" in key and not key.lower().startswith("aws:"):
                ctx[key] = value
    return ctx
