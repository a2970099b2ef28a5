"""A slow, literal reference evaluator, written from AWS's documentation alone.

It shares no code with `sagegate.policy`'s fast path (only the input data types): no compiling,
no indexes, no caches; wildcards by recursion, conditions re-parsed on every call, the evaluation
flow written as the prose of the IAM User Guide reads. The hypothesis test checks the compiled
evaluator against it.

Pages followed:
- reference_policies_evaluation-logic.html (+ _policy-eval-denyallow, -cross-account)
- access_policies_boundaries.html, access_policies.html#policies_session
- reference_policies_elements_condition_operators.html, reference_policies_multi-value-conditions.html
- reference_policies_variables.html, reference_policies_elements_principal.html
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sagegate.policy import ast

# ---------------------------------------------------------------------------------------------
# wildcards


def wild(pattern: str, text: str) -> bool:
    """`*` any run, `?` one character; everything else literal. Plain recursion with memo."""
    memo: dict[tuple[int, int], bool] = {}

    def go(i: int, j: int) -> bool:
        if (i, j) in memo:
            return memo[(i, j)]
        if i == len(pattern):
            r = j == len(text)
        elif pattern[i] == "*":
            r = go(i + 1, j) or (j < len(text) and go(i, j + 1))
        elif j < len(text) and (pattern[i] == "?" or pattern[i] == text[j]):
            r = go(i + 1, j + 1)
        else:
            r = False
        memo[(i, j)] = r
        return r

    return go(0, 0)


# A pattern after variable substitution: a list of (chunk, literal?) pieces; literal pieces
# (substituted values and ${*} ${?} ${$}) never act as wildcards.
Pieces = list[tuple[str, bool]]


def wild_pieces(pieces: Pieces, text: str) -> bool:
    tokens: list[tuple[str, str]] = []  # ("star"|"one"|"char", c)
    for chunk, literal in pieces:
        for c in chunk:
            if not literal and c == "*":
                tokens.append(("star", ""))
            elif not literal and c == "?":
                tokens.append(("one", ""))
            else:
                tokens.append(("char", c))
    memo: dict[tuple[int, int], bool] = {}

    def go(i: int, j: int) -> bool:
        if (i, j) not in memo:
            if i == len(tokens):
                r = j == len(text)
            elif tokens[i][0] == "star":
                r = go(i + 1, j) or (j < len(text) and go(i, j + 1))
            elif j < len(text) and (tokens[i][0] == "one" or tokens[i][1] == text[j]):
                r = go(i + 1, j + 1)
            else:
                r = False
            memo[(i, j)] = r
        return memo[(i, j)]

    return go(0, 0)


# ---------------------------------------------------------------------------------------------
# context and variables


def ctx_get(ctx: dict[str, Any], key: str) -> Any:
    for k, v in ctx.items():
        if k.lower() == key.lower():
            return v
    return None


NO_VALUE = object()


def substitute(text: str, ctx: dict[str, Any], enabled: bool) -> Pieces | object:
    """Pieces, or NO_VALUE when a variable has no (single) value and no default."""
    if not enabled:
        return [(text, False)]
    out: Pieces = []
    i = 0
    while i < len(text):
        start = text.find("${", i)
        if start < 0:
            out.append((text[i:], False))
            break
        close = text.find("}", start)
        if close < 0:
            out.append((text[i:], False))
            break
        inner = text[start + 2 : close]
        replacement: tuple[str, bool] | None | object = None
        if inner in ("*", "?", "$"):
            replacement = (inner, True)
        else:
            name, default = inner, None
            if "," in inner:
                name, rest = inner.split(",", 1)
                rest = rest.strip()
                if len(rest) >= 2 and rest[0] == "'" and rest[-1] == "'":
                    default = rest[1:-1].replace("''", "'")
                else:
                    name = ""  # malformed: literal
            name = name.strip()
            if name and " " not in name and "'" not in name and "{" not in name:
                value = ctx_get(ctx, name)
                if isinstance(value, str):
                    replacement = (value, True)
                elif default is not None:
                    replacement = (default, True)
                else:
                    replacement = NO_VALUE
        if replacement is None:  # not a variable: keep "${" literally and go on
            out.append((text[i : start + 2], False))
            i = start + 2
            continue
        out.append((text[i:start], False))
        if replacement is NO_VALUE:
            return NO_VALUE
        assert isinstance(replacement, tuple)
        out.append(replacement)
        i = close + 1
    return out


def flat(pieces: Pieces) -> str:
    return "".join(c for c, _ in pieces)


# ---------------------------------------------------------------------------------------------
# conditions

FAMILY = {
    "StringEquals": ("str", False), "StringNotEquals": ("str", True),
    "StringEqualsIgnoreCase": ("stri", False), "StringNotEqualsIgnoreCase": ("stri", True),
    "StringLike": ("like", False), "StringNotLike": ("like", True),
    "NumericEquals": ("num=", False), "NumericNotEquals": ("num=", True),
    "NumericLessThan": ("num<", False), "NumericLessThanEquals": ("num<=", False),
    "NumericGreaterThan": ("num>", False), "NumericGreaterThanEquals": ("num>=", False),
    "DateEquals": ("date=", False), "DateNotEquals": ("date=", True),
    "DateLessThan": ("date<", False), "DateLessThanEquals": ("date<=", False),
    "DateGreaterThan": ("date>", False), "DateGreaterThanEquals": ("date>=", False),
    "Bool": ("bool", False), "BinaryEquals": ("bin", False),
    "IpAddress": ("ip", False), "NotIpAddress": ("ip", True),
    "ArnEquals": ("arn", False), "ArnLike": ("arn", False),
    "ArnNotEquals": ("arn", True), "ArnNotLike": ("arn", True),
}  # fmt: skip


class Bad(Exception):
    pass


def to_num(s: str) -> Decimal:
    t = s.strip()
    body = t[1:] if t[:1] in "+-" else t
    if not body or any(c not in "0123456789.eE+-" for c in body) or body.count(".") > 1:
        raise Bad(s)
    try:
        d = Decimal(t)
    except Exception as exc:
        raise Bad(s) from exc
    if not d.is_finite():
        raise Bad(s)
    return d


def to_date(s: str) -> float:
    t = s.strip()
    digits = t[1:] if t[:1] in "+-" else t
    plain = digits.replace(".", "", 1).isdigit()
    if digits and plain and not digits.startswith(".") and not digits.endswith("."):
        return float(t)
    return _iso(t)


def _iso(t: str) -> float:
    try:
        dt = datetime.fromisoformat(t)
    except ValueError as exc:
        raise Bad(t) from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)  # noqa: UP017
    return dt.timestamp()


def one_match(family: str, request_value: str, policy_value: Any) -> bool:
    """Does one request value match one (resolved) policy value? Raises Bad."""
    if family == "str":
        return request_value == flat(policy_value)
    if family == "stri":
        return request_value.casefold() == flat(policy_value).casefold()
    if family == "like":
        return wild_pieces(policy_value, request_value)
    if family == "arn":
        pat = flat(policy_value).split(":", 5)
        val = request_value.split(":", 5)
        if len(pat) != 6 or len(val) != 6:
            return False
        return all(wild(p, v) for p, v in zip(pat, val, strict=True))
    if family.startswith("num"):
        a, b = to_num(request_value), to_num(policy_value)
        return _compare(family[3:], a, b)
    if family.startswith("date"):
        return _compare(family[4:], to_date(request_value), to_date(policy_value))
    if family == "bool":
        lows = (request_value.strip().lower(), str(policy_value).strip().lower())
        if any(x not in ("true", "false") for x in lows):
            raise Bad(request_value)
        return lows[0] == lows[1]
    if family == "bin":
        try:
            return base64.b64decode(request_value.strip(), validate=True) == base64.b64decode(
                policy_value.strip(), validate=True
            )
        except ValueError as exc:
            raise Bad(request_value) from exc
    if family == "ip":
        try:
            addr = ipaddress.ip_address(request_value.strip())
            net = ipaddress.ip_network(policy_value.strip(), strict=False)
        except ValueError as exc:
            raise Bad(request_value) from exc
        return addr.version == net.version and addr in net
    raise AssertionError(family)


def _compare(op: str, a: Any, b: Any) -> bool:
    return bool({"=": a == b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


def condition_true(clause: ast.ConditionClause, ctx: dict[str, Any], variables: bool) -> bool:
    op = clause.operator
    qualifier = ""
    if ":" in op:
        qualifier, op = op.split(":", 1)
        qualifier = qualifier.lower()
        if qualifier not in ("forallvalues", "foranyvalue"):
            return False
    if_exists = False
    if op.lower().endswith("ifexists") and len(op) > 8:
        if_exists, op = True, op[:-8]
    canon = {k.lower(): k for k in [*FAMILY, "Null"]}.get(op.lower())
    if canon is None:
        return False
    value = ctx_get(ctx, clause.key)
    if canon == "Null":
        if if_exists or qualifier:
            return False
        is_null = value is None or value == ()
        results = []
        for v in clause.values:
            if v.strip().lower() not in ("true", "false"):
                return False
            results.append((v.strip().lower() == "true") == is_null)
        return any(results)
    family, negated = FAMILY[canon]
    # policy values: resolve variables (string and ARN operators only); check types
    resolved: list[Any] = []
    for pv in clause.values:
        if family in ("str", "stri", "like", "arn"):
            pieces = substitute(pv, ctx, variables)
            if pieces is not NO_VALUE:
                resolved.append(pieces)
        else:
            try:
                one_match(family, _sample(family), pv)
            except Bad:
                return False  # a policy value that cannot be read: no match
            resolved.append(pv)
    # request values
    if value is None or value == ():
        present: list[str] = []
    elif isinstance(value, str):
        present = [value]
    else:
        present = list(value)
    if qualifier:
        if present in ([], [""]):
            return qualifier == "forallvalues" or if_exists
    elif not present:
        return if_exists or negated

    def positive(rv: str) -> bool:
        return any(one_match(family, rv, p) for p in resolved)

    try:
        if qualifier == "forallvalues":
            return all(positive(rv) != negated for rv in present)
        if qualifier == "foranyvalue":
            return any(positive(rv) != negated for rv in present)
        hits = [positive(rv) for rv in present]
    except Bad:
        return False
    return (not any(hits)) if negated else any(hits)


def _sample(family: str) -> str:
    return {"bool": "true", "bin": "", "ip": "127.0.0.1"}.get(family, "0")


# ---------------------------------------------------------------------------------------------
# statements and principals


def principal_named(entries: ast.Principal, p: Any) -> str | None:
    """'direct' / 'role' / 'account' / None — how the element names the caller."""
    ways: set[str] = set()
    if entries.wildcard:
        ways.add("direct")
    for typ, val in entries.entries:
        if typ == "AWS":
            if val == "*" or val == p.arn:
                ways.add("direct")
            elif p.role_arn is not None and val == p.role_arn:
                ways.add("role")
            elif p.type not in ("Service", "Anonymous") and (
                val == p.account or val == f"arn:aws:iam::{p.account}:root"
            ):
                ways.add("account")
        elif typ == "Service":
            if val == "*" or (p.type == "Service" and val.lower() == p.arn.lower()):
                ways.add("direct")
        elif typ == "Federated" and p.provider is not None and val == p.provider:
            ways.add("direct")
    for w in ("direct", "role", "account"):
        if w in ways:
            return w
    return None


def statement_matches(st: ast.Statement, req: Any, ctx: dict[str, Any], variables: bool) -> bool:
    action = req.action
    if st.actions is not None:
        ok = any(wild(a.lower(), action.lower()) for a in st.actions)
    elif st.not_actions is not None:
        ok = not any(wild(a.lower(), action.lower()) for a in st.not_actions)
    else:
        ok = False
    if not ok:
        return False
    for field, negate in ((st.resources, False), (st.not_resources, True)):
        if field is None:
            continue
        hit = False
        for r in field:
            pieces = substitute(r, ctx, variables)
            if pieces is not NO_VALUE and wild_pieces(pieces, req.resource):  # type: ignore[arg-type]
                hit = True
        if hit == negate:
            return False
    return all(condition_true(c, ctx, variables) for c in st.conditions)


@dataclass
class Verdict:
    effect: str
    reason: str
    denies: set[tuple[str, int]]
    allows: dict[str, set[tuple[str, int]]]


def reference_evaluate(
    req: Any,
    identity: list[tuple[str, ast.Policy]],
    boundary: tuple[str, ast.Policy] | None,
    session: list[tuple[str, ast.Policy]] | None,
    resource: tuple[str, ast.Policy] | None,
) -> Verdict:
    ctx = dict(req.context.entries)
    p = req.principal
    has_boundary = boundary is not None
    if p.is_root:
        identity, boundary, session, has_boundary = [], None, None, False

    layers: dict[str, list[tuple[str, ast.Policy]]] = {
        "identity": identity,
        "resource": [resource] if resource else [],
        "boundary": [boundary] if boundary else [],
        "session": session or [],
    }
    denies: list[tuple[str, str, int]] = []
    allows: dict[str, set[tuple[str, int]]] = {k: set() for k in layers}
    resource_ways: set[str] = set()
    for layer, pols in layers.items():
        for pid, pol in pols:
            for st in pol.statements:
                if layer == "resource":
                    if st.principal is not None:
                        way = principal_named(st.principal, p)
                    elif st.not_principal is not None:
                        named = principal_named(st.not_principal, p)
                        if named is None or (st.effect == "Deny" and has_boundary):
                            way = "direct"
                        else:
                            way = None
                    else:
                        way = None
                    if way is None:
                        continue
                if not statement_matches(st, req, ctx, pol.variables_enabled):
                    continue
                if st.effect == "Deny":
                    denies.append((layer, pid, st.index))
                else:
                    allows[layer].add((pid, st.index))
                    if layer == "resource":
                        resource_ways.add(way)  # type: ignore[arg-type]
    deny_set = {(pid, i) for _, pid, i in denies}
    # 1. "An explicit deny in any policy overrides any allows."
    if denies:
        for layer in ("identity", "resource", "boundary", "session"):
            if any(d[0] == layer for d in denies):
                return Verdict("explicitDeny", f"EXPLICIT_DENY_{layer.upper()}", deny_set, allows)
    cross = req.resource_account is not None and req.resource_account != p.account
    no_identity = p.type in ("Service", "Anonymous")
    # 2. The root user in its own account.
    if p.is_root and not cross:
        return Verdict("allowed", "ROOT", deny_set, allows)

    def within_boundary_and_session() -> str | None:
        if boundary is not None and not allows["boundary"]:
            return "NO_BOUNDARY_ALLOW"
        if session is not None and not allows["session"]:
            return "NO_SESSION_ALLOW"
        # "If there is no session policy ... If the principal is a role session, then the
        # request is Allowed. Otherwise, the request is implicitly denied"
        if session is None and p.type == "FederatedUser":
            return "NO_SESSION_ALLOW"
        return None

    def identity_side() -> str | None:
        """None if the identity side allows, else the reason it does not."""
        if p.is_root:
            return None
        if no_identity:
            return "NO_RESOURCE_ALLOW"
        if not allows["identity"]:
            return "NO_IDENTITY_ALLOW"
        return within_boundary_and_session()

    # 3. Cross-account: both sides.
    if cross and not no_identity:
        why = identity_side()
        if why is not None:
            return Verdict("implicitDeny", why, deny_set, allows)
        if not resource_ways:
            return Verdict("implicitDeny", "NO_RESOURCE_ALLOW", deny_set, allows)
        return Verdict("allowed", "CROSS_ACCOUNT_ALLOW", deny_set, allows)
    # 4. Same account, resource policy names the user/session directly: not limited.
    if "direct" in resource_ways:
        return Verdict("allowed", "RESOURCE_ALLOW", deny_set, allows)
    # 5. ... names the role ARN: limited by boundary and session policy.
    if "role" in resource_ways and not no_identity:
        why = within_boundary_and_session()
        if why is None:
            return Verdict("allowed", "RESOURCE_ALLOW", deny_set, allows)
        return Verdict("implicitDeny", why, deny_set, allows)
    # 6/7. Identity-based allow within boundary and session policies.
    why = identity_side()
    if why is None:
        return Verdict("allowed", "IDENTITY_ALLOW", deny_set, allows)
    return Verdict("implicitDeny", why, deny_set, allows)
