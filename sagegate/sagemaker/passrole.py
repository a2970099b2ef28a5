"""Service roles: what a call that passes a role to SageMaker needs.

Two checks, as AWS makes them (IAM User Guide, *Granting a user permissions to pass a role to an
AWS service*; SageMaker Developer Guide, *How to use SageMaker AI execution roles*):

1. authorization: the caller needs `iam:PassRole` on the role with `iam:PassedToService =
   sagemaker.amazonaws.com` (an `also=` check), and `sagemaker:AddTags` with
   `sagemaker:TaggingAction` when the create call carries tags;
2. trust: the role's trust policy must let the service principal `sagemaker.amazonaws.com` call
   `sts:AssumeRole` (evaluated with the policy engine, with `aws:SourceAccount` and
   `aws:SourceArn` set as SageMaker sets them for confused-deputy protection), else the call
   fails with SageMaker's ValidationException "Could not assume role ...".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sagegate.policy import (
    CompiledPolicy,
    Context,
    MalformedPolicyDocument,
    PolicyKind,
    PolicySet,
    PrincipalInfo,
    Request,
    compile_policy,
    evaluate,
    iso_time,
    parse,
)
from sagegate.protocol.registry import Call, Check
from sagegate.sagemaker import arns
from sagegate.sagemaker.conditions import request_tags
from sagegate.sagemaker.errors import could_not_assume
from sagegate.store import NotFound, Role

SERVICE = "sagemaker.amazonaws.com"
_SERVICE_PRINCIPAL = PrincipalInfo(arn=SERVICE, account="", type="Service", userid=SERVICE)


class _Trust:
    """A role's trust policy, compiled once per (role ARN, document). When no statement has a
    condition, SageMaker's `sts:AssumeRole` request is decided by the action, the role and the
    service principal alone, which the key fixes: that decision is kept after the first
    evaluation (`unconditional`); a policy with conditions is evaluated every time (its
    decision may turn on the source ARN or the time)."""

    __slots__ = ("policy", "conditional", "unconditional")

    def __init__(self, policy: CompiledPolicy) -> None:
        self.policy = policy
        self.conditional = any(s.conditions for s in policy.statements)
        self.unconditional: bool | None = None


_trust_cache: dict[tuple[str, str], _Trust | None] = {}


def checks(kind: arns.Kind, *role_members: str) -> Callable[[Call, dict[str, Any]], list[Check]]:
    """An `also=` function: iam:PassRole for each role the request passes, sagemaker:AddTags
    when it carries tags."""

    def also(call: Call, params: dict[str, Any]) -> list[Check]:
        out: list[Check] = []
        for member in role_members:
            role = params.get(member)
            if role:
                out.append(Check("iam:PassRole", role, {"iam:PassedToService": SERVICE}))
        if params.get("Tags"):
            resource = arns.call_arn(kind, call, params[kind.name_member])
            ctx = request_tags(params)
            ctx["sagemaker:TaggingAction"] = call.operation
            out.append(Check("sagemaker:AddTags", resource, ctx))
        return out

    return also


def _trust_policy(role_arn: str, document: str) -> _Trust | None:
    key = (role_arn, document)
    if key not in _trust_cache:
        try:
            compiled: _Trust | None = _Trust(
                compile_policy(parse(document, PolicyKind.TRUST, max_size=len(document)), role_arn)
            )
        except MalformedPolicyDocument:
            compiled = None
        if len(_trust_cache) > 4096:
            _trust_cache.clear()
        _trust_cache[key] = compiled
    return _trust_cache[key]


def assumable_role(
    store: Any, role_arn: str, source_arn: str, source_account: str, now: datetime
) -> Role | None:
    """The role `role_arn` names (same ARN, path included) if its trust policy lets SageMaker
    assume it on behalf of `source_arn` in `source_account`, else None. The request is the one
    the service principal makes (IAM User Guide, *AWS global condition context keys*):
    `aws:SourceArn`, `aws:SourceAccount`, `aws:PrincipalServiceName` and
    `aws:PrincipalIsAWSService` = true."""
    found = arns.role_name(role_arn)
    if found is None:
        return None
    account, name = found
    try:
        role: Role = store.get_role(account, name)
    except NotFound:
        return None
    if role.arn != role_arn:
        return None
    trust = _trust_policy(role.arn, role.assume_role_policy_document)
    if trust is None:
        return None
    if trust.unconditional is not None:
        return role if trust.unconditional else None
    context = Context(  # keys lower-cased, values already text (`Context.build` would do both)
        {
            "aws:sourceaccount": source_account,
            "aws:sourcearn": source_arn,
            "aws:currenttime": iso_time(now),
            "aws:epochtime": str(int(now.timestamp())),
            "aws:principalservicename": SERVICE,
            "aws:principalisawsservice": "true",
        }
    )
    request = Request(
        action="sts:AssumeRole",
        resource=role.arn,
        principal=_SERVICE_PRINCIPAL,
        context=context,
        resource_account=role.account_id,
    )
    allowed = evaluate(request, PolicySet(resource=trust.policy)).allowed
    if not trust.conditional:
        trust.unconditional = allowed
    return role if allowed else None


def service_can_assume(call: Call, role_arn: str, source_arn: str) -> bool:
    """Does the role exist (same ARN, path included) and does its trust policy let SageMaker
    assume it on behalf of `source_arn` in the caller's account?"""
    found = assumable_role(call.store, role_arn, source_arn, call.caller.account_id, call.now)
    return found is not None


def require_trust(call: Call, role_arn: str, source_arn: str) -> None:
    if not service_can_assume(call, role_arn, source_arn):
        raise could_not_assume(role_arn)
