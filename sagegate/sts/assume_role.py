"""sts:AssumeRole (STS API Reference, *AssumeRole*; IAM User Guide, *Using IAM roles*, *Session
policies*, *Passing session tags in AWS STS*, *Monitor and control actions taken with assumed
roles* for `SourceIdentity`, *Configuring MFA-protected API access*).

Authorization: the role's trust policy is the resource-based policy of the request, evaluated
together with the caller's identity policies (*Cross-account policy evaluation logic*): in the
role's own account either may allow when the trust policy names the caller, across accounts both
must. Passing session tags also needs `sts:TagSession`, setting a source identity
`sts:SetSourceIdentity`. A role that does not exist is denied in the same words as any denial.

The request's condition keys: `sts:RoleSessionName`, `sts:ExternalId`, `sts:SourceIdentity`,
`aws:RequestTag/K`, `aws:TagKeys`, `sts:TransitiveTagKeys`, `aws:ResourceTag/K` (the role's tags),
and `aws:MultiFactorAuthPresent` / `aws:MultiFactorAuthAge` when `SerialNumber` and `TokenCode`
prove MFA.

The root user cannot assume roles ("Roles may not be assumed by root accounts.").

Durations: 900 s up to the role's `MaxSessionDuration` (default 3,600 s); a role session assuming
a role (role chaining) at most one hour. Transitive session tags and the source identity of a
role session pass on to the sessions it chains to.
"""

from __future__ import annotations

from typing import Any

from sagegate.protocol.registry import Call, Check, ResourcePolicy, registry
from sagegate.store import NotFound
from sagegate.sts.credentials import (
    SessionPolicies,
    access_denied,
    check_tags,
    credentials,
    mfa_context,
    not_authorized,
    packed_size,
    request_tags,
    session_facts,
    session_policies,
    tag_context,
    validation_error,
    verify_mfa,
)

ACTION = "sts:AssumeRole"
CHAINED_MAX_SECONDS = 3600
DEFAULT_SECONDS = 3600
_ROLE_KEY = "sagegate:role"


def role_target(arn: str) -> tuple[str, str] | None:
    """(account id, role name) of `arn:aws:iam::ACCOUNT:role/PATH/NAME`, or None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or parts[3]:
        return None
    account, resource = parts[4], parts[5]
    if not (account.isdigit() and len(account) == 12) or not resource.startswith("role/"):
        return None
    name = resource.rsplit("/", 1)[-1]
    return (account, name) if name else None


def target_role(call: Call, params: dict[str, Any]) -> Any:
    """The role `RoleArn` names (path included), or None; looked up once per request."""
    if _ROLE_KEY in params:
        return params[_ROLE_KEY]
    role = None
    target = role_target(params["RoleArn"])
    if target is not None:
        try:
            role = call.store.get_role(*target)
        except NotFound:
            role = None
        if role is not None and role.arn != params["RoleArn"]:
            role = None
    params[_ROLE_KEY] = role
    return role


def role_resources(call: Call, params: dict[str, Any]) -> list[str]:
    return [params["RoleArn"]]


def trust_policy(call: Call, params: dict[str, Any]) -> ResourcePolicy:
    return role_trust_policy(call, params, ACTION)


def role_trust_policy(call: Call, params: dict[str, Any], action: str) -> ResourcePolicy:
    """The trust policy of the role `RoleArn` names, as the resource policy of `action`; a role
    that does not exist is denied like any other denial."""
    role = target_role(call, params)
    if role is None:
        raise not_authorized(call, action, params["RoleArn"])
    return ResourcePolicy(
        document=role.assume_role_policy_document,
        account_id=role.account_id,
        policy_id=role.arn,
        kind="trust",
    )


def assume_role_context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    if call.caller.is_root:
        # Refused before any policy is consulted, as AWS does.
        raise access_denied("Roles may not be assumed by root accounts.")
    ctx = tag_context(params)
    ctx["sts:RoleSessionName"] = params["RoleSessionName"]
    if params.get("ExternalId") is not None:
        ctx["sts:ExternalId"] = params["ExternalId"]
    if params.get("SourceIdentity") is not None:
        ctx["sts:SourceIdentity"] = params["SourceIdentity"]
    role = target_role(call, params)
    if role is not None:
        for key, value in role.tags:
            ctx[f"aws:ResourceTag/{key}"] = value
    ctx.update(mfa_context(call, params))
    return ctx


def check_duration(role: Any, duration: int) -> None:
    """`DurationSeconds` (900 s and up, by the model) within the role's `MaxSessionDuration`."""
    if duration > role.max_session_duration:
        raise validation_error(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )


def further_checks(call: Call, params: dict[str, Any]) -> list[Check]:
    """`sts:TagSession` when the request passes session tags (or transitive keys),
    `sts:SetSourceIdentity` when it sets a source identity."""
    checks: list[Check] = []
    arn = params["RoleArn"]
    if params.get("Tags") or params.get("TransitiveTagKeys"):
        checks.append(Check("sts:TagSession", arn, assume_role_context(call, params)))
    if params.get("SourceIdentity") is not None:
        checks.append(Check("sts:SetSourceIdentity", arn, assume_role_context(call, params)))
    return checks


@registry.operation(
    "sts",
    "AssumeRole",
    resources=role_resources,
    context=assume_role_context,
    also=further_checks,
    resource_policy=trust_policy,
)
def assume_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    caller = call.caller
    role = target_role(call, params)
    if role is None:  # pragma: no cover - authorization refuses a missing role first
        raise not_authorized(call, ACTION, params["RoleArn"])
    if caller.type == "FederatedUser":
        # *GetFederationToken*: a federated user "cannot call any STS operations except
        # GetCallerIdentity".
        raise not_authorized(call, ACTION, params["RoleArn"])
    previous = session_facts(call)
    chained = caller.type == "AssumedRole"
    duration = int(params.get("DurationSeconds", DEFAULT_SECONDS))
    if chained and duration > CHAINED_MAX_SECONDS:
        raise validation_error(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
            "by role chaining."
        )
    check_duration(role, duration)
    policies = session_policies(call, params, role.account_id)
    tags = request_tags(params)
    transitive = tuple(params.get("TransitiveTagKeys") or ())
    check_tags(tags, transitive)
    # Transitive tags of the calling role session pass on; they cannot be set again.
    inherited: list[tuple[str, str]] = []
    inherited_keys: list[str] = []
    if chained and previous is not None:
        passed = {k.lower() for k, _ in tags}
        values = {k.lower(): (k, v) for k, v in previous.tags}
        for key in previous.transitive_tag_keys:
            if key.lower() in passed:
                raise validation_error(
                    f"The session tag key {key} is an inherited transitive tag and cannot be "
                    "overridden."
                )
            if key.lower() in values:
                inherited.append(values[key.lower()])
                inherited_keys.append(values[key.lower()][0])
    packed = packed_size(policies, tags)
    source = previous.source_identity if previous is not None else None
    requested = params.get("SourceIdentity")
    if requested is not None:
        if requested.lower().startswith("aws:"):
            raise validation_error(
                "SourceIdentity cannot begin with the prefix aws:, it is reserved for AWS use."
            )
        if source is not None and requested != source:
            raise access_denied(
                f"User: {caller.arn} is not authorized to perform: sts:SetSourceIdentity on "
                f"resource: {role.arn} because the source identity of a session cannot change"
            )
        source = requested
    mfa_time = None
    if verify_mfa(call, params):
        mfa_time = call.now
    elif previous is not None:
        mfa_time = previous.mfa_auth_time
    return role_session(
        call,
        role,
        params["RoleSessionName"],
        policies,
        packed,
        tags=(*inherited, *tags),
        transitive_tag_keys=(*inherited_keys, *transitive),
        source_identity=source,
        mfa_auth_time=mfa_time,
        chained=chained,
        duration=duration,
    )


def role_session(
    call: Call,
    role: Any,
    name: str,
    policies: SessionPolicies,
    packed: int | None,
    *,
    source_identity: str | None = None,
    **facts: Any,
) -> dict[str, Any]:
    """Seal a session of `role` named `name` (`facts`: further `SessionFacts` fields and
    `duration`), record the role's use, and answer with what every AssumeRole* call returns:
    Credentials, AssumedRoleUser, PackedPolicySize and SourceIdentity."""
    _, creds = credentials(
        call,
        kind="AssumedRole",
        account_id=role.account_id,
        role_id=role.role_id,
        role_arn=role.arn,
        role_name=role.name,
        session_name=name,
        policy=policies.policy,
        policy_arns=policies.policy_arns,
        source_identity=source_identity,
        **facts,
    )
    call.store.record_role_use(role.role_id, call.now, call.region)
    out: dict[str, Any] = {
        "Credentials": creds,
        "AssumedRoleUser": {
            "AssumedRoleId": f"{role.role_id}:{name}",
            "Arn": f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{name}",
        },
    }
    if packed is not None:
        out["PackedPolicySize"] = packed
    if source_identity is not None:
        out["SourceIdentity"] = source_identity
    return out
