"""Constraint validation of parsed input against the botocore input shape (step 4).

Checks what the model states: ``required`` members, string/blob/list/map ``min``/``max``
length, integer/float ``min``/``max`` value, ``enum`` and ``pattern``.  Messages follow AWS's
Coral validator, e.g.::

    1 validation error detected: Value 'x y' at 'userName' failed to satisfy constraint:
    Member must satisfy regular expression pattern: [\\w+=,.@-]+

* paths name members in camelCase (first letter lower-cased) joined by ``.``; list elements
  are ``<list>.<N>.member`` (1-based), so ``policyArns.1.member.arn``;
* a missing required member is ``Value null at '<path>' failed to satisfy constraint: Member
  must not be null``;
* values of ``sensitive`` shapes are never echoed: ``Value at '<path>' failed ...``;
* map keys/values are reported at the map's path as ``Map keys must satisfy constraint: [..]``
  / ``Map value must satisfy constraint: [..]``;
* lengths count UTF-16 code units, as Java does.

The code is ``ValidationError`` for awsquery services (IAM, STS) and ``ValidationException``
for awsjson ones (SageMaker).

Patterns in the models are Java regexes, matched in full (``String.matches``).  They are run
with the ``regex`` package after a small translation of what differs: ``\\w``, ``\\d``, ``\\s``
(and their negations) are ASCII-only in Java, ``\\p{Alnum}`` and the other POSIX classes are
ASCII, and surrogate pairs written ``\\uD800\\uDC00`` mean one supplementary code point.  The
``regex`` VERSION1 syntax is used because, like Java, it allows nested sets (``[[^a]b]``) and
``&&`` intersection inside a character class.  A pattern that still does not
compile is skipped (never a 500), and each is compiled once.
"""

from __future__ import annotations

import functools
import re as _re
from collections.abc import Mapping
from typing import Any

import regex
from botocore.model import OperationModel

from .errors import ValidationError
from .models import Node, input_plan

__all__ = ["validate", "check", "compile_java_pattern", "ValidationError"]

_POSIX = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Space": " \\t\\n\\x0B\\f\\r",
    "XDigit": "0-9a-fA-F",
}
_SHORTHAND = {"w": "a-zA-Z0-9_", "d": "0-9", "s": " \\t\\n\\x0B\\f\\r"}
_SURROGATE_PAIR = _re.compile(r"\\u(D[89AB][0-9A-Fa-f]{2})\\u(D[C-Fc-f][0-9A-Fa-f]{2})")


def _java_to_python(pattern: str) -> str:
    def pair(m: _re.Match[str]) -> str:
        hi, lo = int(m.group(1), 16), int(m.group(2), 16)
        return f"\\U{0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00):08X}"

    pattern = _SURROGATE_PAIR.sub(pair, pattern)
    out: list[str] = []
    in_class = 0
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            e = pattern[i + 1]
            if e in _SHORTHAND:
                chars = _SHORTHAND[e]
                out.append(chars if in_class else f"[{chars}]")
                i += 2
                continue
            if e.lower() in _SHORTHAND and e.isupper():  # \W \D \S: a nested negated set
                out.append(f"[^{_SHORTHAND[e.lower()]}]")
                i += 2
                continue
            if e == "p" and i + 2 < n and pattern[i + 2] == "{":
                end = pattern.find("}", i + 3)
                name = pattern[i + 3 : end] if end > 0 else ""
                if name in _POSIX:
                    chars = _POSIX[name]
                    out.append(chars if in_class else f"[{chars}]")
                    i = end + 1
                    continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[":
            in_class += 1
        elif c == "]" and in_class:
            in_class -= 1
        out.append(c)
        i += 1
    return "".join(out)


_compiled: dict[str, Any] = {}


def compile_java_pattern(pattern: str) -> Any:
    """The compiled ``regex`` for a model's Java pattern (cached), or None if untranslatable."""
    try:
        return _compiled[pattern]
    except KeyError:
        pass
    try:
        compiled: Any = regex.compile(_java_to_python(pattern), flags=regex.VERSION1)
    except regex.error:
        compiled = None
    _compiled[pattern] = compiled
    return compiled


def validate(op: OperationModel, params: Mapping[str, Any]) -> None:
    """Raise :class:`ValidationError` listing every constraint ``params`` violates."""
    plan = input_plan(op.service_model.service_name, op.name)
    if plan is None:
        return
    errors = check(plan, params)
    if errors:
        code = "ValidationException" if op.metadata.get("protocol") == "json" else "ValidationError"
        raise ValidationError(errors, code=code)


def check(plan: Node, params: Mapping[str, Any]) -> list[str]:
    """The violation messages of ``params`` against a structure plan (empty when valid)."""
    errors: list[str] = []
    _check_structure(plan, params, "", errors)
    return errors


@functools.lru_cache(maxsize=4096)
def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _check_structure(node: Node, value: Mapping[str, Any], path: str, errors: list[str]) -> None:
    prefix = f"{path}." if path else ""
    for name in node.required:
        if value.get(name) is None:
            errors.append(
                f"Value null at '{prefix}{_camel(name)}' failed to satisfy constraint: "
                "Member must not be null"
            )
    members = node.members
    for name, member_value in value.items():
        found = members.get(name)
        if found is None or member_value is None:
            continue
        _check(found[1], member_value, prefix + _camel(name), errors)


def _java_len(value: str) -> int:
    if value.isascii():
        return len(value)
    return len(value.encode("utf-16-le")) // 2


def _shown(node: Node, value: Any) -> str:
    if node.sensitive:
        return "Value"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = "[" + ", ".join(str(v) for v in value) + "]"
    elif isinstance(value, bytes):
        text = "java.nio.HeapByteBuffer"
    else:
        text = str(value)
    return f"Value '{text}'"


def _constraints(node: Node, value: Any) -> list[str]:
    """The failed constraints of one value (structure members and items are walked apart)."""
    failed: list[str] = []
    kind = node.kind
    if kind in ("string", "blob", "list", "map"):
        length = _java_len(value) if isinstance(value, str) else len(value)
        if node.min is not None and length < node.min:
            failed.append(f"Member must have length greater than or equal to {node.min}")
        if node.max is not None and length > node.max:
            failed.append(f"Member must have length less than or equal to {node.max}")
    elif kind in ("integer", "float") and not isinstance(value, bool):
        if node.min is not None and value < node.min:
            failed.append(f"Member must have value greater than or equal to {node.min}")
        if node.max is not None and value > node.max:
            failed.append(f"Member must have value less than or equal to {node.max}")
    if kind == "string" and isinstance(value, str):
        if node.enum_set is not None and value not in node.enum_set:
            failed.append(
                "Member must satisfy enum value set: [" + ", ".join(node.enum or ()) + "]"
            )
        if node.pattern is not None:
            compiled = compile_java_pattern(node.pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                failed.append(f"Member must satisfy regular expression pattern: {node.pattern}")
    return failed


# Strings remembered per shape as meeting its constraints (a shape's constraints never change,
# and requests repeat the same role ARNs, instance types and tag keys): at most this many each.
MAX_REMEMBERED = 1024


def _check(node: Node, value: Any, path: str, errors: list[str]) -> None:
    kind = node.kind
    if kind == "structure":
        if isinstance(value, Mapping):
            _check_structure(node, value, path, errors)
        return
    if kind == "string" and type(value) is str:
        valid = node.valid
        if value in valid:
            return
        failed = _constraints(node, value)
        if not failed:
            if len(valid) >= MAX_REMEMBERED:
                valid.clear()
            valid.add(value)
            return
    else:
        failed = _constraints(node, value)
    for text in failed:
        errors.append(f"{_shown(node, value)} at '{path}' failed to satisfy constraint: {text}")
    if kind == "list" and isinstance(value, list):
        item = node.item
        assert item is not None
        for i, element in enumerate(value, 1):
            if element is not None:
                _check(item, element, f"{path}.{i}.member", errors)
    elif kind == "map" and isinstance(value, Mapping):
        key_node, value_node = node.key, node.value
        assert key_node is not None and value_node is not None
        key_failed: list[str] = []
        value_failed: list[str] = []
        for key, element in value.items():
            for failed in _constraints(key_node, key):
                if failed not in key_failed:
                    key_failed.append(failed)
            if element is None:
                continue
            if value_node.kind in ("structure", "list", "map"):
                _check(value_node, element, f"{path}.{key}", errors)
            else:
                for failed in _constraints(value_node, element):
                    if failed not in value_failed:
                        value_failed.append(failed)
        if key_failed:
            errors.append(
                f"Value at '{path}' failed to satisfy constraint: Map keys must satisfy "
                f"constraint: [{', '.join(key_failed)}]"
            )
        if value_failed:
            errors.append(
                f"Value at '{path}' failed to satisfy constraint: Map value must satisfy "
                f"constraint: [{', '.join(value_failed)}]"
            )
