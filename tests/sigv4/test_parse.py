"""parse_auth: where the signature is, and every way it can be malformed (AWS's texts)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sagegate.sigv4 import HttpRequest, SigV4Error, parse_auth

CRED = "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request"
SIG = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
GOOD_AUTH = f"AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host;x-amz-date, Signature={SIG}"
HOST = ("Host", "iam.amazonaws.com")
AMZ_DATE = ("X-Amz-Date", "20150830T123600Z")
PRESIGNED = {
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": CRED.replace("/", "%2F"),
    "X-Amz-Date": "20150830T123600Z",
    "X-Amz-Expires": "900",
    "X-Amz-SignedHeaders": "host",
    "X-Amz-Signature": SIG,
}


def req(*headers: tuple[str, str], query: str = "") -> HttpRequest:
    return HttpRequest("GET", "/", query, (HOST, *headers), b"")


def presigned_query(**overrides: str | None) -> str:
    items = {**PRESIGNED, **{k.replace("_", "-"): v for k, v in overrides.items()}}
    return "&".join(f"{k}={v}" for k, v in items.items() if v is not None)


INCOMPLETE = ("IncompleteSignature", "IncompleteSignatureException", 400)
MISSING = ("MissingAuthenticationToken", "MissingAuthenticationTokenException", 403)
INVALID = ("SignatureDoesNotMatch", "InvalidSignatureException", 403)

CASES = [
    ("no authentication at all", req(AMZ_DATE), MISSING, "Request is missing Authentication Token"),
    (
        "not an AWS4 authorization header",
        req(AMZ_DATE, ("Authorization", "Basic dXNlcjpwYXNz")),
        MISSING,
        "Request is missing Authentication Token",
    ),
    (
        "empty AWS4 authorization header and no date",
        req(("Authorization", "AWS4-HMAC-SHA256")),
        INCOMPLETE,
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256",
    ),
    (
        "signature missing",
        req(AMZ_DATE, ("Authorization", f"AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host")),
        INCOMPLETE,
        "Authorization header requires 'Signature' parameter. "
        f"Authorization=AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host",
    ),
    (
        "empty credential",
        req(
            AMZ_DATE,
            ("Authorization", f"AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature={SIG}"),
        ),
        INCOMPLETE,
        "Authorization header requires 'Credential' parameter. "
        f"Authorization=AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature={SIG}",
    ),
    (
        "no date header",
        req(("Authorization", GOOD_AUTH)),
        INCOMPLETE,
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={GOOD_AUTH}",
    ),
    (
        "component without equal sign",
        req(
            AMZ_DATE,
            ("Authorization", f"AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature={SIG}"),
        ),
        INCOMPLETE,
        "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: "
        f"'AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature={SIG}'.",
    ),
    (
        "unsupported algorithm",
        req(AMZ_DATE, ("Authorization", GOOD_AUTH.replace("SHA256", "SHA512", 1))),
        INCOMPLETE,
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
    ),
    (
        "date not in ISO-8601 basic format",
        req(("X-Amz-Date", "2015-08-30T12:36:00Z"), ("Authorization", GOOD_AUTH)),
        INCOMPLETE,
        "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. "
        "See http://en.wikipedia.org/wiki/ISO_8601",
    ),
    (
        "impossible date",
        req(("X-Amz-Date", "20151340T123600Z"), ("Authorization", GOOD_AUTH)),
        INCOMPLETE,
        "Date must be in ISO-8601 'basic format'. Got '20151340T123600Z'. "
        "See http://en.wikipedia.org/wiki/ISO_8601",
    ),
    (
        "unparseable Date header",
        req(("Date", "yesterday"), ("Authorization", GOOD_AUTH)),
        INCOMPLETE,
        "Date must be in ISO-8601 'basic format'. Got 'yesterday'. "
        "See http://en.wikipedia.org/wiki/ISO_8601",
    ),
    (
        "credential with four elements",
        req(AMZ_DATE, ("Authorization", GOOD_AUTH.replace("/aws4_request", ""))),
        INCOMPLETE,
        "Credential must have exactly 5 slash-delimited elements, "
        "e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/iam'",
    ),
    (
        "credential with six elements",
        req(AMZ_DATE, ("Authorization", GOOD_AUTH.replace("/iam/", "/iam/x/"))),
        INCOMPLETE,
        "Credential must have exactly 5 slash-delimited elements, "
        "e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/iam/x/aws4_request'",
    ),
    (
        "two authorization headers",
        req(AMZ_DATE, ("Authorization", GOOD_AUTH), ("authorization", GOOD_AUTH)),
        INCOMPLETE,
        "Found more than one 'Authorization' header.",
    ),
    (
        "header and query signature together",
        req(AMZ_DATE, ("Authorization", GOOD_AUTH), query=presigned_query()),
        INVALID,
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    ),
    (
        "presigned without any parameter but the signature",
        req(query=f"X-Amz-Signature={SIG}"),
        INCOMPLETE,
        "AWS query-string parameters must include 'X-Amz-Algorithm'. "
        "AWS query-string parameters must include 'X-Amz-Credential'. "
        "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
        "AWS query-string parameters must include 'X-Amz-Date'. "
        "Re-examine the query-string parameters.",
    ),
    (
        "presigned without signature",
        req(query=presigned_query(X_Amz_Signature=None)),
        INCOMPLETE,
        "AWS query-string parameters must include 'X-Amz-Signature'. "
        "Re-examine the query-string parameters.",
    ),
    (
        "presigned with an empty date",
        req(query=presigned_query(X_Amz_Date="")),
        INCOMPLETE,
        "AWS query-string parameters must include 'X-Amz-Date'. "
        "Re-examine the query-string parameters.",
    ),
    (
        "presigned with another algorithm",
        req(query=presigned_query(X_Amz_Algorithm="AWS4-ECDSA-P256-SHA256")),
        INCOMPLETE,
        "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). ",
    ),
    (
        "presigned for more than a week",
        req(query=presigned_query(X_Amz_Expires="604801")),
        INCOMPLETE,
        "X-Amz-Expires must be less than a week (in seconds) that is 604800",
    ),
    (
        "presigned with negative expiry",
        req(query=presigned_query(X_Amz_Expires="-1")),
        INCOMPLETE,
        "X-Amz-Expires must be non-negative",
    ),
    (
        "presigned with a non-numeric expiry",
        req(query=presigned_query(X_Amz_Expires="1h")),
        INCOMPLETE,
        "X-Amz-Expires should be a number",
    ),
    (
        "presigned with a repeated parameter",
        req(query=presigned_query() + "&X-Amz-Signature=00"),
        INCOMPLETE,
        "Duplicate query-string parameter 'X-Amz-Signature'. "
        "Re-examine the query-string parameters.",
    ),
    (
        "presigned credential with four elements",
        req(query=presigned_query(X_Amz_Credential="AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fiam")),
        INCOMPLETE,
        "Credential must have exactly 5 slash-delimited elements, "
        "e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/iam'",
    ),
]


@pytest.mark.parametrize(
    ("request_", "contract", "message"),
    [pytest.param(r, c, m, id=name) for name, r, c, m in CASES],
)
def test_malformed_signatures_are_rejected_with_aws_text(
    request_: HttpRequest, contract: tuple[str, str, int], message: str
) -> None:
    with pytest.raises(SigV4Error) as info:
        parse_auth(request_)
    error = info.value
    assert (error.code, error.json_code, error.status) == contract
    assert error.json_status == 400
    assert error.message == message
    assert error.step == "parse"


def test_header_parameters() -> None:
    auth = GOOD_AUTH.replace("x-amz-date,", "x-amz-date;x-amz-security-token,")
    params = parse_auth(req(AMZ_DATE, ("Authorization", auth), ("X-Amz-Security-Token", "tok")))
    assert params.access_key_id == "AKIDEXAMPLE"
    assert (params.date, params.region, params.service, params.terminator) == (
        "20150830",
        "us-east-1",
        "iam",
        "aws4_request",
    )
    assert params.signed_headers == ("host", "x-amz-date", "x-amz-security-token")
    assert params.signature == SIG
    assert params.amz_date == "20150830T123600Z"
    assert params.timestamp == dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.UTC)
    assert params.security_token == "tok"
    assert params.presigned is False
    assert params.expires is None
    assert params.credential == CRED


def test_an_unsigned_security_token_header_is_ignored() -> None:
    params = parse_auth(req(AMZ_DATE, ("Authorization", GOOD_AUTH), ("X-Amz-Security-Token", "t")))
    assert params.security_token is None
    query = presigned_query()
    params = parse_auth(req(("X-Amz-Security-Token", "t"), query=query))
    assert params.security_token is None
    signed = presigned_query(X_Amz_SignedHeaders="host%3Bx-amz-security-token")
    params = parse_auth(req(("X-Amz-Security-Token", "t"), query=signed))
    assert params.security_token == "t"


def test_components_may_be_separated_by_commas_or_spaces_and_credential_may_end_in_slash() -> None:
    auth = f"AWS4-HMAC-SHA256  Credential={CRED}/,SignedHeaders=host Signature={SIG}"
    params = parse_auth(req(AMZ_DATE, ("Authorization", auth)))
    assert params.terminator == "aws4_request"
    assert params.signed_headers == ("host",)


def test_date_header_is_used_without_x_amz_date() -> None:
    params = parse_auth(
        req(("Date", "Sun, 30 Aug 2015 12:36:00 GMT"), ("Authorization", GOOD_AUTH))
    )
    assert params.amz_date == "20150830T123600Z"


def test_x_amz_date_wins_over_date() -> None:
    params = parse_auth(
        req(("Date", "Mon, 31 Aug 2015 00:00:00 GMT"), AMZ_DATE, ("Authorization", GOOD_AUTH))
    )
    assert params.amz_date == "20150830T123600Z"


def test_presigned_parameters() -> None:
    params = parse_auth(
        req(query="Action=GetCallerIdentity&" + presigned_query(X_Amz_Security_Token="a%2Bb%2F"))
    )
    assert params.presigned is True
    assert params.expires == 900
    assert params.security_token == "a+b/"
    assert params.access_key_id == "AKIDEXAMPLE"
    assert params.signed_headers == ("host",)


def test_presigned_without_expires_is_accepted() -> None:
    params = parse_auth(req(query=presigned_query(X_Amz_Expires=None)))
    assert params.expires is None


@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from([",", " ", "\t", "\n", "\x0b", "\x1c", "\x85", "\xa0"]),
            min_size=1,
            max_size=4,
        ),
        min_size=4,
        max_size=4,
    )
)
def test_any_run_of_commas_and_whitespace_separates_components(seps: list[str]) -> None:
    # AWS separates components by commas and/or whitespace: any run of them, Unicode's
    # whitespace included (the components as the regex `[,\s]+` splits them).
    parts = ["AWS4-HMAC-SHA256", f"Credential={CRED}", "SignedHeaders=host", f"Signature={SIG}"]
    auth = parts[0] + " " + "".join(s + p for s, p in zip(seps[1:], parts[1:], strict=True))
    auth += seps[0]
    assert [t for t in re.split(r"[,\s]+", auth.partition(" ")[2].strip()) if t] == parts[1:]
    params = parse_auth(req(AMZ_DATE, ("Authorization", auth)))
    assert (params.credential, params.signed_headers, params.signature) == (CRED, ("host",), SIG)
