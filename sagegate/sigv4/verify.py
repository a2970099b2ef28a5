"""Verifying a Signature Version 4 signature.

Recomputes the signature the way the client did (AWS General Reference, "Signature
Version 4 signing process", tasks 1-4; for presigned URLs "Authenticating Requests: Using
Query Parameters") and compares it in constant time. The checks run in the order AWS
services apply them, each with AWS's code and text:

1. request time within ``max_skew`` of ``now`` (presigned: not before ``now + max_skew``
   and not past ``X-Amz-Date + X-Amz-Expires``),
2. ``host`` is a signed header,
3. credential scope: valid region, expected service, ``aws4_request``, date = X-Amz-Date's,
4. ``x-amz-content-sha256`` agrees with the body,
5. the signature itself.

Steps 1 and 3 need no secret, so a server may call :func:`check_request` before it looks
the access key up, reproducing AWS's order exactly; :func:`verify` runs them in any case.
"""

from __future__ import annotations

import functools
import hmac
import re
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import msgspec

from .canonical import (
    UNSIGNED_PAYLOAD,
    canonical_headers,
    canonical_query_string,
    canonical_request,
    canonical_uri,
    payload_hash,
    query_pairs,
)
from .errors import invalid_signature, signature_does_not_match
from .params import AMZ_DATE_FORMAT, SigV4Params
from .request import HttpRequest
from .signing_key import SigningKeyCache, default_cache, sign
from .string_to_sign import TERMINATOR, string_to_sign

__all__ = ["DEFAULT_MAX_SKEW", "Verified", "check_request", "check_service", "verify"]

DEFAULT_MAX_SKEW = timedelta(minutes=5)
_REGION_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SIGNATURE_EXCLUDE = frozenset({"X-Amz-Signature"})


class Verified(msgspec.Struct, frozen=True):
    """A request whose signature checked out: who signed it, for what, when."""

    params: SigV4Params
    access_key_id: str
    region: str
    service: str
    security_token: str | None
    signed_at: datetime
    presigned: bool


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(AMZ_DATE_FORMAT)


def _fmt_span(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} sec"


def _check_time(params: SigV4Params, now: datetime, max_skew: timedelta) -> None:
    signed_at = params.timestamp
    latest = now + max_skew
    if signed_at > latest:
        raise invalid_signature(
            f"Signature not yet current: {params.amz_date} is still later than "
            f"{_fmt(latest)} ({_fmt(now)} + {_fmt_span(max_skew)}.)",
            step="request_time",
        )
    window = timedelta(seconds=params.expires) if params.expires is not None else max_skew
    earliest = now - window
    if signed_at < earliest:
        raise invalid_signature(
            f"Signature expired: {params.amz_date} is now earlier than "
            f"{_fmt(earliest)} ({_fmt(now)} - {_fmt_span(window)}.)",
            step="request_time",
        )


def _check_host_signed(params: SigV4Params) -> None:
    signed = params.signed_headers
    if "host" not in signed and not any(name.lower() == "host" for name in signed):
        raise invalid_signature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            step="signed_headers",
        )


@functools.lru_cache(maxsize=256)
def _valid_region(region: str) -> bool:
    """A well-formed region name (remembered: a deployment's clients use a handful)."""
    return _REGION_RE.fullmatch(region) is not None


def _check_scope(
    params: SigV4Params,
    expected_service: str | None,
    allowed_regions: Collection[str] | None,
) -> None:
    problems = []
    region_ok = (
        params.region in allowed_regions
        if allowed_regions is not None
        else _valid_region(params.region)
    )
    if not region_ok:
        problems.append(f"Credential should be scoped to a valid region, not '{params.region}'. ")
    if expected_service is not None and params.service != expected_service:
        problems.append(f"Credential should be scoped to correct service: '{expected_service}'. ")
    if params.terminator != TERMINATOR:
        problems.append(
            "Credential should be scoped with a valid terminator: "
            f"'{TERMINATOR}', not '{params.terminator}'. "
        )
    http_date = params.amz_date[:8]
    if params.date != http_date:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{params.date}' != '{http_date}', from '{params.amz_date}'."
        )
    if problems:
        raise invalid_signature("".join(problems), step="credential_scope")


def _as_utc(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def check_request(
    params: SigV4Params,
    now: datetime,
    *,
    expected_service: str | None = None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    allowed_regions: Collection[str] | None = None,
) -> None:
    """The checks that need no secret: request time, ``host`` signed, credential scope.

    ``now`` should be timezone-aware; a naive datetime is taken as UTC. With
    ``allowed_regions`` None any well-formed region name is accepted.
    """
    _check_time(params, _as_utc(now), max_skew)
    _check_host_signed(params)
    _check_scope(params, expected_service, allowed_regions)


def check_service(params: SigV4Params, expected_service: str) -> None:
    """`check_request`'s scope check again, now with the service the request turned out to be
    for (time and signed headers were checked before)."""
    _check_scope(params, expected_service, None)


def verify(
    request: HttpRequest,
    params: SigV4Params,
    secret_access_key: str,
    now: datetime,
    *,
    expected_service: str | None = None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    allowed_regions: Collection[str] | None = None,
    cache: SigningKeyCache = default_cache,
    checked: bool = False,
) -> Verified:
    """Check ``request``'s signature ``params`` with the signer's secret; raise SigV4Error.
    ``checked``: the caller has just run `check_request` with the same arguments."""
    if not checked:
        check_request(
            params,
            now,
            expected_service=expected_service,
            max_skew=max_skew,
            allowed_regions=allowed_regions,
        )
    header_map = request.header_map
    if params.presigned and params.service == "s3" and "x-amz-content-sha256" not in header_map:
        hashed_payload = UNSIGNED_PAYLOAD
    else:
        hashed_payload = payload_hash(header_map, request.body, service=params.service)
    creq = canonical_request(
        request.method,
        canonical_uri(request.raw_path, params.service),
        canonical_query_string(
            query_pairs(request.raw_query),
            exclude=_SIGNATURE_EXCLUDE if params.presigned else frozenset(),
        ),
        canonical_headers(header_map, params.signed_headers),
        params.signed_headers,
        hashed_payload,
    )
    sts = string_to_sign(params.amz_date, params.scope, creq)
    key = cache.get(secret_access_key, params.date, params.region, params.service)
    expected = sign(key, sts)
    given = params.signature.encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(expected.encode("ascii"), given):
        raise signature_does_not_match(creq, sts)
    return Verified(
        params=params,
        access_key_id=params.access_key_id,
        region=params.region,
        service=params.service,
        security_token=params.security_token,
        signed_at=params.timestamp,
        presigned=params.presigned,
    )
