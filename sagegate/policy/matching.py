"""Wildcard matching for the IAM policy language, compiled once.

Follows *IAM JSON policy elements: Action* and *Resource* (``*`` matches any run of characters,
``?`` exactly one, in any position; actions compare case-insensitively, resource ARNs
case-sensitively, and a wildcard in ``Resource`` may span ``:``) and the ARN condition operators
(*IAM JSON policy elements: Condition operators*, "ARN condition operators": each of the six
colon-delimited components is checked separately, with ``*`` and ``?`` inside a component).

A :class:`Glob` classifies its pattern when it is built so the hot path is an ``==``, a
``startswith``, a constant or, only when needed, a precompiled regular expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

GlobKind = Literal["any", "exact", "prefix", "regex"]


def glob_to_regex(pattern: str) -> str:
    """The regular-expression text for an IAM wildcard pattern (``*`` and ``?`` only)."""
    out: list[str] = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return "".join(out)


@dataclass(frozen=True)
class Glob:
    """A compiled ``*``/``?`` pattern. With ``ignore_case`` the pattern is stored lower-cased and
    callers pass lower-cased input (actions are lower-cased once per request)."""

    pattern: str
    ignore_case: bool = False
    kind: GlobKind = field(init=False, compare=False)
    text: str = field(init=False, compare=False)
    regex: re.Pattern[str] | None = field(init=False, compare=False, default=None)

    def __post_init__(self) -> None:
        pat = self.pattern.lower() if self.ignore_case else self.pattern
        kind: GlobKind
        regex: re.Pattern[str] | None = None
        text = pat
        if pat == "*":
            kind = "any"
        elif "*" not in pat and "?" not in pat:
            kind = "exact"
        elif pat.endswith("*") and "*" not in pat[:-1] and "?" not in pat:
            kind = "prefix"
            text = pat[:-1]
        else:
            kind = "regex"
            regex = _compiled(glob_to_regex(pat))
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "regex", regex)

    def matches(self, value: str) -> bool:
        """True if `value` (already lower-cased when `ignore_case`) matches the whole pattern."""
        kind = self.kind
        if kind == "exact":
            return value == self.text
        if kind == "any":
            return True
        if kind == "prefix":
            return value.startswith(self.text)
        assert self.regex is not None
        return self.regex.fullmatch(value) is not None


@lru_cache(maxsize=8192)
def _compiled(regex_text: str) -> re.Pattern[str]:
    return re.compile(regex_text, re.DOTALL)


@lru_cache(maxsize=8192)
def compiled_glob(pattern: str, ignore_case: bool = False) -> Glob:
    """A cached :class:`Glob`, for patterns only known per request (resolved policy variables)."""
    return Glob(pattern, ignore_case)


def like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """``StringLike`` semantics: the whole of `value` matches the ``*``/``?`` pattern."""
    if ignore_case:
        return compiled_glob(pattern.lower(), True).matches(value.lower())
    return compiled_glob(pattern).matches(value)


def split_arn(arn: str) -> tuple[str, ...] | None:
    """The six components of an ARN (the last keeps any further colons), or None if it has
    fewer than six."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return None
    return tuple(parts)


def arn_like(pattern: str, value: str) -> bool:
    """``ArnLike``/``ArnEquals``: component by component, case-sensitive, wildcards allowed in
    each component but never spanning a ``:`` between the first five components."""
    pat_parts = split_arn(pattern)
    val_parts = split_arn(value)
    if pat_parts is None or val_parts is None:
        return False
    for p, v in zip(pat_parts, val_parts, strict=True):
        if p == v:
            continue
        if not compiled_glob(p).matches(v):
            return False
    return True
