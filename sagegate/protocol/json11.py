"""AWS JSON 1.1 protocol (awsJson1_1): SageMaker requests, responses and errors.

Follows the Smithy ``aws.protocols#awsJson1_1`` specification and botocore's
``JSONSerializer`` / ``JSONParser``: the operation is named by ``X-Amz-Target`` (resolved in
:mod:`.resolve`), the body is a JSON object keyed by member names, timestamps are epoch
seconds (ISO-8601 strings are also accepted on input), blobs are base64 strings.  Errors are
``{"__type": "<Code>", "Message": ".."}`` with the code repeated in the ``x-amzn-ErrorType``
header; a body that is not JSON, or a value of the wrong JSON type, is AWS's
``SerializationException``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import orjson
from botocore.model import OperationModel

from .errors import ServiceError, common_error
from .models import Node, input_plan, output_plan
from .query import SerializationError, parse_timestamp

CONTENT_TYPE = "application/x-amz-json-1.1"
ERROR_TYPE_HEADER = "x-amzn-ErrorType"

_NON_FINITE = frozenset({"Infinity", "-Infinity", "NaN"})  # botocore sends these as strings
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def _serialization_error(message: str) -> ServiceError:
    return common_error("SerializationException", message)


# ----------------------------------------------------------------------------- request parsing


def parse_json_request(op: OperationModel, body: bytes) -> dict[str, Any]:
    """Parse a JSON 1.1 request body into a dict keyed by the input shape's member names.
    ``null`` members are treated as absent; unknown members are ignored."""
    plan = input_plan(op.service_model.service_name, op.name)
    if not body.strip():
        data: Any = {}
    else:
        try:
            data = _decode(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise _serialization_error("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise _serialization_error("The request body must be a JSON object.")
    if plan is None:
        return {}
    try:
        return _parse_structure(plan, data, "")
    except RecursionError:
        raise _serialization_error("The request body is nested too deeply.") from None


# Digits made "0": a run of 19 of them is a number orjson may read otherwise (below).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19
_MAX_ORJSON_NESTING = 500  # brackets in all: well within what `json` reads too


def _decode(body: bytes) -> Any:
    """`json.loads(body)`, by orjson where it reads the same. It refuses what `json` takes
    beyond JSON (NaN, Infinity, an exponent past the float range, a lone surrogate escape, a
    byte order mark, UTF-16): `json` reads those. An integer beyond 64 bits it reads as a float:
    a body with 19 digits in a row (anywhere) goes to `json` too; and so does one that may nest
    deeper than `json` can (orjson reads 1,024 levels, `json` as deep as the stack allows)."""
    nesting = body.count(b"[") + body.count(b"{")
    if nesting < _MAX_ORJSON_NESTING and _NINETEEN_DIGITS not in body.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body)


def _parse(node: Node, value: Any, path: str) -> Any:
    kind = node.kind
    if kind == "structure":
        if not isinstance(value, dict):
            raise _type_error(node, path, "an object")
        return _parse_structure(node, value, path)
    if kind == "list":
        if not isinstance(value, list):
            raise _type_error(node, path, "an array")
        item = node.item
        assert item is not None
        return [
            None if v is None else _parse(item, v, f"{path}.{i}") for i, v in enumerate(value, 1)
        ]
    if kind == "map":
        if not isinstance(value, dict):
            raise _type_error(node, path, "an object")
        val = node.value
        assert val is not None
        return {k: None if v is None else _parse(val, v, f"{path}.{k}") for k, v in value.items()}
    if kind == "string":
        if not isinstance(value, str):
            raise _type_error(node, path, "a string")
        return value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise _type_error(node, path, "an integer")
        return value
    if kind == "float":
        if isinstance(value, str) and value in _NON_FINITE:
            return float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(node, path, "a number")
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _type_error(node, path, "a boolean")
        return value
    if kind == "timestamp":
        try:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return dt.datetime.fromtimestamp(value, dt.UTC)
            if isinstance(value, str):
                return parse_timestamp(value)
        except (ValueError, OverflowError, OSError):
            pass
        raise _type_error(node, path, "a timestamp")
    if kind == "blob":
        if isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except (ValueError, binascii.Error):
                pass
        raise _type_error(node, path, "a base64 string")
    return value


def _parse_structure(node: Node, data: dict[str, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    wire = node.wire
    for name, value in data.items():
        found = wire.get(name)
        if found is None or value is None:
            continue
        member_name, child = found
        if type(value) is str and child.kind == "string":  # most members: nothing to convert
            out[member_name] = value
        else:
            out[member_name] = _parse(child, value, f"{path}.{name}" if path else name)
    return out


def _type_error(node: Node, path: str, expected: str) -> ServiceError:
    return _serialization_error(f"Value at '{path}' must be {expected} ({node.name}).")


# ------------------------------------------------------------------------ response serializing


def serialize_json_response(
    op: OperationModel, result: Mapping[str, Any], *, strict: bool = False
) -> bytes:
    """The JSON body of a successful ``op`` response (``{}`` for operations without output).
    ``None`` values are omitted; with ``strict`` unknown keys raise SerializationError."""
    plan = output_plan(op.service_model.service_name, op.name)
    if plan is None:
        return b"{}"
    return _encode(_to_json(plan, result, strict))


# Types `json` refuses that orjson would write: left to `json` (which refuses them).
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _encode(value: Any) -> bytes:
    """`_dumps(value)` in UTF-8, by orjson where it writes the same: the same bytes but for a
    float of magnitude below 1e-4, which it writes in another notation of the same number
    (0.00006103515625 and 5.9e-8 for 6.103515625e-05 and 5.9e-08). What orjson does not
    take (an integer beyond 64 bits, a lone surrogate) or writes otherwise (a non-finite float
    as null, which `_dumps` refuses) goes to `_dumps`, as does anything with a null."""
    try:
        raw = orjson.dumps(value, option=_PASSTHROUGH)
    except TypeError:
        raw = b"null"
    return _dumps(value).encode("utf-8") if b"null" in raw else raw


def _to_json(node: Node, value: Any, strict: bool) -> Any:
    kind = node.kind
    if kind == "string" and type(value) is str:
        return value
    if kind == "structure":
        if not isinstance(value, Mapping):
            raise SerializationError(f"{node.name}: expected a dict, got {type(value).__name__}")
        members = node.members
        if strict:
            unknown = value.keys() - members.keys()
            if unknown:
                raise SerializationError(f"{node.name}: unknown members {sorted(unknown)}")
        out: dict[str, Any] = {}
        for member_name, member_value in value.items():
            if member_value is None:
                continue
            found = members.get(member_name)
            if found is None:
                continue
            wire_name, child = found
            out[wire_name] = _to_json(child, member_value, strict)
        return out
    if kind == "list":
        item = node.item
        assert item is not None
        if isinstance(value, str | bytes | Mapping):
            raise SerializationError(f"{node.name}: expected a list, got {type(value).__name__}")
        return [_to_json(item, v, strict) for v in value]
    if kind == "map":
        val = node.value
        assert val is not None
        if not isinstance(value, Mapping):
            raise SerializationError(f"{node.name}: expected a dict, got {type(value).__name__}")
        return {k: _to_json(val, v, strict) for k, v in value.items() if v is not None}
    if kind == "timestamp":
        return epoch_seconds(value)
    if kind == "blob":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    if kind == "string" and not isinstance(value, str):
        raise SerializationError(f"{node.name}: expected str, got {type(value).__name__}")
    if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        raise SerializationError(f"{node.name}: expected int, got {type(value).__name__}")
    if kind == "boolean" and not isinstance(value, bool):
        raise SerializationError(f"{node.name}: expected bool, got {type(value).__name__}")
    if kind == "float":
        return float(value)
    return value


def epoch_seconds(value: Any) -> int | float:
    """A timestamp as JSON epoch seconds (integral seconds stay ints, otherwise a float with
    microsecond precision).  Accepts datetimes (naive = UTC), numbers, ISO-8601 strings."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if isinstance(value, float) else int(value)
    if isinstance(value, str):
        value = parse_timestamp(value)
    if not isinstance(value, dt.datetime):
        raise SerializationError(f"timestamp: expected datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    # timestamp() divides the exact microsecond count once, like botocore's serializer
    seconds: float = value.timestamp()
    return seconds if value.microsecond else int(seconds)


# ------------------------------------------------------------------------------------- errors


def serialize_json_error(code: str, message: str) -> bytes:
    """``{"__type": code, "Message": message}``; send ``code`` in :data:`ERROR_TYPE_HEADER`
    too (see :func:`json_error_headers`)."""
    return _dumps({"__type": code, "Message": message}).encode("utf-8")


def json_error_headers(code: str) -> dict[str, str]:
    """Headers of a JSON 1.1 error response: content type and ``x-amzn-ErrorType``."""
    return {"Content-Type": CONTENT_TYPE, ERROR_TYPE_HEADER: code}
