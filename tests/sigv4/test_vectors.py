"""Vectors from AWS's Signature Version 4 test suite (aws-sig-v4-test-suite).

Credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, scope
20150830/us-east-1/service. The requests are written out by hand here, as the suite's
``.req`` files give them, so these tests do not depend on botocore.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sagegate.sigv4 import HttpRequest, SigV4Error, parse_auth, verify

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOW = dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.UTC)
CRED = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"

VECTORS = [
    (
        "get-vanilla",
        "GET",
        "/",
        "",
        [],
        b"",
        "host;x-amz-date",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    ),
    (
        "get-vanilla-query-order-key-case",
        "GET",
        "/",
        "Param2=value2&Param1=value1",
        [],
        b"",
        "host;x-amz-date",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    ),
    (
        "get-vanilla-empty-query-key",
        "GET",
        "/",
        "Param1=value1",
        [],
        b"",
        "host;x-amz-date",
        "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
    ),
    (
        "post-vanilla",
        "POST",
        "/",
        "",
        [],
        b"",
        "host;x-amz-date",
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    ),
    (
        "post-x-www-form-urlencoded",
        "POST",
        "/",
        "",
        [("Content-Type", "application/x-www-form-urlencoded")],
        b"Param1=value1",
        "content-type;host;x-amz-date",
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    ),
    (
        "get-header-value-trim",
        "GET",
        "/",
        "",
        [("My-Header1", " value1"), ("My-Header2", ' "a   b   c"')],
        b"",
        "host;my-header1;my-header2;x-amz-date",
        "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    ),
]


def build(
    method: str,
    path: str,
    query: str,
    extra: list[tuple[str, str]],
    body: bytes,
    signed: str,
    signature: str,
) -> HttpRequest:
    auth = f"AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders={signed}, Signature={signature}"
    headers = [
        ("Host", "example.amazonaws.com"),
        *extra,
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", auth),
    ]
    return HttpRequest(method, path, query, tuple(headers), body)


@pytest.mark.parametrize(
    ("method", "path", "query", "extra", "body", "signed", "signature"),
    [pytest.param(*v[1:], id=v[0]) for v in VECTORS],
)
def test_aws_test_suite_vector(
    method: str,
    path: str,
    query: str,
    extra: list[tuple[str, str]],
    body: bytes,
    signed: str,
    signature: str,
) -> None:
    request = build(method, path, query, extra, body, signed, signature)
    verified = verify(request, parse_auth(request), SECRET, NOW, expected_service="service")
    assert verified.access_key_id == "AKIDEXAMPLE"
    # and the last hex digit changed is rejected
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    bad = build(method, path, query, extra, body, signed, flipped)
    with pytest.raises(SigV4Error) as info:
        verify(bad, parse_auth(bad), SECRET, NOW)
    assert info.value.code == "SignatureDoesNotMatch"
