"""Signature Version 4 verification, a pure package (stdlib only, no I/O).

Implements the server side of the AWS General Reference "Signature Version 4 signing
process" and "Authenticating Requests: Using Query Parameters", byte-for-byte compatible
with botocore's ``SigV4Auth`` / ``SigV4QueryAuth``. Usage::

    params = parse_auth(request)                  # SigV4Error if absent or malformed
    secret = lookup(params.access_key_id)         # caller: raise invalid_client_token_id()
    verified = verify(request, params, secret, now, expected_service="iam")
"""

from __future__ import annotations

from .canonical import canonical_query_string, canonical_request, canonical_uri
from .errors import (
    SigV4Error,
    content_sha256_mismatch,
    expired_token,
    incomplete_signature,
    invalid_client_token_id,
    invalid_signature,
    missing_authentication_token,
    signature_does_not_match,
)
from .params import SigV4Params
from .parse import parse_auth
from .request import HttpRequest, header_map
from .signing_key import SigningKeyCache, default_cache, derive_signing_key
from .string_to_sign import credential_scope, string_to_sign
from .verify import DEFAULT_MAX_SKEW, Verified, check_request, check_service, verify

__all__ = [
    "DEFAULT_MAX_SKEW",
    "HttpRequest",
    "SigV4Error",
    "SigV4Params",
    "SigningKeyCache",
    "Verified",
    "canonical_query_string",
    "canonical_request",
    "canonical_uri",
    "check_request",
    "check_service",
    "content_sha256_mismatch",
    "credential_scope",
    "default_cache",
    "derive_signing_key",
    "expired_token",
    "header_map",
    "incomplete_signature",
    "invalid_client_token_id",
    "invalid_signature",
    "missing_authentication_token",
    "parse_auth",
    "signature_does_not_match",
    "string_to_sign",
    "verify",
]
