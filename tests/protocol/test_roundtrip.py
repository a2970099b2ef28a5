"""Every operation of the IAM, STS and SageMaker models round-trips through botocore.

Requests: random valid inputs are serialized by botocore's own client serializer, encoded as
boto3 would put them on the wire, resolved and parsed by us, and must come back equal.
Responses: random outputs serialized by us must parse back equal through botocore's client
parser.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from typing import Any

import pytest
from botocore.awsrequest import AWSRequest
from botocore.handlers import json_decode_policies
from botocore.model import OperationModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from sagegate.protocol import (
    operation_model,
    operation_names,
    parse_form,
    parse_json_request,
    parse_query_request,
    resolve,
    serialize_json_response,
    serialize_query_response,
)
from sagegate.protocol.query import POLICY_DOCUMENT_SHAPE

from .shapegen import ShapeGen, normalise

EXAMPLES = {"iam": 4, "sts": 12, "sagemaker": 2}
OPERATIONS = [(s, o) for s in ("iam", "sts", "sagemaker") for o in sorted(operation_names(s))]


def _seed(service: str, operation: str, i: int) -> int:
    return zlib.crc32(f"{service}.{operation}.{i}".encode())


def _wire(serialized: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    """Headers and body bytes as botocore would send them."""
    request = AWSRequest(
        method=serialized["method"],
        url="https://example.test/",
        data=serialized["body"],
        headers=serialized["headers"],
    )
    prepared = request.prepare()
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return {k.lower(): v for k, v in prepared.headers.items()}, body


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
def test_request_round_trip(service: str, operation: str) -> None:
    op = operation_model(service, operation)
    protocol = op.metadata["protocol"]
    serializer = create_serializer(protocol, include_validation=False)
    for i in range(EXAMPLES[service]):
        gen = ShapeGen(_seed(service, operation, i), query=protocol == "query")
        params = gen.value(op.input_shape) if op.input_shape is not None else {}
        headers, body = _wire(serializer.serialize_to_request(params, op))
        if protocol == "query":
            form = parse_form(body)
            assert resolve("POST", headers, {}, form) == (service, operation)
            parsed = parse_query_request(op, form)
        else:
            assert resolve("POST", headers, {}, None) == (service, operation)
            parsed = parse_json_request(op, body)
        assert parsed == params, (i, body[:2000])


def _load_policies(value: Any, node_shape: Any) -> Any:
    """``value`` with each policyDocumentType string JSON-loaded: what boto3 users get."""
    kind = node_shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: _load_policies(v, node_shape.members[k]) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_load_policies(v, node_shape.member) for v in value]
    if kind == "string" and node_shape.name == POLICY_DOCUMENT_SHAPE:
        return json.loads(value)
    return value


def _whole_seconds(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _whole_seconds(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_seconds(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0)
    return value


def _parse_response(op: OperationModel, body: bytes) -> dict[str, Any]:
    parser = create_parser(op.metadata["protocol"])
    parsed = parser.parse({"status_code": 200, "headers": {}, "body": body}, op.output_shape)
    parsed.pop("ResponseMetadata", None)
    return parsed


@pytest.mark.parametrize(
    ("service", "operation"),
    [(s, o) for s, o in OPERATIONS if operation_model(s, o).output_shape is not None],
)
def test_response_round_trip(service: str, operation: str) -> None:
    op = operation_model(service, operation)
    protocol = op.metadata["protocol"]
    for i in range(EXAMPLES[service]):
        gen = ShapeGen(_seed(service, operation, -1 - i), query=False)
        result = gen.value(op.output_shape)
        if protocol == "query":
            result = _whole_seconds(result)  # IAM and STS write timestamps in whole seconds
            body = serialize_query_response(op, result, "req-1", strict=True)
            parsed = _parse_response(op, body)
            json_decode_policies(parsed, op)  # the after-call handler boto3 runs for IAM
            result = _load_policies(result, op.output_shape)
        else:
            body = serialize_json_response(op, result, strict=True)
            json.loads(body)
            parsed = _parse_response(op, body)
        assert normalise(parsed) == result, (i, body[:2000])


def test_response_without_output_has_request_id() -> None:
    op = operation_model("iam", "DeleteUser")
    body = serialize_query_response(op, {}, "abc-123")
    assert body == (
        b'<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        b"<ResponseMetadata><RequestId>abc-123</RequestId></ResponseMetadata>"
        b"</DeleteUserResponse>"
    )
    parsed = create_parser("query").parse({"status_code": 200, "headers": {}, "body": body}, None)
    assert parsed["ResponseMetadata"]["RequestId"] == "abc-123"
