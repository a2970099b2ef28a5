"""The policy simulator over the wire: SimulateCustomPolicy, SimulatePrincipalPolicy,
GetContextKeysForCustomPolicy, GetContextKeysForPrincipalPolicy (IAM API Reference).

The request parameters become a `sagegate.iam.simulation.Simulation`: the input policy lists,
the principal's policies from the store (SimulatePrincipalPolicy: a user with its groups', a
group, or a role, with its permissions boundary unless `PermissionsBoundaryPolicyInputList`
replaces it, less what `PolicyExclusionList` names), `ResourcePolicy` with `CallerArn` and
`ResourceOwner`, and `ContextEntries`. Results are paged with `MaxItems`/`Marker`.

Authorization: `iam:SimulateCustomPolicy` and `iam:GetContextKeysForCustomPolicy` on "*";
`iam:SimulatePrincipalPolicy` and `iam:GetContextKeysForPrincipalPolicy` on the ARN of the
principal (`PolicySourceArn`), as the Service Authorization Reference lists them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sagegate.iam.errors import invalid_input, store_errors
from sagegate.iam.simulation import (
    Simulation,
    SourcePolicy,
    context_from_entries,
    context_keys,
    evaluation_result,
    source_policy,
)
from sagegate.policy import (
    MalformedPolicyDocument,
    Policy,
    PolicyKind,
    PrincipalInfo,
    compile_policy,
    parse,
)
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, registry
from sagegate.store import NotFound

# -- the operations ----------------------------------------------------------------------------


def _paged(items: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    start = 0
    marker = params.get("Marker")
    if marker is not None:
        try:
            start = int(base64.b64decode(marker, validate=True).decode())
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise invalid_input("Invalid Marker.") from None
        if not 0 <= start <= len(items):
            raise invalid_input("Invalid Marker.")
    size = params.get("MaxItems", 100)
    page = items[start : start + size]
    out: dict[str, Any] = {"EvaluationResults": page, "IsTruncated": start + size < len(items)}
    if out["IsTruncated"]:
        out["Marker"] = base64.b64encode(str(start + size).encode()).decode()
    return out


def _resources(params: dict[str, Any]) -> list[str] | None:
    arns = params.get("ResourceArns") or []
    for arn in arns:
        if arn != "*" and not (arn.startswith("arn:") and arn.count(":") >= 5):
            raise invalid_input(f'Resource {arn} must be in ARN format or "*".')
    if not arns or arns == ["*"]:
        return None
    return list(dict.fromkeys(arns))


def _actions(params: dict[str, Any]) -> list[str]:
    actions = params["ActionNames"]
    if not actions:
        raise invalid_input("ActionNames must contain at least one action.")
    for a in actions:
        service, _, name = a.partition(":")
        if not service or not name:
            raise invalid_input(
                f"Action {a} must include a service prefix, such as iam:CreateUser."
            )
    return list(actions)


def _input_list(params: dict[str, Any], member: str) -> tuple[SourcePolicy, ...]:
    return tuple(
        source_policy(f"{member}.{i}", "IAM Policy", doc)
        for i, doc in enumerate(params.get(member) or [], start=1)
    )


def _boundary_input(params: dict[str, Any]) -> SourcePolicy | None:
    docs = params.get("PermissionsBoundaryPolicyInputList") or []
    if len(docs) > 1:
        raise invalid_input("You can input only one permissions boundary policy.")
    if not docs:
        return None
    return source_policy(
        "PermissionsBoundaryPolicyInputList.1", "IAM Policy", docs[0], PolicyKind.BOUNDARY
    )


def _resource_input(params: dict[str, Any]) -> SourcePolicy | None:
    doc = params.get("ResourcePolicy")
    if doc is None:
        return None
    try:
        return source_policy("ResourcePolicy", "resource", doc, PolicyKind.RESOURCE)
    except ServiceError as first:
        try:  # a role's trust policy (no Resource element), e.g. to simulate sts:AssumeRole
            return source_policy("ResourcePolicy", "resource", doc, PolicyKind.TRUST)
        except ServiceError:
            raise first from None


def _resource_owner(params: dict[str, Any]) -> str | None:
    owner = params.get("ResourceOwner")
    if owner is None:
        return None
    m = re.fullmatch(r"(\d{12})|arn:aws[a-z-]*:iam::(\d{12}):root", owner)
    if m is None:
        raise invalid_input(f"ResourceOwner {owner} is not a valid account ID or account ARN.")
    return m.group(1) or m.group(2)


_ENTITY_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):(user|group|role)(/(?:[^/]+/)*)([^/]+)")


def _entity(arn: str) -> tuple[str, str, str, str]:
    """(account, kind, path, name) of an IAM user, group or role ARN."""
    m = _ENTITY_ARN.fullmatch(arn)
    if m is None:
        raise invalid_input(f"Invalid ARN {arn}: it must be the ARN of an IAM user, group or role.")
    return m.group(1), m.group(2), m.group(3), m.group(4)


def _caller(arn: str, userid: str | None = None) -> PrincipalInfo:
    """The simulated caller for `CallerArn` (a user, group or role ARN)."""
    account, kind, _, name = _entity(arn)
    if kind == "role":
        return PrincipalInfo(arn, account, "AssumedRole", userid or name, role_arn=arn)
    return PrincipalInfo(arn, account, "User", userid or name, username=name)


def _organizations(params: dict[str, Any]) -> tuple[tuple[SourcePolicy, ...], ...]:
    levels = []
    for n, level in enumerate(params.get("OrderedOrganizationPolicyInputList") or [], start=1):
        docs = level.get("ServiceControlPolicyInputList") or []
        levels.append(
            tuple(
                source_policy(f"OrderedOrganizationPolicyInputList.{n}.{i}", "none", d)
                for i, d in enumerate(docs, start=1)
            )
        )
    return tuple(levels)


def _run(sim: Simulation, params: dict[str, Any]) -> dict[str, Any]:
    resources = _resources(params)
    results = [evaluation_result(sim, a, resources) for a in _actions(params)]
    return _paged(results, params)


@registry.operation("iam", "SimulateCustomPolicy")
def simulate_custom_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    identity = _input_list(params, "PolicyInputList")
    resource = _resource_input(params)
    caller_arn = params.get("CallerArn")
    if resource is not None and caller_arn is None:
        raise invalid_input("CallerArn is required when you include a ResourcePolicy.")
    account = call.caller.account_id
    principal = (
        _caller(caller_arn)
        if caller_arn is not None
        else PrincipalInfo(call.caller.arn, account, "User", call.caller.userid)
    )
    sim = Simulation(
        principal=principal,
        identity=identity,
        boundary=_boundary_input(params),
        resource=resource,
        resource_owner=_resource_owner(params),
        organizations=_organizations(params),
        context=context_from_entries(params.get("ContextEntries") or []),
    )
    return _run(sim, params)


@dataclass(frozen=True)
class _Principal:
    info: PrincipalInfo
    identity: tuple[SourcePolicy, ...]
    boundary: SourcePolicy | None


def _managed(arn: str, document: str, kind: PolicyKind = PolicyKind.IDENTITY) -> SourcePolicy:
    ptype = "aws-managed" if arn.split(":")[4] == "aws" else "user-managed"
    return source_policy(arn.rsplit("/", 1)[-1], ptype, document, kind, arn=arn)


def _inline(kind: str, entity: str, name: str, document: str) -> SourcePolicy:
    return source_policy(f"{kind}_{entity}_{name}", kind, document, attachment=(kind, entity, name))


def _stored_boundary(found: Any) -> SourcePolicy | None:
    if found.boundary is not None:
        arn, _, doc = found.boundary
        return _managed(arn, doc, PolicyKind.BOUNDARY)
    if found.boundary_arn is not None:  # the boundary policy is gone: nothing is within it
        name = found.boundary_arn.rsplit("/", 1)[-1]
        empty = compile_policy(Policy(statements=()), name)
        return SourcePolicy(name, "user-managed", "", empty, arn=found.boundary_arn)
    return None


def _principal(call: Call, arn: str) -> _Principal:
    """The entity `PolicySourceArn` names, with its policies from the store."""
    account, kind, path, name = _entity(arn)
    store = call.store
    try:
        if account != call.caller.account_id:
            raise NotFound(kind, name)
        if kind == "user":
            user = store.get_user(account, name)
            if user.arn != arn:
                raise NotFound("user", name)
            found = store.principal_policies_for_user(user.user_id)
            owners = found.inline_owners or (f"user/{user.name}",) * len(found.inline)
            inline = [
                _inline(owner.split("/", 1)[0], owner.split("/", 1)[1], pname, doc)
                for owner, (pname, doc) in zip(owners, found.inline, strict=True)
            ]
            info = PrincipalInfo(arn, account, "User", user.user_id, username=user.name)
        elif kind == "role":
            role = store.get_role(account, name)
            if role.arn != arn:
                raise NotFound("role", name)
            found = store.principal_policies_for_role(role.role_id)
            inline = [_inline("role", role.name, n, d) for n, d in found.inline]
            info = PrincipalInfo(arn, account, "AssumedRole", role.role_id, role_arn=arn)
        else:
            group = store.get_group(account, name)
            if group.arn != arn:
                raise NotFound("group", name)
            inline = [
                _inline("group", group.name, n, d)
                for n, d in store.group_inline_policies(account, group.name)
            ]
            managed = [
                (parn, store.get_default_policy_document(parn)[1])
                for parn in _group_attached(store, account, group.name)
            ]
            policies = (*inline, *(_managed(a, d) for a, d in managed))
            return _Principal(PrincipalInfo(arn, account, "User", group.group_id), policies, None)
    except NotFound as e:
        with store_errors():
            raise NotFound(kind, name) from e
    managed_sources = [_managed(a, d) for a, _, d in found.managed]
    return _Principal(info, (*inline, *managed_sources), _stored_boundary(found))


def _group_attached(store: Any, account: str, group: str) -> list[str]:
    arns: list[str] = []
    marker = None
    while True:
        page = store.list_attached_group_policies(account, group, marker=marker, max_items=1000)
        arns += [a for _, a in page.items]
        marker = page.marker
        if marker is None:
            return arns


def _source_arn(call: Call, params: dict[str, Any]) -> list[str]:
    return [params["PolicySourceArn"]]


@registry.operation("iam", "SimulatePrincipalPolicy", resources=_source_arn)
def simulate_principal_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    who = _principal(call, params["PolicySourceArn"])
    resource = _resource_input(params)
    caller_arn = params.get("CallerArn")
    if resource is not None and caller_arn is None and who.info.username is None:
        raise invalid_input(
            "CallerArn is required if you include a ResourcePolicy and the PolicySourceArn is "
            "not the ARN for an IAM user."
        )
    excluded = _exclusions(params.get("PolicyExclusionList") or [])
    boundary = who.boundary
    if boundary is not None and excluded(boundary, True):
        boundary = None
    sim = Simulation(
        principal=who.info if caller_arn is None else _caller(caller_arn),
        identity=(
            *(p for p in who.identity if not excluded(p, False)),
            *_input_list(params, "PolicyInputList"),
        ),
        boundary=_boundary_input(params) or boundary,
        resource=resource,
        resource_owner=_resource_owner(params),
        context=context_from_entries(params.get("ContextEntries") or []),
    )
    return _run(sim, params)


def _wildcard(pattern: str, what: str) -> re.Pattern[str]:
    """At most one `*` (any run of characters) and any number of `?` (one character)."""
    if pattern.count("*") > 1:
        raise invalid_input(f"Invalid {what} {pattern}: use at most one * wildcard.")
    return re.compile(
        "".join("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in pattern)
    )


_POLICY_ARN = re.compile(r"arn:aws[a-z-]*:iam::(?:aws|\d{12}):policy/(.+)")


def _exclusions(items: list[dict[str, Any]]) -> Exclusion:
    """`PolicyExclusionList` as a test of (policy, is the permissions boundary): by policy type,
    by managed policy ARN (wildcards in the resource name) or by inline policy name and entity.
    Policies passed as input lists are never excluded; SCP and RCP identifiers match nothing."""
    tests: list[Exclusion] = []
    for item in items:
        given = [k for k in ("PolicyType", "PolicyArn", "InlinePolicyIdentifier") if item.get(k)]
        if len(given) != 1:
            raise invalid_input(
                "Each PolicyExclusionList entry must specify exactly one of PolicyType, "
                "PolicyArn or InlinePolicyIdentifier."
            )
        if "PolicyType" in given:
            tests.append(_by_type(item["PolicyType"]))
        elif "PolicyArn" in given:
            tests.append(_by_arn(item["PolicyArn"]))
        else:
            tests.append(_by_inline(item["InlinePolicyIdentifier"]))
    return lambda p, b: any(t(p, b) for t in tests)


Exclusion = Callable[[SourcePolicy, bool], bool]


def _by_type(ptype: str) -> Exclusion:
    def test(p: SourcePolicy, is_boundary: bool) -> bool:
        if is_boundary:
            return ptype == "permission-boundary"
        if p.attachment is not None:
            return ptype == "inline"
        return p.arn is not None and p.source_type == ptype

    return test


def _by_arn(arn: str) -> Exclusion:
    m = _POLICY_ARN.fullmatch(arn)
    if m is None or "*" in arn[: m.start(1)] or "?" in arn[: m.start(1)]:
        raise invalid_input(f"Invalid PolicyArn {arn}: not a managed policy ARN.")
    prefix, name = arn[: m.start(1)], _wildcard(m.group(1), "PolicyArn")

    def test(p: SourcePolicy, is_boundary: bool) -> bool:
        if p.arn is None or not p.arn.startswith(prefix):
            return False
        return name.fullmatch(p.arn[len(prefix) :]) is not None

    return test


def _by_inline(ident: dict[str, str]) -> Exclusion:
    kind, name = ident["AttachmentType"], ident["PolicyName"].lower()
    entity = _wildcard(ident["AttachmentName"], "AttachmentName")

    def test(p: SourcePolicy, is_boundary: bool) -> bool:
        a = p.attachment
        return (
            a is not None
            and a[0] == kind
            and a[2].lower() == name
            and entity.fullmatch(a[1]) is not None
        )

    return test


def _parsed(docs: Iterable[str]) -> list[Policy]:
    out = []
    for doc in docs:
        try:
            out.append(parse(doc, PolicyKind.IDENTITY, max_size=max(len(doc), 1)))
        except MalformedPolicyDocument as e:
            raise invalid_input(str(e)) from None
    return out


@registry.operation("iam", "GetContextKeysForCustomPolicy")
def get_context_keys_for_custom_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"ContextKeyNames": context_keys(_parsed(params["PolicyInputList"]))}


@registry.operation("iam", "GetContextKeysForPrincipalPolicy", resources=_source_arn)
def get_context_keys_for_principal_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    who = _principal(call, params["PolicySourceArn"])
    extra = _parsed(params.get("PolicyInputList") or [])
    policies = [p.compiled.policy for p in who.identity] + extra
    return {"ContextKeyNames": context_keys(policies)}
