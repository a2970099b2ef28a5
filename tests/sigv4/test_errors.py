"""The error constructors carry AWS's wire contract: codes, statuses and exact texts."""

from __future__ import annotations

import pytest

from sagegate.sigv4 import (
    SigV4Error,
    content_sha256_mismatch,
    expired_token,
    incomplete_signature,
    invalid_client_token_id,
    invalid_signature,
    missing_authentication_token,
    signature_does_not_match,
)

SDNM = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


@pytest.mark.parametrize(
    ("error", "code", "json_code", "status", "message"),
    [
        (
            missing_authentication_token(),
            "MissingAuthenticationToken",
            "MissingAuthenticationTokenException",
            403,
            "Request is missing Authentication Token",
        ),
        (
            invalid_client_token_id(),
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            403,
            "The security token included in the request is invalid.",
        ),
        (
            expired_token(),
            "ExpiredToken",
            "ExpiredTokenException",
            403,
            "The security token included in the request is expired",
        ),
        (
            incomplete_signature("m"),
            "IncompleteSignature",
            "IncompleteSignatureException",
            400,
            "m",
        ),
        (
            invalid_signature("m", step="request_time"),
            "SignatureDoesNotMatch",
            "InvalidSignatureException",
            403,
            "m",
        ),
        (
            content_sha256_mismatch(),
            "XAmzContentSHA256Mismatch",
            "XAmzContentSHA256Mismatch",
            400,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ),
    ],
)
def test_error_contract(
    error: SigV4Error, code: str, json_code: str, status: int, message: str
) -> None:
    assert (error.code, error.json_code, error.status, error.message) == (
        code,
        json_code,
        status,
        message,
    )
    assert error.json_status == 400
    assert str(error) == message
    assert isinstance(error, Exception)


def test_signature_does_not_match_shows_canonical_request_and_string_to_sign() -> None:
    error = signature_does_not_match("GET\n/\n\nhost:h\n\nhost\nabc", "AWS4-HMAC-SHA256\nX")
    assert error.code == "SignatureDoesNotMatch"
    assert error.json_code == "InvalidSignatureException"
    assert error.status == 403
    assert error.step == "signature"
    assert error.message == (
        f"{SDNM}\n\nThe Canonical String for this request should have been\n"
        "'GET\n/\n\nhost:h\n\nhost\nabc'\n\n"
        "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\nX'\n"
    )
    assert error.canonical_request == "GET\n/\n\nhost:h\n\nhost\nabc"
    assert error.string_to_sign == "AWS4-HMAC-SHA256\nX"
