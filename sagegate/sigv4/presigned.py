"""Parsing a presigned (query-string authenticated) Signature Version 4 request.

AWS General Reference, "Authenticating Requests: Using Query Parameters (AWS Signature
Version 4)": the signature travels as ``X-Amz-Algorithm``, ``X-Amz-Credential``,
``X-Amz-Date``, ``X-Amz-Expires`` (seconds, at most 604800 = 7 days), ``X-Amz-SignedHeaders``,
optional ``X-Amz-Security-Token`` and ``X-Amz-Signature``; the canonical query string is
every parameter except ``X-Amz-Signature``. Error texts are AWS's; the ``X-Amz-Expires``
texts are those Amazon S3 returns, and duplicated parameters are a sagegate-specific
IncompleteSignature.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

from .canonical import query_pairs
from .errors import incomplete_signature
from .params import (
    SigV4Params,
    parse_amz_date,
    parse_credential,
    signed_security_token,
    unsupported_algorithm,
)
from .request import HttpRequest
from .string_to_sign import ALGORITHM

__all__ = ["AUTH_PARAMS", "MAX_EXPIRES", "decoded_query", "parse_presigned"]

MAX_EXPIRES = 604800
_REQUIRED = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
)
AUTH_PARAMS = frozenset((*_REQUIRED, "X-Amz-Expires", "X-Amz-Security-Token"))


def _decode(component: str) -> str:
    return unquote_plus(component, errors="surrogateescape")


def decoded_query(raw_query: str) -> list[tuple[str, str]]:
    """The query's ``(name, value)`` pairs, percent- and plus-decoded."""
    return [(_decode(k), _decode(v)) for k, v in query_pairs(raw_query)]


def _parse_expires(value: str) -> int:
    if not value.isascii() or not value.lstrip("-").isdigit():
        raise incomplete_signature("X-Amz-Expires should be a number")
    expires = int(value)
    if expires < 0:
        raise incomplete_signature("X-Amz-Expires must be non-negative")
    if expires > MAX_EXPIRES:
        raise incomplete_signature(
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES}"
        )
    return expires


def parse_presigned(request: HttpRequest, pairs: list[tuple[str, str]]) -> SigV4Params:
    """Parse the decoded query ``pairs`` of a presigned request."""
    found: dict[str, str] = {}
    for name, value in pairs:
        if name in AUTH_PARAMS:
            if name in found:
                raise incomplete_signature(
                    f"Duplicate query-string parameter '{name}'. "
                    "Re-examine the query-string parameters."
                )
            found[name] = value
    problems = "".join(
        f"AWS query-string parameters must include '{name}'. "
        for name in _REQUIRED
        if not found.get(name)
    )
    if problems:
        raise incomplete_signature(f"{problems}Re-examine the query-string parameters.")
    algorithm = found["X-Amz-Algorithm"]
    if algorithm != ALGORITHM:
        raise unsupported_algorithm(algorithm)
    amz_date = found["X-Amz-Date"]
    timestamp = parse_amz_date(amz_date)
    expires = _parse_expires(found["X-Amz-Expires"]) if "X-Amz-Expires" in found else None
    key_id, date, region, service, terminator = parse_credential(found["X-Amz-Credential"])
    signed = found["X-Amz-SignedHeaders"]
    signed_headers = tuple(signed.split(";"))
    token = found.get("X-Amz-Security-Token")
    if token is None:
        token = signed_security_token(request, signed_headers)
    return SigV4Params(
        access_key_id=key_id,
        date=date,
        region=region,
        service=service,
        terminator=terminator,
        signed_headers=signed_headers,
        signature=found["X-Amz-Signature"],
        amz_date=amz_date,
        timestamp=timestamp,
        security_token=token,
        presigned=True,
        expires=expires,
        algorithm=algorithm,
    )
