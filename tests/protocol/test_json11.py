"""JSON 1.1 response bytes: orjson where it writes what the json module writes."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sagegate.protocol import json11


@dataclass
class Shape:
    x: int


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(min_value=1e-4, max_value=1e300)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(_JSON_VALUES)
def test_response_bytes_are_the_json_modules(value: Any) -> None:
    """orjson writes the response where it writes what `json` writes; anything else (big
    integers, lone surrogates, non-finite floats) is `json`'s: its bytes or its error. Floats
    below 1e-4 are left out: orjson writes them in another notation of the same number."""

    def tiny(v: Any) -> bool:
        if isinstance(v, float):
            return v != 0 and abs(v) < 1e-4
        if isinstance(v, list):
            return any(tiny(x) for x in v)
        if isinstance(v, dict):
            return any(tiny(x) for x in v.values())
        return False

    assume(not tiny(value))
    try:
        expected: bytes | type[Exception] = json.dumps(
            value, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")
    except (ValueError, UnicodeEncodeError) as e:
        expected = type(e)
    try:
        got: bytes | type[Exception] = json11._encode(value)
    except (ValueError, UnicodeEncodeError) as e:
        got = type(e)
    assert got == expected


def _same(a: Any, b: Any) -> bool:
    return repr(a) == repr(b) and type(a) is type(b)


@settings(max_examples=500, deadline=None)
@given(
    _JSON_VALUES | st.dictionaries(st.text(), _JSON_VALUES),
    st.booleans(),
    st.sampled_from([None, 1, "\t"]),
)
def test_request_bodies_read_as_the_json_module_reads_them(
    value: Any, ascii_only: bool, indent: Any
) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    raw = body.encode("utf-8", "surrogatepass")
    assert _same(json11._decode(raw), json.loads(raw))


@pytest.mark.parametrize(
    "raw",
    [
        b"123456789012345678901",  # beyond 64 bits: orjson would read a float
        b'{"n": -9223372036854775809}',
        b'{"n": 18446744073709551616}',
        b'{"n": NaN, "i": -Infinity}',
        b"1E400",
        b'{"s": "\\ud800"}',
        b"\xef\xbb\xbf{}",
        '{"s": "é"}'.encode("utf-16"),
        b'{"a": 1, "a": 2}',
    ],
)
def test_what_orjson_reads_otherwise_is_read_by_json(raw: bytes) -> None:
    assert _same(json11._decode(raw), json.loads(raw))


@pytest.mark.parametrize("depth", [10, 499, 600, 1023, 1025, 5000])
def test_deep_nesting_reads_as_json_reads_it(depth: int) -> None:
    raw = b"[" * depth + b"]" * depth

    def outcome(read: Any) -> Any:
        try:
            return repr(read(raw))
        except RecursionError:
            return RecursionError

    assert outcome(json11._decode) == outcome(json.loads)


def test_what_json_refuses_to_write_it_still_refuses() -> None:
    for value in ({"at": dt.datetime(2026, 1, 1)}, {"x": Shape(1)}):
        with pytest.raises(TypeError):
            json11._encode(value)
