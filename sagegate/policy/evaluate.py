"""The authorizer: one pure function from a request and the applicable policies to a decision.

Follows the IAM User Guide, *Policy evaluation logic*, *Determining whether a request is allowed
or denied within an account*, *Cross-account policy evaluation logic*, *Permissions boundaries
for IAM entities* ("Evaluating effective permissions with boundaries") and *Session policies*.
SCPs and RCPs do not exist in sagegate.

Evaluation is lazy but order-independent: every Deny statement that can apply is checked first
(an explicit deny anywhere wins), then the allow gates are checked in the order of the truth
table in :func:`evaluate`, each layer stopping at its first matching Allow statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from .ast import PolicyKind
from .compile import CompiledPolicy, CompiledStatement, Entry, PrincipalMatch
from .context import Context, PrincipalInfo, Request
from .explain import Decision, Layer, MatchedStatement, Reason


class _IdentityPlan(NamedTuple):
    """The statements of the identity side of a policy set that can apply to one action, per
    layer and effect, each with its ready-made explanation record."""

    identity_deny: tuple[Entry, ...]
    identity_allow: tuple[Entry, ...]
    boundary_deny: tuple[Entry, ...]
    boundary_allow: tuple[Entry, ...]
    session_deny: tuple[Entry, ...]
    session_allow: tuple[Entry, ...]


_NO_ENTRIES: tuple[tuple[Entry, ...], tuple[Entry, ...]] = ((), ())


@dataclass(frozen=True)
class PolicySet:
    """The policies that apply to one request.

    `identity`: the principal's identity-based policies (user inline + managed, group policies;
    or the role's policies for a role session). `boundary`: its permissions boundary, if any.
    `session`: the session policies of a temporary session (None when the session has none —
    then there is no session gate, except that a federated-user session without session
    policies is implicitly denied; an empty tuple means "session policies were passed but none
    allows", which denies). `resource`: the resource-based policy of the target (a role's trust
    policy for sts:AssumeRole*), or None.

    A PolicySet is immutable; it keeps a per-action index of the identity-side statements that
    can apply (filled on first use), so cache and reuse it per principal, and attach a resource
    policy with :meth:`with_resource`, which shares that index (``dataclasses.replace`` works
    too but starts a new, empty index).
    """

    identity: tuple[CompiledPolicy, ...] = ()
    boundary: CompiledPolicy | None = None
    session: tuple[CompiledPolicy, ...] | None = None
    resource: CompiledPolicy | None = None
    _plans: dict[str, _IdentityPlan] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )

    def with_resource(self, resource: CompiledPolicy | None) -> PolicySet:
        """This policy set with `resource` as its resource-based policy, sharing the index."""
        new = PolicySet(self.identity, self.boundary, self.session, resource)
        object.__setattr__(new, "_plans", self._plans)
        return new

    def plan(self, action_lower: str) -> _IdentityPlan:
        hit = self._plans.get(action_lower)
        if hit is None:
            hit = self._make_plan(action_lower)
            if len(self._plans) >= 4096:
                self._plans.clear()
            self._plans[action_lower] = hit
        return hit

    def _make_plan(self, action: str) -> _IdentityPlan:
        def entries(
            pols: tuple[CompiledPolicy, ...], layer: Layer
        ) -> tuple[tuple[Entry, ...], tuple[Entry, ...]]:
            denies: list[Entry] = []
            allows: list[Entry] = []
            for pol in pols:
                d, a = pol.entries(action, layer)
                denies.extend(d)
                allows.extend(a)
            return tuple(denies), tuple(allows)

        i = entries(self.identity, "identity")
        b = entries(() if self.boundary is None else (self.boundary,), "boundary")
        s = entries(self.session or (), "session")
        return _IdentityPlan(*i, *b, *s)


def _applies(
    st: CompiledStatement, resource: str, ctx: Context, missing: list[str], diag: list[str]
) -> bool:
    """Resource and Condition of a statement whose Action already matched."""
    if not st.resource_test(resource, ctx):
        return False
    return all(c.evaluate(ctx, missing, diag) for c in st.conditions)


def _principal_match(
    st: CompiledStatement, p: PrincipalInfo, has_boundary: bool
) -> PrincipalMatch | None:
    """How a resource-policy statement's Principal/NotPrincipal names the caller."""
    pm = st.principal
    if pm is None:
        return None  # a resource policy statement must name a principal
    how = pm.match(p)
    if not st.not_principal:
        return how
    if how is None:
        return "direct"
    if st.effect == "Deny" and has_boundary:
        # *Permissions boundaries*, Important: a NotPrincipal Deny "will always deny any IAM
        # principal that has a permissions boundary policy attached, regardless of the values
        # specified in the NotPrincipal element".
        return "direct"
    return None


def _first_allow(
    entries: tuple[Entry, ...], resource: str, ctx: Context, missing: list[str], diag: list[str]
) -> MatchedStatement | None:
    for st, m in entries:
        if _applies(st, resource, ctx, missing, diag):
            return m
    return None


_RANK: dict[PrincipalMatch, int] = {"account": 0, "role": 1, "direct": 2}
_DENY_REASON: dict[Layer, Reason] = {
    "identity": Reason.EXPLICIT_DENY_IDENTITY,
    "resource": Reason.EXPLICIT_DENY_RESOURCE,
    "boundary": Reason.EXPLICIT_DENY_BOUNDARY,
    "session": Reason.EXPLICIT_DENY_SESSION,
}


def _decision(
    allowed: bool,
    reason: Reason,
    matched: tuple[MatchedStatement, ...],
    missing: list[str],
    diag: list[str],
) -> Decision:
    effect: Literal["allowed", "explicitDeny", "implicitDeny"]
    if allowed:
        effect = "allowed"
    elif reason in _DENY_REASON.values():
        effect = "explicitDeny"
    else:
        effect = "implicitDeny"
    return Decision(
        allowed,
        effect,
        reason,
        matched,
        tuple(dict.fromkeys(missing)) if missing else (),
        tuple(dict.fromkeys(diag)) if diag else (),
    )


def evaluate(request: Request, policies: PolicySet) -> Decision:
    """Decide `request` against `policies`. Pure: no I/O, no clock.

    The truth table; the first row that holds decides ("identity side" = an identity-based
    Allow, and an Allow in the permissions boundary if there is one, and in the session
    policies if there are any):

    ==  ======================================================  ===============================
    1   a Deny applies in an identity-based policy (*), the     explicitDeny, EXPLICIT_DENY_*
        resource-based policy, the boundary (*) or a session
        policy (*)
    2   the root user, in its own account                       allowed, ROOT
    3   cross-account (the caller is not a service/anonymous):  both must allow:
        identity side fails                                     implicitDeny, NO_<layer>_ALLOW
        no resource-based Allow names the caller (any way)      implicitDeny, NO_RESOURCE_ALLOW
        otherwise                                               allowed, CROSS_ACCOUNT_ALLOW
    4   same account; a resource-based Allow names the caller   allowed, RESOURCE_ALLOW (no
        directly: the user, the role session, the federated     gate applies)
        session, the service, the provider or "*"
    5   same account; it names the session's role ARN (or the   allowed, RESOURCE_ALLOW if the
        IAM user a federated-user session came from)
                                                                boundary and session policies
                                                                allow, else NO_<gate>_ALLOW
    6   it names only the account (delegation)                  no effect: go on
    6b  a role trust policy names the caller in no way          implicitDeny, NO_RESOURCE_ALLOW
    7   the identity side allows                                allowed, IDENTITY_ALLOW
        (a federated-user session without session policies
        never passes the session gate)
    8   otherwise                                               implicitDeny, the first layer
                                                                without an Allow (identity,
                                                                boundary, session; resource
                                                                for a service/anonymous caller)
    ==  ======================================================  ===============================

    (*) not for the root user, which "is not affected by" identity-based policies and has no
    boundary or session policies.
    """
    p = request.principal
    resource = request.resource
    ctx = request.context
    missing: list[str] = []
    diag: list[str] = []
    action = request.action.lower()
    plan = policies.plan(action)
    resource_deny, resource_allow = (
        _NO_ENTRIES if policies.resource is None else policies.resource.entries(action, "resource")
    )
    is_root = p.is_root
    # The root user "is not affected by identity-based policies"; it has no boundary or
    # session policies. Services and anonymous callers have no identity side at all.
    has_boundary = policies.boundary is not None and not is_root
    has_session = policies.session is not None and not is_root
    no_identity_side = p.type in ("Service", "Anonymous")

    # Row 1 — an explicit Deny in any applicable policy wins over everything, including the
    # root user (whose only deniers are resource-based policies). When several layers deny,
    # the reported one is the first of: identity, resource, permissions boundary, session.
    denied: list[MatchedStatement] = []
    if not is_root:
        for st, m in plan.identity_deny:
            if _applies(st, resource, ctx, missing, diag):
                denied.append(m)
    for st, m in resource_deny:
        if _principal_match(st, p, has_boundary) is not None and _applies(
            st, resource, ctx, missing, diag
        ):
            denied.append(m)
    if has_boundary:
        for st, m in plan.boundary_deny:
            if _applies(st, resource, ctx, missing, diag):
                denied.append(m)
    if has_session:
        for st, m in plan.session_deny:
            if _applies(st, resource, ctx, missing, diag):
                denied.append(m)
    if denied:
        return _decision(False, _DENY_REASON[denied[0].layer], tuple(denied), missing, diag)

    # Row 2 — the root user in its own account: allowed.
    cross_account = request.cross_account
    if is_root and not cross_account:
        return _decision(True, Reason.ROOT, (), missing, diag)

    # The gates on the identity side: the permissions boundary (if any) and the session
    # policies (if any) must each contain an applicable Allow.
    def gates() -> tuple[Reason | None, tuple[MatchedStatement, ...]]:
        found: list[MatchedStatement] = []
        if has_boundary:
            b = _first_allow(plan.boundary_allow, resource, ctx, missing, diag)
            if b is None:
                return Reason.NO_BOUNDARY_ALLOW, ()
            found.append(b)
        if has_session:
            s = _first_allow(plan.session_allow, resource, ctx, missing, diag)
            if s is None:
                return Reason.NO_SESSION_ALLOW, ()
            found.append(s)
        elif p.type == "FederatedUser":
            # *Policy evaluation logic*, session policies: "If there is no session policy, the
            # code checks whether the principal is a role session. If the principal is a role
            # session, then the request is Allowed. Otherwise, the request is implicitly denied"
            return Reason.NO_SESSION_ALLOW, ()
        return None, tuple(found)

    # The identity side: an identity-based Allow inside the gates. Returns the reason it
    # fails, or None and the statements that allow.
    def identity_side() -> tuple[Reason | None, tuple[MatchedStatement, ...]]:
        if is_root:
            return None, ()  # root: the identity side is always satisfied
        if no_identity_side:
            return Reason.NO_RESOURCE_ALLOW, ()
        ident = _first_allow(plan.identity_allow, resource, ctx, missing, diag)
        if ident is None:
            return Reason.NO_IDENTITY_ALLOW, ()
        why, found = gates()
        return why, (ident, *found)

    # The most permissive way an applicable resource-policy Allow names the caller:
    # direct > role > account.
    how: PrincipalMatch | None = None
    res_stmt: MatchedStatement | None = None
    for st, m in resource_allow:
        way = _principal_match(st, p, has_boundary)
        if way is None or (how is not None and _RANK[way] <= _RANK[how]):
            continue
        if _applies(st, resource, ctx, missing, diag):
            how, res_stmt = way, m
            if way == "direct":
                break

    if cross_account and not no_identity_side:
        # Row 3 — cross-account: the identity side (with its gates) AND the resource-based
        # policy must both allow; any way of naming the caller counts (account, role, session).
        why, found = identity_side()
        if why is not None:
            return _decision(False, why, (), missing, diag)
        if res_stmt is None:
            return _decision(False, Reason.NO_RESOURCE_ALLOW, (), missing, diag)
        return _decision(True, Reason.CROSS_ACCOUNT_ALLOW, (*found, res_stmt), missing, diag)

    if res_stmt is not None:
        # Row 4 — same account, the resource-based policy names the user, the role session,
        # the federated session, a service or "*": allowed; not limited by an implicit deny in
        # identity-based policies, the permissions boundary or session policies.
        if how == "direct":
            return _decision(True, Reason.RESOURCE_ALLOW, (res_stmt,), missing, diag)
        # Row 5 — same account, it names the role ARN of the caller's session: allowed only
        # inside the permissions boundary and session policies (identity allow not needed).
        if how == "role" and not no_identity_side:
            why, found = gates()
            if why is not None:
                return _decision(False, why, (), missing, diag)
            return _decision(True, Reason.RESOURCE_ALLOW, (res_stmt, *found), missing, diag)
        # Row 6 — it names the account: delegation, decided by the identity side below.
    elif policies.resource is not None and policies.resource.policy.kind is PolicyKind.TRUST:
        # Row 6b — a role trust policy that does not name the caller in any way: denied even in
        # the same account. *Policy evaluation logic*: role trust policies "must explicitly
        # allow access for principals", an exception to the same-account rule.
        return _decision(False, Reason.NO_RESOURCE_ALLOW, (), missing, diag)

    # Row 7 — same account, identity-based Allow within boundary and session policies: allowed.
    why, found = identity_side()
    if why is None:
        return _decision(True, Reason.IDENTITY_ALLOW, found, missing, diag)
    # Row 8 — otherwise an implicit deny, naming the first layer that had no Allow.
    return _decision(False, why, (), missing, diag)
