"""Error bodies parse through botocore's client parsers to the same code and message."""

from __future__ import annotations

import json

import pytest
from botocore.parsers import create_parser

from sagegate.protocol import (
    COMMON_ERRORS,
    NotImplementedOperation,
    ServiceError,
    error_status,
    json_error_headers,
    serialize_json_error,
    serialize_query_error,
    service_error,
)

MESSAGES = ["The user with name bob cannot be found.", "a < b & c > \"d\" 'e'\r\n", "", "漢😀"]


@pytest.mark.parametrize("service", ["iam", "sts"])
@pytest.mark.parametrize("message", MESSAGES)
@pytest.mark.parametrize("sender", [True, False])
def test_query_error_parses(service: str, message: str, sender: bool) -> None:
    body = serialize_query_error(
        "NoSuchEntity", message, sender_fault=sender, request_id="r-1", service=service
    )
    assert body.startswith(f'<ErrorResponse xmlns="https://{service}.amazonaws.com/doc/'.encode())
    parsed = create_parser("query").parse({"status_code": 404, "headers": {}, "body": body}, None)
    assert parsed["Error"] == {
        "Type": "Sender" if sender else "Receiver",
        "Code": "NoSuchEntity",
        "Message": message or None,  # botocore reads an empty <Message/> as None
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "r-1"


def test_query_error_golden() -> None:
    body = serialize_query_error(
        "ValidationError", "1 validation error detected", sender_fault=True, request_id="id"
    )
    assert body == (
        b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        b"<Error><Type>Sender</Type><Code>ValidationError</Code>"
        b"<Message>1 validation error detected</Message></Error>"
        b"<RequestId>id</RequestId></ErrorResponse>"
    )


@pytest.mark.parametrize("message", MESSAGES)
def test_json_error_parses(message: str) -> None:
    body = serialize_json_error("ResourceNotFound", message)
    headers = {k.lower(): v for k, v in json_error_headers("ResourceNotFound").items()}
    parsed = create_parser("json").parse(
        {"status_code": 400, "headers": headers, "body": body}, None
    )
    assert parsed["Error"]["Code"] == "ResourceNotFound"
    assert parsed["Error"]["Message"] == message
    assert json.loads(body)["__type"] == "ResourceNotFound"


@pytest.mark.parametrize(
    ("service", "code", "status", "sender"),
    [
        ("iam", "NoSuchEntity", 404, True),
        ("iam", "EntityAlreadyExists", 409, True),
        ("iam", "ServiceFailure", 500, False),
        ("iam", "AccessDenied", 403, True),
        ("sts", "ExpiredTokenException", 400, True),
        ("sts", "RegionDisabledException", 403, True),
        ("sagemaker", "ResourceNotFound", 400, True),
        ("sagemaker", "AccessDeniedException", 400, True),
        ("sagemaker", "InternalFailure", 500, False),
        ("sagemaker", "ServiceUnavailable", 503, False),
        ("iam", "NotImplemented", 501, False),
        ("iam", "RequestEntityTooLarge", 413, True),
        ("iam", "SomethingNobodyDefined", 400, True),
    ],
)
def test_error_status(service: str, code: str, status: int, sender: bool) -> None:
    assert error_status(service, code) == (status, sender)
    err = service_error(service, code, "m")
    assert (err.code, err.message, err.status, err.sender_fault) == (code, "m", status, sender)


def test_common_table_has_the_documented_codes() -> None:
    for code in (
        "AccessDenied",
        "AccessDeniedException",
        "ValidationError",
        "InvalidAction",
        "MissingAction",
        "InvalidParameterValue",
        "InvalidParameterCombination",
        "MissingParameter",
        "InternalFailure",
        "ServiceUnavailable",
        "Throttling",
        "NotImplemented",
        "RequestEntityTooLarge",
    ):
        assert code in COMMON_ERRORS


def test_not_implemented_operation() -> None:
    err = NotImplementedOperation("sagemaker", "CreateHub")
    assert isinstance(err, ServiceError)
    assert (err.code, err.status, err.sender_fault) == ("NotImplemented", 501, False)
    assert "CreateHub" in err.message
