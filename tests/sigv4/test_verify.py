"""verify: each failure after parsing, with AWS's codes and exact texts."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import msgspec
import pytest

from sagegate.sigv4 import (
    HttpRequest,
    SigV4Error,
    SigV4Params,
    Verified,
    check_request,
    parse_auth,
    verify,
)

from ._helpers import SECRET, SIGNED_AT, sign

SDNM = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
INVALID = ("SignatureDoesNotMatch", "InvalidSignatureException", 403)
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)


def failure(
    request: HttpRequest, now: dt.datetime = SIGNED_AT, secret: str = SECRET, **kwargs: Any
) -> SigV4Error:
    params = parse_auth(request)
    with pytest.raises(SigV4Error) as info:
        verify(request, params, secret, now, **kwargs)
    error = info.value
    assert error.json_status == 400
    return error


def iam_request(**kwargs: object) -> HttpRequest:
    defaults: dict[str, object] = {
        "method": "POST",
        "url": "https://iam.amazonaws.com/",
        "body": b"Action=ListUsers&Version=2010-05-08",
        "headers": [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
    }
    return sign(**{**defaults, **kwargs})  # type: ignore[arg-type]


def with_auth(request: HttpRequest, old: str, new: str) -> HttpRequest:
    headers = tuple(
        (k, v.replace(old, new)) if k.lower() == "authorization" else (k, v)
        for k, v in request.headers
    )
    return msgspec.structs.replace(request, headers=headers)


# ----------------------------------------------------------------- success


def test_verified_carries_who_and_what() -> None:
    request = iam_request(region="eu-west-1", token="session-token")
    verified = verify(request, parse_auth(request), SECRET, SIGNED_AT, expected_service="iam")
    assert isinstance(verified, Verified)
    assert verified.access_key_id == "AKIDEXAMPLE"
    assert verified.region == "eu-west-1"
    assert verified.service == "iam"
    assert verified.security_token == "session-token"
    assert verified.signed_at == SIGNED_AT
    assert verified.presigned is False
    assert verified.params.signed_headers == (
        "content-type",
        "host",
        "x-amz-date",
        "x-amz-security-token",
    )


@pytest.mark.parametrize("offset", [-5 * MINUTE, 5 * MINUTE, dt.timedelta(0)])
def test_clock_skew_up_to_five_minutes_is_accepted(offset: dt.timedelta) -> None:
    request = iam_request()
    verify(request, parse_auth(request), SECRET, SIGNED_AT + offset)


def test_naive_now_is_utc() -> None:
    request = iam_request()
    verify(request, parse_auth(request), SECRET, SIGNED_AT.replace(tzinfo=None))


def test_presigned_is_valid_until_expiry() -> None:
    request = sign(
        method="GET",
        url="https://sts.amazonaws.com/?Action=GetCallerIdentity",
        presign_expires=3600,
    )
    verify(request, parse_auth(request), SECRET, SIGNED_AT + 3600 * SECOND)


def test_date_header_signed_request_verifies() -> None:
    request = iam_request(headers=[("Date", "x")])
    assert request.header("x-amz-date") is None
    verify(request, parse_auth(request), SECRET, SIGNED_AT)


def test_unsigned_payload_ignores_the_body() -> None:
    request = iam_request(headers=[("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")])
    tampered = msgspec.structs.replace(request, body=b"Action=DeleteUser")
    verify(tampered, parse_auth(tampered), SECRET, SIGNED_AT)


# ----------------------------------------------------------------- request time


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (
            5 * MINUTE + SECOND,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
            "(20150830T124101Z - 5 min.)",
        ),
        (
            -(5 * MINUTE + SECOND),
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z "
            "(20150830T123059Z + 5 min.)",
        ),
    ],
)
def test_clock_skew_beyond_five_minutes(offset: dt.timedelta, message: str) -> None:
    error = failure(iam_request(), SIGNED_AT + offset)
    assert (error.code, error.json_code, error.status) == INVALID
    assert error.message == message
    assert error.step == "request_time"


def test_max_skew_is_configurable() -> None:
    error = failure(iam_request(), SIGNED_AT + 16 * MINUTE, max_skew=15 * MINUTE)
    assert error.message == (
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z "
        "(20150830T125200Z - 15 min.)"
    )


@pytest.mark.parametrize(
    ("expires", "offset", "message"),
    [
        (
            900,
            901 * SECOND,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
            "(20150830T125101Z - 15 min.)",
        ),
        (
            30,
            31 * SECOND,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
            "(20150830T123631Z - 30 sec.)",
        ),
        (
            604800,
            -(5 * MINUTE + SECOND),
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z "
            "(20150830T123059Z + 5 min.)",
        ),
    ],
)
def test_presigned_expiry(expires: int, offset: dt.timedelta, message: str) -> None:
    request = sign(
        method="GET",
        url="https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
        service="sts",
        presign_expires=expires,
    )
    error = failure(request, SIGNED_AT + offset)
    assert (error.code, error.json_code, error.status) == INVALID
    assert error.message == message


# ----------------------------------------------------------------- host, scope


def test_host_must_be_signed() -> None:
    request = with_auth(iam_request(), "SignedHeaders=content-type;host;", "SignedHeaders=")
    error = failure(request)
    assert (error.code, error.json_code, error.status) == INVALID
    assert error.message == (
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    )


SCOPE_CASES = [
    (
        "invalid region",
        {"region": "US_EAST_1"},
        {},
        "Credential should be scoped to a valid region, not 'US_EAST_1'. ",
    ),
    (
        "region not served",
        {"region": "eu-west-1"},
        {"allowed_regions": {"us-east-1"}},
        "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    ),
    (
        "wrong service",
        {"service": "sts"},
        {"expected_service": "iam"},
        "Credential should be scoped to correct service: 'iam'. ",
    ),
]


@pytest.mark.parametrize(
    ("sign_kwargs", "verify_kwargs", "message"),
    [pytest.param(s, v, m, id=n) for n, s, v, m in SCOPE_CASES],
)
def test_credential_scope(
    sign_kwargs: dict[str, Any], verify_kwargs: dict[str, Any], message: str
) -> None:
    error = failure(iam_request(**sign_kwargs), **verify_kwargs)
    assert (error.code, error.json_code, error.status) == INVALID
    assert error.message == message
    assert error.step == "credential_scope"


def test_wrong_terminator() -> None:
    error = failure(with_auth(iam_request(), "/aws4_request", "/aws5_request"))
    assert error.message == (
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
    )


def test_credential_date_differs_from_x_amz_date() -> None:
    error = failure(with_auth(iam_request(), "/20150830/", "/20150831/"))
    assert (error.code, error.json_code, error.status) == INVALID
    assert error.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '20150831' != '20150830', from '20150830T123600Z'."
    )


def test_every_scope_problem_is_reported_at_once() -> None:
    request = with_auth(
        iam_request(service="sts", region="Bad"), "/20150830/Bad/sts/aws4_request", "/1/Bad/sts/x"
    )
    error = failure(request, expected_service="iam")
    assert error.message == (
        "Credential should be scoped to a valid region, not 'Bad'. "
        "Credential should be scoped to correct service: 'iam'. "
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'x'. "
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '1' != '20150830', from '20150830T123600Z'."
    )


def test_check_request_runs_without_the_secret() -> None:
    params = parse_auth(iam_request())
    check_request(params, SIGNED_AT, expected_service="iam")
    with pytest.raises(SigV4Error) as info:
        check_request(params, SIGNED_AT, expected_service="sts")
    assert info.value.step == "credential_scope"


# ----------------------------------------------------------------- payload


@pytest.mark.parametrize(
    "declared",
    [
        hashlib.sha256(b"something else").hexdigest(),
        "not-a-hash",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    ],
)
def test_content_sha256_must_match_the_body(declared: str) -> None:
    error = failure(iam_request(headers=[("X-Amz-Content-SHA256", declared)]))
    assert (error.code, error.json_code, error.status) == (
        "XAmzContentSHA256Mismatch",
        "XAmzContentSHA256Mismatch",
        400,
    )
    assert error.message == (
        "The provided 'x-amz-content-sha256' header does not match what was computed."
    )


def test_content_sha256_of_the_body_verifies() -> None:
    body = b"Action=ListUsers&Version=2010-05-08"
    request = iam_request(headers=[("X-Amz-Content-SHA256", hashlib.sha256(body).hexdigest())])
    verify(request, parse_auth(request), SECRET, SIGNED_AT)


# ----------------------------------------------------------------- signature


def test_signature_mismatch_shows_the_canonical_request_like_aws() -> None:
    request = sign(
        method="GET",
        url="https://example.amazonaws.com/",
        headers=[("Host", "example.amazonaws.com")],
        service="service",
    )
    error = failure(request, secret="wrong")
    assert (error.code, error.json_code, error.status) == INVALID
    assert error.step == "signature"
    canonical = (
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
        "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    sts = (
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    )
    assert error.message == (
        f"{SDNM}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
        f"The String-to-Sign should have been\n'{sts}'\n"
    )
    assert "wrong" not in error.message


def test_uppercase_signature_is_not_accepted() -> None:
    request = iam_request()
    params = parse_auth(request)
    upper = msgspec.structs.replace(params, signature=params.signature.upper())
    with pytest.raises(SigV4Error):
        verify(request, upper, SECRET, SIGNED_AT)


def test_params_must_come_from_the_request() -> None:
    # params parsed from one request do not verify another
    one, other = iam_request(), iam_request(body=b"Action=DeleteUser")
    params: SigV4Params = parse_auth(one)
    with pytest.raises(SigV4Error):
        verify(other, params, SECRET, SIGNED_AT)


@pytest.mark.parametrize("path", ["/bucket/a%20b/./c//d", "/bucket/key~x"])
def test_s3_paths_are_signed_unnormalised(path: str) -> None:
    from unittest import mock

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from ._helpers import receive

    aws_request = AWSRequest(method="PUT", url=f"https://s3.amazonaws.com{path}", data=b"data")
    with mock.patch(
        "botocore.auth.get_current_datetime", return_value=SIGNED_AT.replace(tzinfo=None)
    ):
        S3SigV4Auth(Credentials("AKIDEXAMPLE", SECRET), "s3", "us-east-1").add_auth(aws_request)
    prepared = aws_request.prepare()
    request = receive(
        prepared.url, prepared.method, list(aws_request.headers.items()), prepared.body
    )
    assert request.raw_path == path
    verify(request, parse_auth(request), SECRET, SIGNED_AT, expected_service="s3")
