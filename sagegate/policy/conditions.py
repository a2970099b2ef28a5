"""Condition operators (*IAM JSON policy elements: Condition operators*, *Single-valued vs.
multivalued context keys*, *IAM JSON policy elements: Condition*).

A `ConditionClause` (operator, key, values) compiles once into a :class:`CompiledCondition`:
the operator is split into set qualifier (``ForAllValues:``/``ForAnyValue:``), base operator and
``IfExists``; policy values are parsed for their type up front, and a matcher "does this one
request value match any policy value" is built (a ``frozenset`` lookup for ``StringEquals``,
precompiled wildcards for ``StringLike``, networks for ``IpAddress`` ...). Values holding policy
variables (string and ARN operators only) are resolved per request.

Rules, as AWS documents them:

* several values for one key are ORed; a negated operator is the negation of its positive
  form, so several values NOR ("not equal to any");
* a key missing from the request: the condition is false, except that a negated operator
  (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress`` ...) is true ("If the policy condition
  requires that the key is *not* matched ... and the right key is not present, the condition is
  true"), ``...IfExists`` is true, ``ForAllValues:`` is true (also for an empty set),
  ``ForAnyValue:`` is false; ``Null`` tests presence;
* a single-valued operator against a multivalued key: a positive operator matches if any
  request value matches, a negated one if none does;
* ``ForAnyValue:`` — at least one request value satisfies the (possibly negated) operator;
  ``ForAllValues:`` — every request value does;
* a value that cannot be read as the operator's type (``NumericEquals: "abc"``, a bad date,
  CIDR or base64), in the policy or in the request, makes the condition not match; the reason
  is recorded in the decision's diagnostics;
* an unknown operator never matches (recorded).
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from . import ast
from .context import Context, ContextValue
from .matching import arn_like, compiled_glob
from .variables import Template, compile_template

SetOp = Literal["", "ForAllValues", "ForAnyValue"]
Matcher = Callable[[str], bool]


class Unparseable(Exception):
    """A request value that cannot be read as the operator's type."""


_NUM = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_EPOCH = re.compile(r"[+-]?\d+(?:\.\d+)?")


def parse_number(text: str) -> Decimal | None:
    t = text.strip()
    if not _NUM.fullmatch(t):
        return None
    try:
        return Decimal(t)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return None


@functools.lru_cache(maxsize=1024)
def parse_date(text: str) -> float | None:
    """ISO-8601 (date, date-time, with or without seconds/fractions/offset/Z; naive = UTC) or
    epoch seconds, as epoch seconds. Remembered: requests carry the same texts again and again
    (`aws:CurrentTime` changes once a second)."""
    t = text.strip()
    if not t:
        return None
    if _EPOCH.fullmatch(t):
        return float(t)
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def parse_bool(text: str) -> bool | None:
    low = text.strip().lower()
    if low == "true":
        return True
    if low == "false":
        return False
    return None


def parse_binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


IpNet = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network(text: str) -> IpNet | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@dataclass(frozen=True)
class OperatorSpec:
    family: str  # String, StringIgnoreCase, StringLike, Numeric, Date, Bool, Binary, Ip, Arn, Null
    negated: bool
    compare: str = ""  # eq, lt, le, gt, ge for Numeric/Date


_BASE: dict[str, OperatorSpec] = {
    "StringEquals": OperatorSpec("String", False),
    "StringNotEquals": OperatorSpec("String", True),
    "StringEqualsIgnoreCase": OperatorSpec("StringIgnoreCase", False),
    "StringNotEqualsIgnoreCase": OperatorSpec("StringIgnoreCase", True),
    "StringLike": OperatorSpec("StringLike", False),
    "StringNotLike": OperatorSpec("StringLike", True),
    "NumericEquals": OperatorSpec("Numeric", False, "eq"),
    "NumericNotEquals": OperatorSpec("Numeric", True, "eq"),
    "NumericLessThan": OperatorSpec("Numeric", False, "lt"),
    "NumericLessThanEquals": OperatorSpec("Numeric", False, "le"),
    "NumericGreaterThan": OperatorSpec("Numeric", False, "gt"),
    "NumericGreaterThanEquals": OperatorSpec("Numeric", False, "ge"),
    "DateEquals": OperatorSpec("Date", False, "eq"),
    "DateNotEquals": OperatorSpec("Date", True, "eq"),
    "DateLessThan": OperatorSpec("Date", False, "lt"),
    "DateLessThanEquals": OperatorSpec("Date", False, "le"),
    "DateGreaterThan": OperatorSpec("Date", False, "gt"),
    "DateGreaterThanEquals": OperatorSpec("Date", False, "ge"),
    "Bool": OperatorSpec("Bool", False),
    "BinaryEquals": OperatorSpec("Binary", False),
    "IpAddress": OperatorSpec("Ip", False),
    "NotIpAddress": OperatorSpec("Ip", True),
    "ArnEquals": OperatorSpec("Arn", False),
    "ArnLike": OperatorSpec("Arn", False),
    "ArnNotEquals": OperatorSpec("Arn", True),
    "ArnNotLike": OperatorSpec("Arn", True),
    "Null": OperatorSpec("Null", False),
}
_BASE_LOWER = {k.lower(): k for k in _BASE}
OPERATORS: tuple[str, ...] = tuple(_BASE)
_VARIABLE_FAMILIES = frozenset({"String", "StringIgnoreCase", "StringLike", "Arn"})


def split_operator(operator: str) -> tuple[SetOp, str | None, bool]:
    """(set qualifier, canonical base operator or None if unknown, IfExists)."""
    set_op: SetOp = ""
    rest = operator
    head, sep, tail = operator.partition(":")
    if sep:
        if head.lower() == "forallvalues":
            set_op = "ForAllValues"
        elif head.lower() == "foranyvalue":
            set_op = "ForAnyValue"
        else:
            return "", None, False
        rest = tail
    if_exists = False
    if rest.lower().endswith("ifexists") and rest.lower() != "ifexists":
        if_exists = True
        rest = rest[: -len("IfExists")]
    base = _BASE_LOWER.get(rest.lower())
    if base == "Null" and (if_exists or set_op):
        return set_op, None, if_exists
    return set_op, base, if_exists


def _cmp(op: str) -> Callable[[object, object], bool]:
    # (request value, policy value) -> bool
    if op == "eq":
        return lambda a, b: a == b
    if op == "lt":
        return lambda a, b: a < b  # type: ignore[operator]
    if op == "le":
        return lambda a, b: a <= b  # type: ignore[operator]
    if op == "gt":
        return lambda a, b: a > b  # type: ignore[operator]
    return lambda a, b: a >= b  # type: ignore[operator]


def _build_matcher(
    family: str, compare: str, values: Sequence[str]
) -> tuple[Matcher, tuple[str, ...]]:
    """A positive matcher over already-resolved policy values, and any policy-value errors."""
    errors: list[str] = []
    if family == "String":
        strs = frozenset(values)
        return strs.__contains__, ()
    if family == "StringIgnoreCase":
        folded = frozenset(v.casefold() for v in values)
        return (lambda v: v.casefold() in folded), ()
    if family == "StringLike":
        globs = tuple(compiled_glob(v) for v in values)
        return (lambda v: any(g.matches(v) for g in globs)), ()
    if family == "Arn":
        pats = tuple(values)
        return (lambda v: any(arn_like(p, v) for p in pats)), ()
    if family == "Numeric":
        nums = []
        for v in values:
            n = parse_number(v)
            if n is None:
                errors.append(f"not a number: {v!r}")
            else:
                nums.append(n)
        cmp = _cmp(compare)

        def numeric(v: str) -> bool:
            x = parse_number(v)
            if x is None:
                raise Unparseable(f"not a number: {v!r}")
            return any(cmp(x, n) for n in nums)

        return numeric, tuple(errors)
    if family == "Date":
        dates = []
        for v in values:
            d = parse_date(v)
            if d is None:
                errors.append(f"not a date: {v!r}")
            else:
                dates.append(d)
        dcmp = _cmp(compare)

        def date(v: str) -> bool:
            x = parse_date(v)
            if x is None:
                raise Unparseable(f"not a date: {v!r}")
            return any(dcmp(x, d) for d in dates)

        return date, tuple(errors)
    if family == "Bool":
        bools = set()
        for v in values:
            b = parse_bool(v)
            if b is None:
                errors.append(f"not a boolean: {v!r}")
            else:
                bools.add(b)

        def boolean(v: str) -> bool:
            x = parse_bool(v)
            if x is None:
                raise Unparseable(f"not a boolean: {v!r}")
            return x in bools

        return boolean, tuple(errors)
    if family == "Binary":
        blobs = set()
        for v in values:
            b64 = parse_binary(v)
            if b64 is None:
                errors.append(f"not base64: {v!r}")
            else:
                blobs.add(b64)

        def binary(v: str) -> bool:
            x = parse_binary(v)
            if x is None:
                raise Unparseable(f"not base64: {v!r}")
            return x in blobs

        return binary, tuple(errors)
    if family == "Ip":
        nets: list[IpNet] = []
        for v in values:
            net = parse_network(v)
            if net is None:
                errors.append(f"not an IP address or CIDR: {v!r}")
            else:
                nets.append(net)

        def ip(v: str) -> bool:
            try:
                addr = _ip_address(v)
            except ValueError as exc:
                raise Unparseable(f"not an IP address: {v!r}") from exc
            return any(addr.version == n.version and addr in n for n in nets)

        return ip, tuple(errors)
    raise AssertionError(family)  # pragma: no cover


@functools.lru_cache(maxsize=1024)
def _ip_address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """`aws:SourceIp` and the like: a handful of addresses asked about again and again."""
    return ipaddress.ip_address(value.strip())


@dataclass(frozen=True)
class CompiledCondition:
    clause: ast.ConditionClause
    key: str  # lower-cased
    set_op: SetOp
    base: str | None  # None: unknown operator
    if_exists: bool
    negated: bool
    family: str
    compare: str
    templates: tuple[Template, ...]  # values with policy variables (resolved per request)
    literal_values: tuple[str, ...]
    matcher: Matcher | None = field(compare=False)  # over literal_values (None: unknown/Null)
    errors: tuple[str, ...] = ()  # policy values that cannot be read: the condition never matches
    null_values: tuple[bool, ...] = ()

    def _request_matcher(self, ctx: Context) -> Matcher:
        literal = self.matcher
        assert literal is not None
        if not self.templates:
            return literal
        # A variable with no value matches nothing (its value is dropped).
        if self.family == "StringLike":
            # substituted text and ${*} ${?} ${$} are literal, not wildcards
            tms = tuple(g.matches for g in (t.glob(ctx) for t in self.templates) if g is not None)
            return lambda v: literal(v) or any(m(v) for m in tms)
        texts = [x for x in (t.text(ctx) for t in self.templates) if x is not None]
        resolved = _build_matcher(self.family, self.compare, texts)[0]
        return lambda v: literal(v) or resolved(v)

    def evaluate(self, ctx: Context, missing: list[str], diagnostics: list[str]) -> bool:
        """True if the condition is satisfied for this request."""
        if self.base is None:
            diagnostics.append(f"unknown condition operator {self.clause.operator!r}")
            return False
        if self.errors:
            diagnostics.append(
                f"{self.clause.operator} {self.clause.key}: {'; '.join(self.errors)}"
            )
            return False
        raw: ContextValue | None = ctx.lookup(self.key)
        if self.family == "Null":
            absent = raw is None or raw == ()
            return any(want == absent for want in self.null_values)
        if raw is None or raw == ():
            missing.append(self.clause.key)
            if self.set_op == "ForAllValues" or self.if_exists:
                return True
            if self.set_op == "ForAnyValue":
                return False
            return self.negated
        values: tuple[str, ...] = (raw,) if isinstance(raw, str) else raw
        if self.set_op and values == ("",):
            # "If the key values in the request resolve to an empty data set (for example, an
            # empty string), ForAllValues returns true, and ForAnyValue returns false."
            return self.set_op == "ForAllValues" or self.if_exists
        match = self._request_matcher(ctx)
        neg = self.negated
        try:
            if self.set_op == "ForAllValues":
                return all(match(v) != neg for v in values)
            if self.set_op == "ForAnyValue":
                return any(match(v) != neg for v in values)
            hit = any(match(v) for v in values)
        except Unparseable as exc:
            diagnostics.append(f"{self.clause.operator} {self.clause.key}: {exc}")
            return False
        return hit != neg


def compile_condition(clause: ast.ConditionClause, variables_enabled: bool) -> CompiledCondition:
    set_op, base, if_exists = split_operator(clause.operator)
    if base is None:
        return CompiledCondition(
            clause, clause.key.lower(), set_op, None, if_exists, False, "", "", (), (), None
        )
    spec = _BASE[base]
    if spec.family == "Null":
        nulls: list[bool] = []
        errors: list[str] = []
        for v in clause.values:
            b = parse_bool(v)
            if b is None:
                errors.append(f"not a boolean: {v!r}")
            else:
                nulls.append(b)
        return CompiledCondition(
            clause, clause.key.lower(), set_op, base, False, False, "Null", "",
            (), tuple(clause.values), None, tuple(errors), tuple(nulls),
        )  # fmt: skip
    templates: list[Template] = []
    literals: list[str] = []
    allow_vars = variables_enabled and spec.family in _VARIABLE_FAMILIES
    for v in clause.values:
        t = compile_template(v, allow_vars)
        if t is None:
            literals.append(v)
        else:
            templates.append(t)
    matcher, errors_t = _build_matcher(spec.family, spec.compare, literals)
    return CompiledCondition(
        clause, clause.key.lower(), set_op, base, if_exists, spec.negated, spec.family,
        spec.compare, tuple(templates), tuple(literals), matcher, errors_t,
    )  # fmt: skip
