"""The pure pieces of sagegate.sts.web_identity: token shape, time claims, session tags and
source identity from the token, with AWS's error codes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from sagegate.protocol.errors import ServiceError
from sagegate.sts import web_identity as wi

NOW = datetime(2026, 1, 1, tzinfo=UTC)
T = int(NOW.timestamp())


def _b64(doc: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()


def _code(e: pytest.ExceptionInfo[ServiceError]) -> str:
    return e.value.code


@pytest.mark.parametrize(
    "token",
    [
        "abc",
        "a.b.c",
        f"{_b64({'alg': 'RS256'})}.{_b64([1, 2])}.c2ln",
        # hostile nesting: Python's JSON parser gives up with RecursionError
        f"{_b64({'alg': 'RS256'})}."
        + base64.urlsafe_b64encode(b"[" * 100_000).rstrip(b"=").decode()
        + ".c2ln",
    ],
)
def test_not_a_jwt(token: str) -> None:
    with pytest.raises(ServiceError) as e:
        wi._unverified(token)
    assert (_code(e), e.value.message) == ("InvalidIdentityToken", wi.NOT_A_JWT)


@pytest.mark.parametrize("alg", ["none", "HS256", "PS256", None])
def test_only_rsa_and_ecdsa_signatures(alg: str | None) -> None:
    token = f"{_b64({'alg': alg})}.{_b64({'sub': 'x'})}.c2ln"
    with pytest.raises(ServiceError) as e:
        wi._unverified(token)
    assert _code(e) == "InvalidIdentityToken"


def test_time_claims() -> None:
    wi._check_times({"exp": T + 1, "nbf": T + 60, "iat": T + 60}, NOW)  # within the skew
    with pytest.raises(ServiceError) as e:
        wi._check_times({"exp": T}, NOW)
    assert (_code(e), e.value.message) == (
        "ExpiredTokenException",
        f"Token expired: current date/time {T} must be before the expiration date/time {T}",
    )
    assert e.value.status == 400
    for claims in ({"exp": T + 600, "nbf": T + 3600}, {"exp": T + 600, "iat": T + 3600}):
        with pytest.raises(ServiceError) as e:
            wi._check_times(claims, NOW)
        assert (_code(e), e.value.status) == ("IDPRejectedClaim", 403)
    for claims in ({}, {"exp": float(T + 600)}, {"exp": True}, {"exp": T + 600, "iat": "1"}):
        with pytest.raises(ServiceError) as e:
            wi._check_times(claims, NOW)
        assert _code(e) == "InvalidIdentityToken"


def test_session_tags_from_the_token() -> None:
    claims = {
        wi.TAGS_CLAIM: {
            "principal_tags": {"Project": ["Automation"], "CostCenter": "987654"},
            "transitive_tag_keys": ["Project"],
        }
    }
    assert wi._session_tags(claims) == (
        (("Project", "Automation"), ("CostCenter", "987654")),
        ("Project",),
    )
    assert wi._session_tags({}) == ((), ())


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("tags", "InvalidIdentityToken"),
        ({"principal_tags": {"a": ["1", "2"]}}, "InvalidIdentityToken"),
        ({"principal_tags": {"a": "x" * 257}}, "InvalidIdentityToken"),
        ({"principal_tags": {f"k{i}": "v" for i in range(51)}}, "InvalidIdentityToken"),
        ({"principal_tags": {"a": "1", "A": "2"}}, "ValidationError"),
        ({"principal_tags": {"aws:x": "1"}}, "ValidationError"),
        ({"principal_tags": {"a": "1"}, "transitive_tag_keys": ["b"]}, "ValidationError"),
    ],
)
def test_bad_session_tags(raw: Any, code: str) -> None:
    with pytest.raises(ServiceError) as e:
        wi._session_tags({wi.TAGS_CLAIM: raw})
    assert _code(e) == code


def test_source_identity_from_the_token() -> None:
    assert wi._source_identity({wi.SOURCE_IDENTITY_CLAIM: "alice@example.com"}) == (
        "alice@example.com"
    )
    assert wi._source_identity({}) is None
    for bad, code in (
        ("a", "InvalidIdentityToken"),
        ("a b", "InvalidIdentityToken"),
        ("aws:me", "InvalidIdentityToken"),
        (7, "InvalidIdentityToken"),
    ):
        with pytest.raises(ServiceError) as e:
            wi._source_identity({wi.SOURCE_IDENTITY_CLAIM: bad})
        assert _code(e) == code
