"""Policy variables (*IAM policy elements: Variables and tags*).

A string from a ``Resource``/``NotResource`` entry or a string/ARN condition value is compiled
once into a :class:`Template`: literal text, ``${key}`` / ``${key, 'default'}`` references and
the fixed escapes ``${*}``, ``${?}``, ``${$}`` (a literal ``*``, ``?``, ``$``). Variables are only
recognised in documents with ``"Version": "2012-10-17"``; otherwise the text is literal.

Resolution follows the page's rules: key names are case-insensitive; a key that is missing from
the request context, or is multivalued, has *no value*; then the default is used if one is given,
otherwise the whole template is unresolvable (returns None) — AWS: "the resource that includes a
policy variable with no value will not match any resource", and ``StringEquals``/``StringLike``
"do not match" such a value while ``StringNotEquals``/``StringNotLike`` do.

A resolved template is produced in two forms: plain text (for equality operators) and a wildcard
pattern in which substituted text and escapes are protected, so a ``*`` that came from a
variable or from ``${*}`` matches only a literal ``*`` (for ``Like`` operators and ``Resource``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from .matching import glob_to_regex


class ValueSource(Protocol):
    """What a template needs from the request context."""

    def lookup(self, key: str) -> str | tuple[str, ...] | None: ...


@dataclass(frozen=True)
class Literal:
    text: str  # may contain the wildcards * and ?


@dataclass(frozen=True)
class Escape:
    char: str  # one of * ? $ — always literal


@dataclass(frozen=True)
class Var:
    key: str  # lower-cased
    default: str | None = None


Part = Literal | Escape | Var

_VAR_BODY = re.compile(r"\s*([^\s,'{}]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$")


def _parse(text: str) -> tuple[Part, ...]:
    parts: list[Part] = []
    buf: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        if text.startswith("${", i):
            end = text.find("}", i + 2)
            if end != -1:
                body = text[i + 2 : end]
                part: Part | None = None
                if body in ("*", "?", "$"):
                    part = Escape(body)
                else:
                    m = _VAR_BODY.match(body)
                    if m is not None:
                        default = m.group(2)
                        part = Var(
                            m.group(1).lower(),
                            None if default is None else default.replace("''", "'"),
                        )
                if part is not None:
                    if buf:
                        parts.append(Literal("".join(buf)))
                        buf = []
                    parts.append(part)
                    i = end + 1
                    continue
        buf.append(text[i])
        i += 1
    if buf:
        parts.append(Literal("".join(buf)))
    return tuple(parts)


@dataclass(frozen=True)
class Template:
    """A string with policy variables, parsed once."""

    source: str
    parts: tuple[Part, ...]
    _cache: dict[tuple[bool, tuple[str, ...]], Matcher] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.parts if isinstance(p, Var))

    def _values(self, ctx: ValueSource) -> tuple[str, ...] | None:
        out: list[str] = []
        for p in self.parts:
            if isinstance(p, Var):
                v = ctx.lookup(p.key)
                if isinstance(v, str):
                    out.append(v)
                elif p.default is not None:
                    out.append(p.default)
                else:
                    return None
        return tuple(out)

    def text(self, ctx: ValueSource) -> str | None:
        """The resolved text (escapes become their literal character), or None if unresolvable."""
        values = self._values(ctx)
        if values is None:
            return None
        it = iter(values)
        chunks: list[str] = []
        for p in self.parts:
            if isinstance(p, Literal):
                chunks.append(p.text)
            elif isinstance(p, Escape):
                chunks.append(p.char)
            else:
                chunks.append(next(it))
        return "".join(chunks)

    def glob(self, ctx: ValueSource, ignore_case: bool = False) -> Matcher | None:
        """A matcher for the resolved pattern: wildcards only in the literal parts; None if a
        variable has no value. Matchers are cached per resolved values."""
        values = self._values(ctx)
        if values is None:
            return None
        key = (ignore_case, values)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        it = iter(values)
        chunks: list[str] = []
        for p in self.parts:
            if isinstance(p, Literal):
                chunks.append(glob_to_regex(p.text.lower() if ignore_case else p.text))
            elif isinstance(p, Escape):
                chunks.append(re.escape(p.char))
            else:
                v = next(it)
                chunks.append(re.escape(v.lower() if ignore_case else v))
        hit = _regex_glob("".join(chunks))
        if len(self._cache) >= 1024:
            self._cache.clear()
        self._cache[key] = hit
        return hit


@dataclass(frozen=True)
class Matcher:
    regex: re.Pattern[str]

    def matches(self, value: str) -> bool:
        return self.regex.fullmatch(value) is not None


_REGEX_CACHE: dict[str, Matcher] = {}


def _regex_glob(regex_text: str) -> Matcher:
    g = _REGEX_CACHE.get(regex_text)
    if g is None:
        if len(_REGEX_CACHE) > 8192:
            _REGEX_CACHE.clear()
        g = Matcher(re.compile(regex_text, re.DOTALL))
        _REGEX_CACHE[regex_text] = g
    return g


def compile_template(text: str, enabled: bool) -> Template | None:
    """A Template if `text` uses policy variables (and they are enabled), else None."""
    if not enabled or "${" not in text:
        return None
    parts = _parse(text)
    if all(isinstance(p, Literal) for p in parts):
        return None
    return Template(text, parts)
