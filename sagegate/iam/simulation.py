"""The policy simulator's logic: what SimulateCustomPolicy and SimulatePrincipalPolicy return for
a set of policies, and the context keys GetContextKeysFor*Policy list (`sagegate.iam.simulator`
has the operations).

Follows the IAM API Reference pages of these four operations, the data types `EvaluationResult`,
`ResourceSpecificResult`, `Statement`, `Position`, `ContextEntry` and
`PermissionsBoundaryDecisionDetail`, and the AWS CLI's documented examples for
`simulate-custom-policy` / `simulate-principal-policy` (whose outputs fix the shapes below).

- One `EvaluationResult` per action. Without `ResourceArns` (or with just "*") its
  `EvalResourceName` is "*" and the missing context keys are on the result itself. With resource
  ARNs, each resource gets a `ResourceSpecificResult` (decision, matched statements, missing context
  values, boundary detail); the top level reports the most restrictive decision, the union of the
  statements that led to it and of the missing keys (*EvaluationResult*, "In the top-level
  result ..."). Its `EvalResourceName` is the resource when there is one, else "*" (AWS reports an
  ARN template from the Service Authorization Reference, which sagegate does not carry).
- `MatchedStatements`: `SourcePolicyId` is "PolicyInputList.N",
  "PermissionsBoundaryPolicyInputList.N", "ResourcePolicy", a managed policy's name, or
  "user_NAME_POLICY" / "group_NAME_POLICY" / "role_NAME_POLICY" for an inline policy;
  `SourcePolicyType` is user | group | role | aws-managed | user-managed | resource, and for
  policies passed as input lists "IAM Policy", a value AWS returns although the model's enum
  omits it (SDKs had to add it: soto-project/soto#230);
  `StartPosition`/`EndPosition` are the 1-based line and the column just after the statement's
  opening and closing brace, as in the CLI example (`{"Version":...,"Statement":{` -> column 38).
- Only `ContextEntries` make the request context, as in AWS's simulator: keys a considered
  statement uses but no entry supplies are `MissingContextValues`.
- A resource-based policy takes part only with a caller (`CallerArn`, or the user of
  `PolicySourceArn`); the resource's owner is `ResourceOwner`, else the account in the resource
  ARN, else the caller's: a different owner makes it a cross-account evaluation, with
  `EvalDecisionDetails` per policy type.
- `OrderedOrganizationPolicyInputList` (SCPs) must allow at every level; it sets
  `OrganizationsDecisionDetail`. sagegate has no organizations, so it is absent otherwise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from msgspec.structs import replace

from sagegate.iam.errors import invalid_input, malformed_policy
from sagegate.policy import (
    CompiledPolicy,
    Context,
    Decision,
    MalformedPolicyDocument,
    MatchedStatement,
    Policy,
    PolicyKind,
    PolicySet,
    PrincipalInfo,
    Request,
    compile_policy,
    evaluate,
    parse,
)
from sagegate.policy.conditions import parse_binary, parse_bool, parse_date, parse_network
from sagegate.policy.conditions import parse_number as parse_numeric

_RANK: dict[str, int] = {"allowed": 0, "implicitDeny": 1, "explicitDeny": 2}

# -- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourcePolicy:
    """One policy taking part in a simulation, as the result names it."""

    source_id: str  # SourcePolicyId
    source_type: str  # SourcePolicyType
    document: str
    compiled: CompiledPolicy = field(compare=False)
    spans: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = field(compare=False, default=())
    arn: str | None = None  # a managed policy's ARN
    attachment: tuple[str, str, str] | None = None  # inline: (user|group|role, entity, name)


def source_policy(
    source_id: str,
    source_type: str,
    document: str,
    kind: PolicyKind = PolicyKind.IDENTITY,
    *,
    arn: str | None = None,
    attachment: tuple[str, str, str] | None = None,
) -> SourcePolicy:
    """Parse and compile an input document; MalformedPolicyDocument as IAM reports it."""
    try:
        policy = parse(document, kind, max_size=max(len(document), 1))
    except MalformedPolicyDocument as e:
        raise malformed_policy(str(e)) from None
    return SourcePolicy(
        source_id,
        source_type,
        document,
        compile_policy(policy, source_id),
        statement_positions(document),
        arn,
        attachment,
    )


def statement_positions(document: str) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    """((line, column), (line, column)) of each statement's opening and closing brace, in
    statement order; the column is the one just after the brace. Empty if not found."""
    try:
        spans = _statement_spans(document)
    except (ValueError, IndexError):
        return ()
    return tuple((_position(document, a), _position(document, b)) for a, b in spans)


_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def _ws(doc: str, i: int) -> int:
    m = _WS.match(doc, i)
    return i if m is None else m.end()


def _statement_spans(doc: str) -> list[tuple[int, int]]:
    i = _ws(doc, 0)
    if doc[i] != "{":
        return []
    i = _ws(doc, i + 1)
    while doc[i] == '"':
        key, i = _DECODER.raw_decode(doc, i)
        i = _ws(doc, _ws(doc, i) + 1)  # past ':'
        if key == "Statement":
            if doc[i] == "{":
                end = _DECODER.raw_decode(doc, i)[1]
                return [(i, end - 1)]
            spans: list[tuple[int, int]] = []
            j = _ws(doc, i + 1)
            while doc[j] != "]":
                end = _DECODER.raw_decode(doc, j)[1]
                if doc[j] == "{":
                    spans.append((j, end - 1))
                j = _ws(doc, end)
                if doc[j] == ",":
                    j = _ws(doc, j + 1)
            return spans
        i = _ws(doc, _DECODER.raw_decode(doc, i)[1])
        if doc[i] == ",":
            i = _ws(doc, i + 1)
    return []


def _position(doc: str, offset: int) -> tuple[int, int]:
    line = doc.count("\n", 0, offset) + 1
    return line, offset - (doc.rfind("\n", 0, offset) + 1) + 2


_CONTEXT_TYPES = {
    "string": None,
    "numeric": parse_numeric,
    "boolean": parse_bool,
    "ip": parse_network,
    "binary": parse_binary,
    "date": parse_date,
}


def context_from_entries(entries: Iterable[dict[str, Any]]) -> Context:
    """`ContextEntries` as a request context: list types are multivalued; values are checked
    against their declared type (InvalidInput otherwise)."""
    values: dict[str, object] = {}
    for entry in entries:
        name = entry.get("ContextKeyName")
        if not name:
            raise invalid_input("ContextKeyName is required for each context entry.")
        raw = [str(v) for v in entry.get("ContextKeyValues", [])]
        typ = entry.get("ContextKeyType", "string")
        base = typ[:-4] if typ.endswith("List") else typ
        check = _CONTEXT_TYPES.get(base)
        for v in raw:
            if check is not None and check(v) is None:
                raise invalid_input(f"Invalid value {v} for context key {name} of type {typ}.")
        if base == "boolean":
            raw = [v.strip().lower() for v in raw]
        values[name] = tuple(raw) if typ.endswith("List") or len(raw) != 1 else raw[0]
    return Context.build(values)


# -- the simulation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Simulation:
    principal: PrincipalInfo
    identity: tuple[SourcePolicy, ...]
    boundary: SourcePolicy | None = None
    resource: SourcePolicy | None = None
    resource_owner: str | None = None  # account id from ResourceOwner
    organizations: tuple[tuple[SourcePolicy, ...], ...] = ()
    context: Context = field(default_factory=Context)

    @property
    def sources(self) -> dict[str, SourcePolicy]:
        every = [*self.identity, *(p for level in self.organizations for p in level)]
        every += [p for p in (self.boundary, self.resource) if p is not None]
        return {p.compiled.policy_id: p for p in every}


@dataclass(frozen=True)
class Outcome:
    """The simulated decision for one action on one resource."""

    resource: str
    decision: str
    matched: tuple[MatchedStatement, ...]
    missing: tuple[str, ...]
    details: dict[str, str] | None  # EvalDecisionDetails (cross-account only)
    boundary_allows: bool | None
    organizations_allow: bool | None


_ALLOW_ALL = compile_policy(
    parse('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'),
    "allow-all",
)


def _owner(sim: Simulation, resource: str) -> str:
    if sim.resource_owner is not None:
        return sim.resource_owner
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[4]:
        return parts[4]
    return sim.principal.account


def simulate(sim: Simulation, action: str, resource: str) -> Outcome:
    """Evaluate one action on one resource, as the simulator reports it."""
    rp = None if sim.resource is None else sim.resource.compiled
    boundary = None if sim.boundary is None else sim.boundary.compiled
    owner = _owner(sim, resource) if rp is not None else None
    ctx = sim.context
    request = Request(action, resource, sim.principal, ctx, resource_account=owner)
    identity = tuple(p.compiled for p in sim.identity)
    decision = evaluate(request, PolicySet(identity=identity, boundary=boundary, resource=rp))
    effect: str = decision.effect
    matched = decision.matched

    orgs_allow: bool | None = None
    if sim.organizations:
        orgs_allow, orgs_effect = True, "allowed"
        same = replace(request, resource_account=None)
        for level in sim.organizations:
            d = evaluate(same, PolicySet(identity=tuple(p.compiled for p in level)))
            if not d.allowed:
                orgs_allow = False
                if _RANK[d.effect] > _RANK[orgs_effect]:
                    orgs_effect = d.effect
        if not orgs_allow and _RANK[orgs_effect] > _RANK[effect]:
            # SCP statements are not reported (*EvaluationResult*, MatchedStatements).
            effect, matched = orgs_effect, ()

    boundary_allows: bool | None = None
    if boundary is not None:
        alone = evaluate(replace(request, resource_account=None), PolicySet(identity=(boundary,)))
        boundary_allows = alone.allowed

    details: dict[str, str] | None = None
    if rp is not None and request.cross_account:
        ident = evaluate(
            replace(request, resource_account=None),
            PolicySet(identity=identity, boundary=boundary),
        )
        res = evaluate(request, PolicySet(identity=(_ALLOW_ALL,), resource=rp))
        details = {"IAM Policy": ident.effect, "Resource Policy": res.effect}
        if boundary is not None:
            details["Permissions Boundary Policy"] = (
                "allowed" if boundary_allows else "implicitDeny"
            )

    missing = _missing_keys(sim, action, resource, decision)
    return Outcome(resource, effect, matched, missing, details, boundary_allows, orgs_allow)


_VARIABLE = re.compile(r"\$\{\s*([^\s,'{}]+)\s*(?:,\s*'(?:[^']|'')*'\s*)?\}")


def _missing_keys(
    sim: Simulation, action: str, resource: str, decision: Decision
) -> tuple[str, ...]:
    """Context keys used by the statements that apply to the action and resource but missing
    from the context: the engine's (lazily found) ones and every other such statement's."""
    found: dict[str, str] = {k.lower(): k for k in decision.missing_context_keys}
    act = action.lower()
    ctx = sim.context
    policies = [*sim.identity, *(p for p in (sim.boundary, sim.resource) if p is not None)]
    for src in policies:
        denies, allows = src.compiled.candidates(act)
        for st in (*denies, *allows):
            variables = src.compiled.policy.variables_enabled
            res_keys = _resource_variables(st.statement, variables)
            if not res_keys and not st.matches_resource(resource, ctx):
                continue
            for key in res_keys:
                if key.lower() not in ctx:
                    found.setdefault(key.lower(), key)
            for cond in st.conditions:
                if cond.family != "Null" and cond.key not in ctx:
                    found.setdefault(cond.key, cond.clause.key)
                for v in cond.clause.values if variables else ():
                    for m in _VARIABLE.finditer(v):
                        if m.group(1) not in ("*", "?", "$") and m.group(1) not in ctx:
                            found.setdefault(m.group(1).lower(), m.group(1))
    return tuple(found.values())


def _resource_variables(st: Any, enabled: bool) -> list[str]:
    if not enabled:
        return []
    out: list[str] = []
    for r in (*(st.resources or ()), *(st.not_resources or ())):
        out += [m.group(1) for m in _VARIABLE.finditer(r) if m.group(1) not in ("*", "?", "$")]
    return out


def context_keys(documents: Iterable[Policy]) -> list[str]:
    """The condition keys and policy variables the policies use, as first written, de-duplicated
    case-insensitively, in document order (GetContextKeysFor*Policy)."""
    found: dict[str, str] = {}
    for policy in documents:
        for st in policy.statements:
            keys = _resource_variables(st, policy.variables_enabled)
            for clause in st.conditions:
                keys.append(clause.key)
                if policy.variables_enabled:
                    for v in clause.values:
                        keys += [m.group(1) for m in _VARIABLE.finditer(v)]
            for k in keys:
                if k not in ("*", "?", "$"):
                    found.setdefault(k.lower(), k)
    return list(found.values())


# -- results ---------------------------------------------------------------------------------


def _statement(sources: dict[str, SourcePolicy], m: MatchedStatement) -> dict[str, Any]:
    src = sources.get(m.policy_id)
    out: dict[str, Any] = {"SourcePolicyId": m.policy_id}
    if src is None:
        return out
    out["SourcePolicyType"] = src.source_type
    if m.index < len(src.spans):
        (l1, c1), (l2, c2) = src.spans[m.index]
        out["StartPosition"] = {"Line": l1, "Column": c1}
        out["EndPosition"] = {"Line": l2, "Column": c2}
    return out


def evaluation_result(
    sim: Simulation, action: str, resources: Sequence[str] | None
) -> dict[str, Any]:
    """The `EvaluationResult` for one action (resources None: "*", no per-resource results)."""
    sources = sim.sources
    outcomes = [simulate(sim, action, r) for r in (resources or ["*"])]
    worst = max(outcomes, key=lambda o: _RANK[o.decision]).decision
    matched: dict[MatchedStatement, None] = {}
    missing: dict[str, None] = {}
    for o in outcomes:
        if o.decision == worst:
            matched.update(dict.fromkeys(o.matched))
        missing.update(dict.fromkeys(o.missing))
    result: dict[str, Any] = {
        "EvalActionName": action,
        "EvalResourceName": resources[0] if resources and len(resources) == 1 else "*",
        "EvalDecision": worst,
        "MatchedStatements": [_statement(sources, m) for m in matched],
        "MissingContextValues": list(missing),
    }
    if resources:
        details: dict[str, str] = {}
        for o in outcomes:
            for k, v in (o.details or {}).items():
                if k not in details or _RANK[v] > _RANK[details[k]]:
                    details[k] = v
        result["EvalDecisionDetails"] = details
    elif outcomes[0].details is not None:
        result["EvalDecisionDetails"] = outcomes[0].details
    if sim.organizations:
        result["OrganizationsDecisionDetail"] = {
            "AllowedByOrganizations": all(o.organizations_allow for o in outcomes)
        }
    if sim.boundary is not None:
        result["PermissionsBoundaryDecisionDetail"] = {
            "AllowedByPermissionsBoundary": all(o.boundary_allows for o in outcomes)
        }
    if resources:
        result["ResourceSpecificResults"] = [_resource_result(sources, sim, o) for o in outcomes]
    return result


def _resource_result(
    sources: dict[str, SourcePolicy], sim: Simulation, o: Outcome
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "EvalResourceName": o.resource,
        "EvalResourceDecision": o.decision,
        "MatchedStatements": [_statement(sources, m) for m in o.matched],
        "MissingContextValues": list(o.missing),
    }
    if o.details is not None:
        out["EvalDecisionDetails"] = o.details
    if o.boundary_allows is not None:
        out["PermissionsBoundaryDecisionDetail"] = {
            "AllowedByPermissionsBoundary": o.boundary_allows
        }
    return out
