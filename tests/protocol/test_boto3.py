"""Real boto3 clients against the protocol layer, in process.

A ``before-send`` hook hands each prepared request to a miniature server loop (resolve ->
parse -> validate -> handler -> serialize, errors rendered per protocol) and returns its
response to botocore, so boto3's own parsing, handlers (``json_decode_policies``) and
ClientError construction are the oracle.  This loop is also the reference for how the server
drives :mod:`sagegate.protocol`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from sagegate.protocol import (
    NotImplementedOperation,
    ResolveError,
    ServiceError,
    json_error_headers,
    operation_model,
    parse_form,
    parse_json_request,
    parse_query_request,
    protocol,
    resolve,
    serialize_json_error,
    serialize_json_response,
    serialize_query_error,
    serialize_query_response,
    service_error,
    validate,
)

Handler = Callable[[dict[str, Any]], dict[str, Any]]
NOW = dt.datetime(2026, 11, 27, 20, 0, tzinfo=dt.UTC)
POLICY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/a+b%41"}]}'
SEEN: list[dict[str, Any]] = []


def _get_user(params: dict[str, Any]) -> dict[str, Any]:
    SEEN.append(params)
    name = params.get("UserName", "me")
    if name == "ghost":
        raise service_error("iam", "NoSuchEntity", f"The user with name {name} cannot be found.")
    return {
        "User": {
            "Path": "/",
            "UserName": name,
            "UserId": "AIDAEXAMPLE",
            "Arn": f"arn:aws:iam::123456789012:user/{name}",
            "CreateDate": NOW,
            "Tags": [{"Key": "team", "Value": "ml & ops"}],
        }
    }


def _get_role_policy(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "RoleName": params["RoleName"],
        "PolicyName": params["PolicyName"],
        "PolicyDocument": POLICY,
    }


def _assume_role(params: dict[str, Any]) -> dict[str, Any]:
    SEEN.append(params)
    return {
        "Credentials": {
            "AccessKeyId": "ASIAEXAMPLE",
            "SecretAccessKey": "secret",
            "SessionToken": "token",
            "Expiration": NOW,
        },
        "AssumedRoleUser": {
            "AssumedRoleId": "AROA:s",
            "Arn": "arn:aws:sts::123456789012:assumed-role/r/s",
        },
        "PackedPolicySize": 6,
    }


def _describe_notebook(params: dict[str, Any]) -> dict[str, Any]:
    if params["NotebookInstanceName"] == "ghost":
        raise service_error("sagemaker", "ResourceNotFound", "Notebook instance ghost not found")
    return {
        "NotebookInstanceName": params["NotebookInstanceName"],
        "NotebookInstanceStatus": "InService",
        "InstanceType": "ml.t3.medium",
        "CreationTime": NOW,
        "LastModifiedTime": NOW + dt.timedelta(microseconds=250000),
        "VolumeSizeInGB": 5,
        "RootAccess": "Enabled",
        "AcceleratorTypes": [],
    }


HANDLERS: dict[tuple[str, str], Handler] = {
    ("iam", "GetUser"): _get_user,
    ("iam", "GetRolePolicy"): _get_role_policy,
    ("sts", "AssumeRole"): _assume_role,
    ("sagemaker", "DescribeNotebookInstance"): _describe_notebook,
}


def handle(
    method: str, url: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """The request path's protocol steps, as the server runs them."""
    request_id = "11111111-2222-3333-4444-555555555555"
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    is_form = headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    form = parse_form(body) if is_form else None
    try:
        service, name = resolve(method, headers, query, form)
    except ResolveError as err:
        if err.protocol == "json":
            return (
                err.status,
                json_error_headers(err.code),
                serialize_json_error(err.code, err.message),
            )
        xml = serialize_query_error(
            err.code,
            err.message,
            sender_fault=err.sender_fault,
            request_id=request_id,
            service=err.service or "iam",
        )
        return err.status, {"Content-Type": "text/xml"}, xml
    op = operation_model(service, name)
    is_query = protocol(service) == "query"
    try:
        params = (
            parse_query_request(op, {**query, **(form or {})})
            if is_query
            else parse_json_request(op, body)
        )
        validate(op, params)
        handler = HANDLERS.get((service, name))
        if handler is None:
            raise NotImplementedOperation(service, name)
        result = handler(params)
        if is_query:
            return (
                200,
                {"Content-Type": "text/xml"},
                serialize_query_response(op, result, request_id, strict=True),
            )
        return (
            200,
            {"Content-Type": "application/x-amz-json-1.1"},
            serialize_json_response(op, result, strict=True),
        )
    except ServiceError as err:
        if is_query:
            xml = serialize_query_error(
                err.code,
                err.message,
                sender_fault=err.sender_fault,
                request_id=request_id,
                service=service,
            )
            return err.status, {"Content-Type": "text/xml"}, xml
        return err.status, json_error_headers(err.code), serialize_json_error(err.code, err.message)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._body


def _before_send(request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse:
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        body = body.read()
    headers = {
        k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()
    }
    status, out_headers, out = handle(request.method, request.url, headers, body)
    out_headers["x-amzn-RequestId"] = "11111111-2222-3333-4444-555555555555"
    return AWSResponse(request.url, status, out_headers, _Raw(out))


@pytest.fixture
def client() -> Callable[..., Any]:
    session = boto3.session.Session(
        aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret", region_name="eu-west-3"
    )

    def make(service: str, **config: Any) -> Any:
        c = session.client(
            service,
            endpoint_url="http://sagegate.test:8080",
            config=Config(retries={"max_attempts": 1}, **config),
        )
        c.meta.events.register("before-send", _before_send)
        return c

    SEEN.clear()
    return make


def test_iam_get_user(client: Callable[..., Any]) -> None:
    user = client("iam").get_user(UserName="alice")["User"]
    assert user["UserName"] == "alice"
    assert user["CreateDate"] == NOW
    assert user["Tags"] == [{"Key": "team", "Value": "ml & ops"}]


def test_iam_policy_document_round_trips_to_dict(client: Callable[..., Any]) -> None:
    out = client("iam").get_role_policy(RoleName="r", PolicyName="p")
    assert out["PolicyDocument"] == json.loads(POLICY)


def test_iam_modeled_error(client: Callable[..., Any]) -> None:
    with pytest.raises(ClientError) as info:
        client("iam").get_user(UserName="ghost")
    err = info.value.response
    assert err["Error"] == {
        "Type": "Sender",
        "Code": "NoSuchEntity",
        "Message": "The user with name ghost cannot be found.",
    }
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert info.value.__class__.__name__ == "NoSuchEntityException"


def test_iam_validation_error(client: Callable[..., Any]) -> None:
    iam = client("iam", parameter_validation=False)
    with pytest.raises(ClientError) as info:
        iam.get_user(UserName="bad name")
    assert info.value.response["Error"]["Code"] == "ValidationError"
    assert info.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
    )


def test_not_implemented(client: Callable[..., Any]) -> None:
    with pytest.raises(ClientError) as info:
        client("iam").list_users()
    assert info.value.response["Error"]["Code"] == "NotImplemented"
    assert info.value.response["Error"]["Type"] == "Receiver"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_sts_assume_role_empty_policy_arns(client: Callable[..., Any]) -> None:
    out = client("sts").assume_role(
        RoleArn="arn:aws:iam::123456789012:role/r",
        RoleSessionName="sess",
        PolicyArns=[],
        Policy='{"Version":"2012-10-17","Statement":[]}',
    )
    assert out["Credentials"]["Expiration"] == NOW
    assert SEEN[-1]["PolicyArns"] == []
    assert SEEN[-1]["Policy"] == '{"Version":"2012-10-17","Statement":[]}'


def test_sagemaker_describe(client: Callable[..., Any]) -> None:
    out = client("sagemaker").describe_notebook_instance(NotebookInstanceName="nb-1")
    assert out["NotebookInstanceStatus"] == "InService"
    assert out["CreationTime"] == NOW
    assert out["LastModifiedTime"] == NOW + dt.timedelta(microseconds=250000)
    assert out["AcceleratorTypes"] == []


def test_sagemaker_errors(client: Callable[..., Any]) -> None:
    sm = client("sagemaker", parameter_validation=False)
    with pytest.raises(ClientError) as info:
        sm.describe_notebook_instance(NotebookInstanceName="ghost")
    assert info.value.response["Error"] == {
        "Code": "ResourceNotFound",
        "Message": "Notebook instance ghost not found",
    }
    with pytest.raises(ClientError) as info:
        sm.describe_notebook_instance(NotebookInstanceName="-x")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "at 'notebookInstanceName'" in info.value.response["Error"]["Message"]


def test_resolve_errors_render_per_protocol() -> None:
    status, headers, body = handle("POST", "http://h/", {"x-amz-target": "SageMaker.Nope"}, b"{}")
    assert status == 400 and headers["x-amzn-ErrorType"] == "UnknownOperationException"
    status, _, body = handle(
        "POST",
        "http://h/",
        {"content-type": "application/x-www-form-urlencoded"},
        b"Action=Nope&Version=2011-06-15",
    )
    assert status == 400
    assert b"<Code>InvalidAction</Code>" in body and b"sts.amazonaws.com" in body
