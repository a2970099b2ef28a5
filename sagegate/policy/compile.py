"""Compile a parsed policy (`ast.Policy`) into matchers, once.

Follows *IAM JSON policy elements*: ``Action``/``NotAction`` (case-insensitive, ``*``/``?``),
``Resource``/``NotResource`` (case-sensitive, wildcards may span ``:``, policy variables in
2012-10-17 documents), ``Principal``/``NotPrincipal`` and ``Condition``.

A :class:`CompiledPolicy` is immutable and hashable (equality is its id plus its AST), so callers
may cache it per policy version. Evaluation only looks at statements that can match the
request's action: the policy keeps a lazily filled index from lower-cased action name to the
statements whose ``Action``/``NotAction`` admits it (action matching needs nothing from the
request but the action name, so the answer is reusable across requests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from . import ast
from .conditions import CompiledCondition, compile_condition
from .context import Context, PrincipalInfo
from .explain import Layer, MatchedStatement
from .matching import Glob
from .variables import Template, compile_template

PrincipalMatch = Literal["direct", "role", "account"]
"""How a ``Principal`` element named the caller (see *Policy evaluation logic*, resource-based
policies in the same account): ``direct`` — the user, the role session or federated session
itself, a service, a provider, or ``*``; ``role`` — `PrincipalInfo.role_arn`, i.e. the role ARN
of an assumed-role session or the IAM user a federated-user session came from (limited by a
permissions boundary or session policy); ``account`` — the account
(``arn:aws:iam::A:root`` or ``A``): delegation, the account's own policies must also allow."""


@dataclass(frozen=True)
class ResourceMatcher:
    glob: Glob | None  # static pattern
    template: Template | None  # pattern with policy variables

    def matches(self, resource: str, ctx: Context) -> bool:
        if self.glob is not None:
            return self.glob.matches(resource)
        assert self.template is not None
        g = self.template.glob(ctx)
        return g is not None and g.matches(resource)  # a variable with no value matches nothing


def _compile_resource(pattern: str, variables: bool) -> ResourceMatcher:
    t = compile_template(pattern, variables)
    if t is None:
        return ResourceMatcher(Glob(pattern), None)
    return ResourceMatcher(None, t)


@dataclass(frozen=True)
class PrincipalMatcher:
    wildcard: bool
    accounts: frozenset[str]  # account ids named by 12-digit id or :root ARN
    arns: frozenset[str]  # user, role, session, federated-user ARNs as written
    services: frozenset[str]  # lower-cased service principals
    federated: frozenset[str]

    def match(self, p: PrincipalInfo) -> PrincipalMatch | None:
        """How this element names `p`, the most specific way first, or None."""
        if p.arn in self.arns:
            return "direct"
        if self.wildcard:
            return "direct"
        if p.type == "Service" and p.arn.lower() in self.services:
            return "direct"
        if p.provider is not None and p.provider in self.federated:
            return "direct"
        if p.role_arn is not None and p.role_arn in self.arns:
            return "role"
        if p.type not in ("Service", "Anonymous") and p.account in self.accounts:
            return "account"
        return None


def compile_principal(pr: ast.Principal) -> PrincipalMatcher:
    wildcard = pr.wildcard
    accounts: set[str] = set()
    arns: set[str] = set()
    services: set[str] = set()
    federated: set[str] = set()
    for typ, value in pr.entries:
        if typ == "AWS":
            if value == "*":
                wildcard = True
            elif value.isdigit() and len(value) == 12:
                accounts.add(value)
            elif value.startswith("arn:") and value.endswith(":root") and value.count(":") == 5:
                accounts.add(value.split(":")[4])
            else:
                arns.add(value)
        elif typ == "Service":
            if value == "*":
                wildcard = True
            services.add(value.lower())
        elif typ == "Federated":
            federated.add(value)
        # CanonicalUser names S3 canonical ids; no sagegate principal has one.
    return PrincipalMatcher(
        wildcard, frozenset(accounts), frozenset(arns), frozenset(services), frozenset(federated)
    )


ResourceTest = Callable[[str, Context], bool]
Entry = tuple["CompiledStatement", MatchedStatement]


def _always(resource: str, ctx: Context) -> bool:
    return True


def _never(resource: str, ctx: Context) -> bool:
    return False


def _resource_test(resources: tuple[ResourceMatcher, ...] | None, negate: bool) -> ResourceTest:
    """One closure for a Resource/NotResource element, with fast paths for the usual shapes."""
    if resources is None:
        return _always  # trust policies have no Resource
    globs = [r.glob for r in resources if r.glob is not None]
    if len(globs) == len(resources):
        if any(g.kind == "any" for g in globs):
            return _never if negate else _always
        if all(g.kind == "exact" for g in globs):
            names = frozenset(g.text for g in globs)
            if negate:
                return lambda resource, ctx: resource not in names
            return lambda resource, ctx: resource in names
        if len(globs) == 1:
            m = globs[0].matches
            if negate:
                return lambda resource, ctx: not m(resource)
            return lambda resource, ctx: m(resource)
        ms = tuple(g.matches for g in globs)
        if negate:
            return lambda resource, ctx: not any(m(resource) for m in ms)
        return lambda resource, ctx: any(m(resource) for m in ms)

    def general(resource: str, ctx: Context) -> bool:
        hit = False
        for r in resources:
            if r.matches(resource, ctx):
                hit = True
                break
        return hit != negate

    return general


@dataclass(frozen=True)
class CompiledStatement:
    index: int
    sid: str | None
    effect: ast.Effect
    actions: tuple[Glob, ...]
    not_action: bool
    resources: tuple[ResourceMatcher, ...] | None  # None: the statement has no resource element
    not_resource: bool
    principal: PrincipalMatcher | None
    not_principal: bool
    conditions: tuple[CompiledCondition, ...]
    statement: ast.Statement = field(repr=False)
    resource_test: ResourceTest = field(default=_always, compare=False, repr=False)

    def matches_action(self, action_lower: str) -> bool:
        hit = any(g.matches(action_lower) for g in self.actions)
        return hit != self.not_action

    def matches_resource(self, resource: str, ctx: Context) -> bool:
        return self.resource_test(resource, ctx)


@dataclass(frozen=True)
class CompiledPolicy:
    policy_id: str
    label: str | None
    statements: tuple[CompiledStatement, ...]
    policy: ast.Policy = field(repr=False)
    _by_action: dict[str, tuple[tuple[CompiledStatement, ...], tuple[CompiledStatement, ...]]] = (
        field(default_factory=dict, init=False, compare=False, hash=False, repr=False)
    )
    _entries: dict[tuple[str, str], tuple[tuple[Entry, ...], tuple[Entry, ...]]] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )

    @property
    def name(self) -> str:
        return self.label or self.policy_id

    def candidates(
        self, action_lower: str
    ) -> tuple[tuple[CompiledStatement, ...], tuple[CompiledStatement, ...]]:
        """(Deny statements, Allow statements) whose Action/NotAction admits the lower-cased
        action, in document order."""
        hit = self._by_action.get(action_lower)
        if hit is None:
            sts = [s for s in self.statements if s.matches_action(action_lower)]
            hit = (
                tuple(s for s in sts if s.effect == "Deny"),
                tuple(s for s in sts if s.effect != "Deny"),
            )
            if len(self._by_action) >= 4096:
                self._by_action.clear()
            self._by_action[action_lower] = hit
        return hit

    def entries(
        self, action_lower: str, layer: Layer
    ) -> tuple[tuple[Entry, ...], tuple[Entry, ...]]:
        """`candidates`, each paired with its ready-made explanation record for `layer`."""
        key = (action_lower, layer)
        hit = self._entries.get(key)
        if hit is None:
            denies, allows = self.candidates(action_lower)
            hit = (
                tuple(
                    (s, MatchedStatement(self.policy_id, s.sid, s.index, s.effect, layer))
                    for s in denies
                ),
                tuple(
                    (s, MatchedStatement(self.policy_id, s.sid, s.index, s.effect, layer))
                    for s in allows
                ),
            )
            if len(self._entries) >= 4096:
                self._entries.clear()
            self._entries[key] = hit
        return hit


def compile_statement(st: ast.Statement, variables: bool) -> CompiledStatement:
    not_action = st.not_actions is not None
    actions = st.not_actions if not_action else st.actions
    not_resource = st.not_resources is not None
    res = st.not_resources if not_resource else st.resources
    not_principal = st.not_principal is not None
    pr = st.not_principal if not_principal else st.principal
    resources = None if res is None else tuple(_compile_resource(r, variables) for r in res)
    return CompiledStatement(
        index=st.index,
        sid=st.sid,
        effect=st.effect,
        actions=tuple(Glob(a, ignore_case=True) for a in (actions or ())),
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        principal=None if pr is None else compile_principal(pr),
        not_principal=not_principal,
        conditions=tuple(compile_condition(c, variables) for c in st.conditions),
        statement=st,
        resource_test=_resource_test(resources, not_resource),
    )


def compile_policy(
    policy: ast.Policy, policy_id: str, *, label: str | None = None
) -> CompiledPolicy:
    """Compile every statement of `policy` once. `policy_id` names the policy in decisions and
    AccessDenied messages (a managed policy ARN, or e.g. "user/alice inline policy MyPol")."""
    variables = policy.variables_enabled
    return CompiledPolicy(
        policy_id=policy_id,
        label=label,
        statements=tuple(compile_statement(s, variables) for s in policy.statements),
        policy=policy,
    )
