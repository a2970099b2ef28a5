"""Task 1 of Signature Version 4: the canonical request.

Follows the AWS General Reference, "Signature Version 4 signing process" / "Create a
canonical request", and mirrors what botocore's ``SigV4Auth.canonical_request`` computes
(botocore/auth.py), since that is what every boto3 and AWS CLI client signs::

    HTTPMethod \\n CanonicalURI \\n CanonicalQueryString \\n
    CanonicalHeaders \\n \\n SignedHeaders \\n HashedPayload

* URI: for every service but S3 the path has its dot segments and empty segments removed
  and is then URI-encoded *again* (``quote(path, safe='/~')`` of the already-encoded wire
  path, so ``%20`` becomes ``%2520``). S3 signs the wire path unchanged.
* Query: each ``name=value`` pair is decoded (``+`` is a space, as in forms) and
  re-encoded with RFC 3986 unreserved characters left alone, then sorted by name and
  value; a pair without ``=`` gets one. For presigned requests ``X-Amz-Signature`` is left out.
* Headers: names lower-cased, values trimmed with inner whitespace runs collapsed to one
  space, repeated headers joined with ``,`` in arrival order.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote, unquote_to_bytes

from .errors import content_sha256_mismatch

__all__ = [
    "EMPTY_SHA256",
    "UNSIGNED_PAYLOAD",
    "canonical_headers",
    "canonical_query_string",
    "canonical_request",
    "canonical_uri",
    "payload_hash",
    "query_pairs",
    "remove_dot_segments",
]

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_S3_PAYLOAD_MARKERS = frozenset(
    {
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    }
)
_QUERY_SAFE = "-_.~"
_PATH_SAFE = "/~"
_HEX = frozenset("0123456789abcdef")


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, plus removal of empty segments (as botocore and AWS do)."""
    if not path:
        return ""
    output: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if output:
                output.pop()
        else:
            output.append(segment)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and output else ""
    return first + "/".join(output) + last


def canonical_uri(raw_path: str, service: str) -> str:
    """The CanonicalURI for ``raw_path`` as received (still percent-encoded)."""
    if service == "s3":
        return raw_path or "/"
    if raw_path == "/":  # every query and JSON API request
        return raw_path
    normalized = remove_dot_segments(raw_path) if raw_path else "/"
    return quote(normalized, safe=_PATH_SAFE, encoding="utf-8", errors="surrogateescape")


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """Split a raw query into raw ``(name, value)`` pairs.

    As botocore does, an empty segment (``a=1&&b=2``, a trailing ``&``) is an empty pair.
    """
    pairs: list[tuple[str, str]] = []
    if not raw_query:
        return pairs
    for segment in raw_query.split("&"):
        name, _, value = segment.partition("=")
        pairs.append((name, value))
    return pairs


def _requote(component: str) -> str:
    raw = unquote_to_bytes(component.replace("+", " ").encode("utf-8", "surrogateescape"))
    return quote(raw, safe=_QUERY_SAFE)


def canonical_query_string(
    pairs: list[tuple[str, str]], *, exclude: frozenset[str] = frozenset()
) -> str:
    """The CanonicalQueryString for raw ``pairs``; names in ``exclude`` (decoded) are dropped."""
    encoded: list[tuple[str, str]] = []
    for name, value in pairs:
        ename = _requote(name)
        if exclude and ename in exclude:
            continue
        encoded.append((ename, _requote(value)))
    encoded.sort()
    return "&".join(f"{k}={v}" for k, v in encoded)


def _trim_all(value: str) -> str:
    return " ".join(value.split())


def canonical_headers(header_map: dict[str, list[str]], signed_headers: tuple[str, ...]) -> str:
    """CanonicalHeaders (each line ``name:value\\n``) for the signed header names."""
    lines = []
    for name in signed_headers:
        values = header_map.get(name.lower(), [])
        if len(values) == 1:  # nearly always: one value, trimmed
            lines.append(f"{name}:{_trim_all(values[0])}\n")
        else:
            lines.append(f"{name}:{','.join(_trim_all(v) for v in values)}\n")
    return "".join(lines)


def canonical_request(
    method: str,
    uri: str,
    query: str,
    headers: str,
    signed_headers: tuple[str, ...],
    hashed_payload: str,
) -> str:
    """Join the parts of the canonical request."""
    return "\n".join(
        (method.upper(), uri, query, headers, ";".join(signed_headers), hashed_payload)
    )


def payload_hash(header_map: dict[str, list[str]], body: bytes, *, service: str) -> str:
    """HashedPayload: ``x-amz-content-sha256`` if sent (checked against the body), else SHA-256.

    botocore puts the header's value into the canonical request whenever the header is
    present. A value other than ``UNSIGNED-PAYLOAD`` must be the body's real SHA-256
    (lower-case hex); S3 also accepts its streaming markers.
    """
    declared = header_map.get("x-amz-content-sha256")
    if declared is None:
        return hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    if len(declared) != 1:
        raise content_sha256_mismatch()
    value = declared[0].strip()
    if value == UNSIGNED_PAYLOAD:
        return value
    if service == "s3" and value in _S3_PAYLOAD_MARKERS:
        return value
    actual = hashlib.sha256(body).hexdigest()
    if len(value) != 64 or not set(value) <= _HEX or value != actual:
        raise content_sha256_mismatch()
    return value
