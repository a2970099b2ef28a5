"""AWS Query protocol (awsquery): form-encoded requests, XML responses and errors (IAM, STS).

Follows the Smithy ``aws.protocols#awsQuery`` specification and botocore's ``QuerySerializer``
/ ``QueryParser`` (the client side of the same wire):

* request parameters are flattened into dotted names: structures ``A.B``, lists
  ``Name.member.N`` (1-based), maps ``Name.entry.N.key`` / ``Name.entry.N.value``; an empty
  list is sent as ``Name=`` (so forms must be parsed with ``keep_blank_values=True``);
* responses are ``<{Op}Response xmlns=..><{Op}Result>..</{Op}Result><ResponseMetadata>
  <RequestId>..</RequestId></ResponseMetadata></{Op}Response>``; timestamps ISO-8601 UTC,
  booleans ``true``/``false``, blobs base64;
* IAM policy documents (shape ``policyDocumentType``) appear URL-encoded in responses
  (botocore's ``json_decode_policies`` handler URL-decodes and JSON-loads them).  Handlers
  return the plain JSON text; this serializer does the URL-encoding.

Parameters the model does not define are ignored (AWS's query front end ignores unknown
parameters such as the SigV4 ``X-Amz-*`` query parameters of presigned requests).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape as _xml_escape

from botocore.model import OperationModel

from sagegate.policy import iso_time

from .errors import ServiceError, common_error
from .models import Node, input_plan, output_plan, xml_namespace

POLICY_DOCUMENT_SHAPE = "policyDocumentType"
_VALUE = ""  # key under which a form-tree node keeps its own value


# ----------------------------------------------------------------------------- request parsing


def _form_tree(form: Mapping[str, list[str]]) -> dict[str, Any]:
    """``{"A.member.1.B": ["x"]}`` -> ``{"A": {"member": {"1": {"B": {"": "x"}}}}}``."""
    root: dict[str, Any] = {}
    for key, values in form.items():
        if not values:
            continue
        node = root
        for part in key.split("."):
            if not part:  # "A..B" or a trailing dot: not a name any model defines
                break
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            node = child
        else:
            node[_VALUE] = values[0]
    return root


def parse_query_request(op: OperationModel, form: Mapping[str, list[str]]) -> dict[str, Any]:
    """Parse a form (``Action``, ``Version`` and the operation's parameters) into a dict keyed
    by the model's member names.  Raises ServiceError(``InvalidParameterValue``) for a value
    that cannot be converted to its shape's type; unknown parameters are ignored."""
    plan = input_plan(op.service_model.service_name, op.name)
    if plan is None:
        return {}
    try:
        return _parse_structure(plan, _form_tree(form), "")
    except RecursionError:
        raise common_error("MalformedQueryString", "Parameters are nested too deeply.") from None


def _parse(node: Node, tree: dict[str, Any], path: str) -> Any:
    kind = node.kind
    if kind == "structure":
        return _parse_structure(node, tree, path)
    if kind == "list":
        return _parse_list(node, tree, path)
    if kind == "map":
        return _parse_map(node, tree, path)
    value = tree.get(_VALUE)
    if value is None:  # only children ("A.x=1" where A is a scalar): not a value
        raise _bad_value(node, path, None)
    return _parse_scalar(node, value, path)


def _parse_structure(node: Node, tree: dict[str, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    wire = node.wire
    for name, sub in tree.items():
        found = wire.get(name)
        if found is None:
            continue
        member_name, child = found
        out[member_name] = _parse(child, sub, f"{path}.{name}" if path else name)
    return out


def _indexed(tree: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    items = []
    for index, sub in tree.items():
        if index.isdigit():
            items.append((int(index), sub))
    items.sort(key=lambda pair: pair[0])
    return items


def _parse_list(node: Node, tree: dict[str, Any], path: str) -> list[Any]:
    items_tree = tree if node.flattened else tree.get(node.item_name, {})
    item = node.item
    assert item is not None
    return [_parse(item, sub, f"{path}.{node.item_name}.{i}") for i, sub in _indexed(items_tree)]


def _parse_map(node: Node, tree: dict[str, Any], path: str) -> dict[Any, Any]:
    entries = tree if node.flattened else tree.get("entry", {})
    key_node, value_node = node.key, node.value
    assert key_node is not None and value_node is not None
    out: dict[Any, Any] = {}
    for i, sub in _indexed(entries):
        key_tree = sub.get(node.key_name)
        if key_tree is None:
            continue
        entry_path = f"{path}.entry.{i}"
        key = _parse(key_node, key_tree, f"{entry_path}.{node.key_name}")
        value_tree = sub.get(node.value_name)
        out[key] = (
            _parse(value_node, value_tree, f"{entry_path}.{node.value_name}")
            if value_tree is not None
            else None
        )
    return out


def _parse_scalar(node: Node, value: str, path: str) -> Any:
    kind = node.kind
    if kind == "string":
        return value
    try:
        if kind == "integer":
            return int(value)
        if kind == "boolean":
            lowered = value.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            raise ValueError(value)
        if kind == "float":
            return float(value)
        if kind == "timestamp":
            return parse_timestamp(value)
        if kind == "blob":
            return base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise _bad_value(node, path, value) from None
    return value


def _bad_value(node: Node, path: str, value: str | None) -> ServiceError:
    shown = "***" if node.sensitive or value is None else value
    return common_error(
        "InvalidParameterValue",
        f"Value ({shown}) for parameter {path} is invalid. Expected: {node.kind}.",
    )


def parse_timestamp(value: str) -> dt.datetime:
    """ISO-8601 (``2026-11-27T20:00:00Z``, fractions and offsets allowed) or epoch seconds,
    to an aware UTC datetime."""
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        parsed = dt.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=dt.UTC)
        return parsed.astimezone(dt.UTC)
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


# ------------------------------------------------------------------------ response serializing


class SerializationError(ValueError):
    """A handler returned a value the output shape cannot carry (a bug in the handler)."""


def serialize_query_response(
    op: OperationModel, result: Mapping[str, Any], request_id: str, *, strict: bool = False
) -> bytes:
    """The XML body of a successful ``op`` response.  ``result`` is keyed by the output
    shape's member names; ``None`` values are omitted.  With ``strict`` unknown keys raise
    SerializationError (tests and development); otherwise they are dropped."""
    service = op.service_model.service_name
    plan = output_plan(service, op.name)
    name = op.name
    out = [f'<{name}Response xmlns="{xml_namespace(service)}">']
    if plan is not None:
        wrapper = op.output_shape.serialization.get("resultWrapper", f"{name}Result")
        out.append(f"<{wrapper}>")
        _write_members(plan, result, out, strict)
        out.append(f"</{wrapper}>")
    out.append(
        f"<ResponseMetadata><RequestId>{_xml_escape(request_id)}</RequestId></ResponseMetadata>"
    )
    out.append(f"</{name}Response>")
    return "".join(out).encode("utf-8")


def _write_members(node: Node, value: Mapping[str, Any], out: list[str], strict: bool) -> None:
    if not isinstance(value, Mapping):
        raise SerializationError(f"{node.name}: expected a dict, got {type(value).__name__}")
    members = node.members
    if strict:
        unknown = value.keys() - members.keys()
        if unknown:
            raise SerializationError(f"{node.name}: unknown members {sorted(unknown)}")
    for member_name, (wire_name, child) in members.items():
        member_value = value.get(member_name)
        if member_value is not None:
            _write(child, wire_name, member_value, out, strict)


def _write(node: Node, tag: str, value: Any, out: list[str], strict: bool) -> None:
    kind = node.kind
    if kind == "string" and type(value) is str and node.name != POLICY_DOCUMENT_SHAPE:
        out.append(f"<{tag}>{xml_text(value)}</{tag}>")
    elif kind == "structure":
        out.append(f"<{tag}>")
        _write_members(node, value, out, strict)
        out.append(f"</{tag}>")
    elif kind == "list":
        item = node.item
        assert item is not None
        if isinstance(value, str | bytes | Mapping):
            raise SerializationError(f"{node.name}: expected a list, got {type(value).__name__}")
        if node.flattened:
            for element in value:
                _write(item, tag, element, out, strict)
            return
        out.append(f"<{tag}>")
        for element in value:
            _write(item, node.item_name, element, out, strict)
        out.append(f"</{tag}>")
    elif kind == "map":
        key_node, value_node = node.key, node.value
        assert key_node is not None and value_node is not None
        if not isinstance(value, Mapping):
            raise SerializationError(f"{node.name}: expected a dict, got {type(value).__name__}")
        if not node.flattened:
            out.append(f"<{tag}>")
        for key, element in value.items():
            out.append("<entry>" if not node.flattened else f"<{tag}>")
            _write(key_node, node.key_name, key, out, strict)
            if element is not None:
                _write(value_node, node.value_name, element, out, strict)
            out.append("</entry>" if not node.flattened else f"</{tag}>")
        if not node.flattened:
            out.append(f"</{tag}>")
    else:
        out.append(f"<{tag}>{_scalar_text(node, value)}</{tag}>")


def _scalar_text(node: Node, value: Any) -> str:
    kind = node.kind
    if kind == "string":
        if not isinstance(value, str):
            raise SerializationError(f"{node.name}: expected str, got {type(value).__name__}")
        if node.name == POLICY_DOCUMENT_SHAPE:
            return quote(value, safe="")
        return xml_text(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise SerializationError(f"{node.name}: expected bool, got {type(value).__name__}")
        return "true" if value else "false"
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise SerializationError(f"{node.name}: expected int, got {type(value).__name__}")
        return str(value)
    if kind == "float":
        return repr(float(value))
    if kind == "timestamp":
        return format_timestamp(value)
    if kind == "blob":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    raise SerializationError(f"{node.name}: unsupported shape type {kind}")


_XML_ENTITIES = {"\r": "&#13;", '"': "&quot;"}


_NEEDS_ESCAPE = re.compile(r'[&<>"\r]')


def xml_text(value: str) -> str:
    """Escape text content (``\\r`` as a character reference: XML parsers normalise it)."""
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return _xml_escape(value, _XML_ENTITIES)


def format_timestamp(value: Any) -> str:
    """ISO-8601 UTC in whole seconds, as IAM and STS write them: ``2026-11-27T20:00:00Z``.
    Accepts datetimes (naive = UTC), epoch seconds, or an already formatted string."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = dt.datetime.fromtimestamp(value, dt.UTC)
    if not isinstance(value, dt.datetime):
        raise SerializationError(f"timestamp: expected datetime, got {type(value).__name__}")
    return iso_time(value)  # the same text as date condition keys carry


# ------------------------------------------------------------------------------------- errors


def serialize_query_error(
    code: str,
    message: str,
    *,
    sender_fault: bool = True,
    request_id: str,
    service: str = "iam",
) -> bytes:
    """AWS's query error body (IAM and STS share it; ``service`` selects the namespace)::

    <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
      <Error><Type>Sender</Type><Code>..</Code><Message>..</Message></Error>
      <RequestId>..</RequestId>
    </ErrorResponse>
    """
    kind = "Sender" if sender_fault else "Receiver"
    return (
        f'<ErrorResponse xmlns="{xml_namespace(service)}">'
        f"<Error><Type>{kind}</Type><Code>{xml_text(code)}</Code>"
        f"<Message>{xml_text(message)}</Message></Error>"
        f"<RequestId>{xml_text(request_id)}</RequestId></ErrorResponse>"
    ).encode()
