"""Routing requests to (service, operation), and request parsing edge cases."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sagegate.protocol import (
    ResolveError,
    ServiceError,
    operation_model,
    parse_form,
    parse_json_request,
    parse_query_request,
    resolve,
    signing_name,
)
from sagegate.protocol.resolve import MAX_FORM_FIELDS, form_fields


def test_json_target() -> None:
    headers = {"x-amz-target": "SageMaker.CreateNotebookInstance"}
    assert resolve("POST", headers, {}, None) == ("sagemaker", "CreateNotebookInstance")


@pytest.mark.parametrize("target", ["SageMaker.Nope", "Other.ListModels", "SageMaker", ""])
def test_unknown_target(target: str) -> None:
    with pytest.raises(ResolveError) as info:
        resolve("POST", {"x-amz-target": target}, {}, None)
    assert info.value.code == "UnknownOperationException"
    assert info.value.protocol == "json"
    assert info.value.status == 400


def test_query_form_and_url() -> None:
    form = parse_form(b"Action=GetUser&Version=2010-05-08")
    assert resolve("POST", {}, {}, form) == ("iam", "GetUser")
    query = {"Action": ["GetCallerIdentity"], "Version": ["2011-06-15"]}
    assert resolve("GET", {}, query, None) == ("sts", "GetCallerIdentity")


def test_missing_action() -> None:
    with pytest.raises(ResolveError) as info:
        resolve("POST", {}, {}, parse_form(b"Version=2011-06-15"))
    assert (info.value.code, info.value.message) == ("MissingAction", "Missing Action")
    assert info.value.service == "sts"


@pytest.mark.parametrize(
    ("body", "message", "service"),
    [
        (
            b"Action=GetUsr&Version=2010-05-08",
            "Could not find operation GetUsr for version 2010-05-08",
            "iam",
        ),
        # an IAM action at STS's version is not an STS operation
        (
            b"Action=GetUser&Version=2011-06-15",
            "Could not find operation GetUser for version 2011-06-15",
            "sts",
        ),
        (
            b"Action=GetUser",
            "Could not find operation GetUser for version NO_VERSION_SPECIFIED",
            None,
        ),
        (
            b"Action=GetUser&Version=2099-01-01",
            "Could not find operation GetUser for version 2099-01-01",
            None,
        ),
    ],
)
def test_invalid_action(body: bytes, message: str, service: str | None) -> None:
    with pytest.raises(ResolveError) as info:
        resolve("POST", {}, {}, parse_form(body))
    assert (info.value.code, info.value.message) == ("InvalidAction", message)
    assert (info.value.protocol, info.value.service, info.value.status) == ("query", service, 400)


def test_signing_names() -> None:
    assert [signing_name(s) for s in ("iam", "sts", "sagemaker")] == ["iam", "sts", "sagemaker"]


def test_blank_values_kept_and_policy_vs_policy_arns() -> None:
    form = parse_form(
        b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn&RoleSessionName=s"
        b"&PolicyArns=&Policy=%7B%7D"
    )
    assert form["PolicyArns"] == [""]
    parsed = parse_query_request(operation_model("sts", "AssumeRole"), form)
    assert parsed == {"RoleArn": "arn", "RoleSessionName": "s", "PolicyArns": [], "Policy": "{}"}


def test_unknown_parameters_ignored() -> None:
    form = parse_form(
        b"Action=GetUser&Version=2010-05-08&UserName=bob&X-Amz-Signature=abc&Bogus.member.1=x"
        b"&UserName.extra=1&..=2"
    )
    parsed = parse_query_request(operation_model("iam", "GetUser"), form)
    assert parsed == {"UserName": "bob"}


def test_query_list_order_is_numeric() -> None:
    pairs = "&".join(f"PolicyArns.member.{i}.arn=a{i}" for i in (10, 2, 1))
    form = parse_form(f"Action=AssumeRole&Version=2011-06-15&{pairs}".encode())
    parsed = parse_query_request(operation_model("sts", "AssumeRole"), form)
    assert [p["arn"] for p in parsed["PolicyArns"]] == ["a1", "a2", "a10"]


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b"MaxItems=abc", None),
        (b"MaxItems=12", 12),
    ],
)
def test_query_integer_conversion(body: bytes, value: int | None) -> None:
    op = operation_model("iam", "ListUsers")
    if value is None:
        with pytest.raises(ServiceError) as info:
            parse_query_request(op, parse_form(body))
        assert info.value.code == "InvalidParameterValue"
    else:
        assert parse_query_request(op, parse_form(body)) == {"MaxItems": value}


def test_query_sensitive_value_not_echoed() -> None:
    op = operation_model("iam", "CreateLoginProfile")
    form = parse_form(b"UserName=bob&Password.x=hunter2&PasswordResetRequired=maybe")
    with pytest.raises(ServiceError) as info:
        parse_query_request(op, form)
    assert "hunter2" not in info.value.message


def test_query_timestamp_and_bool() -> None:
    op = operation_model("iam", "CreateLoginProfile")
    parsed = parse_query_request(op, parse_form(b"UserName=bob&PasswordResetRequired=TRUE"))
    assert parsed["PasswordResetRequired"] is True


def test_json_malformed_body() -> None:
    op = operation_model("sagemaker", "DescribeNotebookInstance")
    for body in (b"{", b"[]", b"\xff", b'"x"'):
        with pytest.raises(ServiceError) as info:
            parse_json_request(op, body)
        assert info.value.code == "SerializationException"
    assert parse_json_request(op, b"") == {}


def test_json_type_mismatch() -> None:
    op = operation_model("sagemaker", "CreateNotebookInstance")
    with pytest.raises(ServiceError) as info:
        parse_json_request(op, b'{"VolumeSizeInGB": "5"}')
    assert info.value.code == "SerializationException"
    with pytest.raises(ServiceError):
        parse_json_request(op, b'{"NotebookInstanceName": 5}')


def test_json_timestamps_epoch_or_iso() -> None:
    op = operation_model("sagemaker", "ListNotebookInstances")
    expected = dt.datetime(2026, 11, 27, 20, 0, tzinfo=dt.UTC)
    for raw in (b"1795809600", b"1795809600.0", b'"2026-11-27T20:00:00Z"'):
        parsed = parse_json_request(op, b'{"CreationTimeAfter": ' + raw + b"}")
        assert parsed == {"CreationTimeAfter": expected}


_FORM_TEXT = st.text(alphabet=st.sampled_from(list("ab=&+%2Fz0é ;\udcff")), max_size=40)


@settings(max_examples=500, deadline=None)
@given(_FORM_TEXT)
def test_form_fields_are_parse_qs(text: str) -> None:
    # The fast form parser answers as urllib's parse_qs with blank values kept, escapes or not.
    expected = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    assert form_fields(text) == expected


def test_form_fields_limit_is_parse_qs_limit() -> None:
    at_limit = "&".join(["a=1"] * MAX_FORM_FIELDS)
    assert len(form_fields(at_limit)["a"]) == MAX_FORM_FIELDS
    with pytest.raises(ValueError):
        form_fields(at_limit + "&b=2")
    with pytest.raises(ServiceError) as info:
        parse_form((at_limit + "&b=2").encode())
    assert info.value.code == "MalformedQueryString"
