"""What a request claims about its Signature Version 4 signature.

:class:`SigV4Params` is the parsed form of either the ``Authorization`` header
("Authenticating Requests: Using the Authorization Header") or the presigned query
parameters ("Authenticating Requests: Using Query Parameters"), together with the parsing
of the pieces both share: the credential (``keyid/date/region/service/aws4_request``) and
the ISO-8601 basic-format request time. Error texts are AWS's.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import msgspec

from .errors import incomplete_signature
from .request import HttpRequest
from .string_to_sign import credential_scope

__all__ = [
    "AMZ_DATE_FORMAT",
    "SigV4Params",
    "parse_amz_date",
    "parse_credential",
    "parse_http_date",
    "signed_security_token",
    "unsupported_algorithm",
]

AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_AMZ_DATE_RE = re.compile(r"[0-9]{8}T[0-9]{6}Z")


class SigV4Params(msgspec.Struct, frozen=True):
    """The signature parameters a request carries.

    ``date``, ``region``, ``service`` and ``terminator`` are the credential scope as the
    client wrote it; ``amz_date`` is the request time in ISO-8601 basic format (from
    ``X-Amz-Date``, or converted from ``Date``) and ``timestamp`` the same as a UTC datetime.
    ``expires`` is ``X-Amz-Expires`` for presigned URLs (None if absent or not presigned).
    """

    access_key_id: str
    date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    timestamp: datetime
    security_token: str | None
    presigned: bool
    expires: int | None
    algorithm: str = "AWS4-HMAC-SHA256"

    @property
    def scope(self) -> str:
        """The credential scope, ``date/region/service/terminator``."""
        return credential_scope(self.date, self.region, self.service, self.terminator)

    @property
    def credential(self) -> str:
        """The full credential, ``keyid/date/region/service/terminator``."""
        return f"{self.access_key_id}/{self.scope}"


def unsupported_algorithm(algorithm: str) -> Exception:
    """IncompleteSignature for an algorithm other than AWS4-HMAC-SHA256."""
    return incomplete_signature(
        f"Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). "
    )


def parse_credential(credential: str) -> tuple[str, str, str, str, str]:
    """Split ``keyid/date/region/service/terminator``; trailing slashes are ignored."""
    parts = credential.rstrip("/").split("/")
    if len(parts) != 5:
        raise incomplete_signature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential}'"
        )
    return parts[0], parts[1], parts[2], parts[3], parts[4]


def _bad_date(value: str) -> Exception:
    return incomplete_signature(
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


@functools.lru_cache(maxsize=256)
def parse_amz_date(value: str) -> datetime:
    """Parse ``YYYYMMDDTHHMMSSZ`` into an aware UTC datetime (the requests of one second share
    it: remembered)."""
    if not _AMZ_DATE_RE.fullmatch(value):
        raise _bad_date(value)
    try:
        return datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[9:11]),
            int(value[11:13]),
            int(value[13:15]),
            tzinfo=UTC,
        )
    except ValueError:
        raise _bad_date(value) from None


def parse_http_date(value: str) -> datetime:
    """Parse an RFC 7231 ``Date`` header (used when ``X-Amz-Date`` is absent)."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise _bad_date(value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def signed_security_token(request: HttpRequest, signed_headers: tuple[str, ...]) -> str | None:
    """The ``X-Amz-Security-Token`` header, if it is signed; an unsigned one is ignored.

    An unsigned token could be swapped in transit, so it never identifies a session.
    """
    for name in signed_headers:
        if len(name) == 20 and name.lower() == "x-amz-security-token":
            break
    else:
        return None
    token = request.header("x-amz-security-token")
    return token.strip() if token is not None else None
