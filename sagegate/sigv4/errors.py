"""AWS Signature Version 4 authentication errors, as the wire contract.

Each failure is a :class:`SigV4Error` whose attributes are what goes on the wire: the
awsquery error code used by IAM and STS (``code``), the awsJson equivalent used by
SageMaker (``json_code``), AWS's exact message text, and the HTTP status for each protocol.

Codes, statuses and texts follow the AWS "Common Errors" reference (IncompleteSignature 400,
MissingAuthenticationToken 403, InvalidClientTokenId 403, ExpiredToken 403,
SignatureDoesNotMatch 403) and the messages real IAM, STS and Coral JSON services return
(for example ``Signature expired: ... is now earlier than ... (... - 5 min.)``; the
SignatureDoesNotMatch text ends with the canonical request and string to sign, as STS's does).
Coral JSON services answer every authentication failure with status 400.

No message ever contains a secret: only request data the client already has.
"""

from __future__ import annotations

__all__ = [
    "MSG_EXPIRED_TOKEN",
    "MSG_INVALID_CLIENT_TOKEN_ID",
    "MSG_MISSING_AUTHENTICATION_TOKEN",
    "MSG_SIGNATURE_DOES_NOT_MATCH",
    "SigV4Error",
    "content_sha256_mismatch",
    "expired_token",
    "incomplete_signature",
    "invalid_client_token_id",
    "invalid_signature",
    "missing_authentication_token",
    "signature_does_not_match",
]

MSG_MISSING_AUTHENTICATION_TOKEN = "Request is missing Authentication Token"
MSG_INVALID_CLIENT_TOKEN_ID = "The security token included in the request is invalid."
MSG_EXPIRED_TOKEN = "The security token included in the request is expired"
MSG_SIGNATURE_DOES_NOT_MATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
MSG_CONTENT_SHA256_MISMATCH = (
    "The provided 'x-amz-content-sha256' header does not match what was computed."
)

# Coral (awsJson) services answer authentication failures with 400.
_JSON_STATUS = 400


class SigV4Error(Exception):
    """A request failed Signature Version 4 authentication.

    Attributes:
        code: awsquery error code (IAM, STS), e.g. ``SignatureDoesNotMatch``.
        json_code: awsJson error code (SageMaker), e.g. ``InvalidSignatureException``.
        message: AWS's message text, identical for both protocols.
        status: HTTP status for the awsquery protocol.
        json_status: HTTP status for the awsJson protocol.
        step: which verification step failed (diagnostics only, never on the wire).
        canonical_request / string_to_sign: what the server computed, when the
            signature comparison failed (they are also part of ``message``).
    """

    def __init__(
        self,
        code: str,
        json_code: str,
        message: str,
        *,
        status: int,
        step: str,
        json_status: int = _JSON_STATUS,
        canonical_request: str | None = None,
        string_to_sign: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.json_code = json_code
        self.message = message
        self.status = status
        self.json_status = json_status
        self.step = step
        self.canonical_request = canonical_request
        self.string_to_sign = string_to_sign

    def __repr__(self) -> str:
        return f"SigV4Error(code={self.code!r}, step={self.step!r}, message={self.message!r})"


def missing_authentication_token() -> SigV4Error:
    """No ``Authorization`` header (or not an ``AWS4-`` one) and no presigned query."""
    return SigV4Error(
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        MSG_MISSING_AUTHENTICATION_TOKEN,
        status=403,
        step="parse",
    )


def incomplete_signature(message: str, *, step: str = "parse") -> SigV4Error:
    """The signature parameters are malformed or missing (HTTP 400)."""
    return SigV4Error(
        "IncompleteSignature",
        "IncompleteSignatureException",
        message,
        status=400,
        step=step,
    )


def invalid_signature(message: str, *, step: str) -> SigV4Error:
    """Signature-level rejection other than a digest mismatch: skew, scope, host not signed.

    awsquery services call it ``SignatureDoesNotMatch``, Coral JSON services
    ``InvalidSignatureException``.
    """
    return SigV4Error(
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        message,
        status=403,
        step=step,
    )


def signature_does_not_match(canonical_request: str, string_to_sign: str) -> SigV4Error:
    """The computed signature differs; the message shows what the server computed."""
    message = (
        f"{MSG_SIGNATURE_DOES_NOT_MATCH}\n\n"
        f"The Canonical String for this request should have been\n'{canonical_request}'\n\n"
        f"The String-to-Sign should have been\n'{string_to_sign}'\n"
    )
    return SigV4Error(
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        message,
        status=403,
        step="signature",
        canonical_request=canonical_request,
        string_to_sign=string_to_sign,
    )


def invalid_client_token_id() -> SigV4Error:
    """Unknown or inactive access key id, or an unreadable session token (caller raises)."""
    return SigV4Error(
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        MSG_INVALID_CLIENT_TOKEN_ID,
        status=403,
        step="credentials",
    )


def expired_token() -> SigV4Error:
    """The session token's credentials have expired (caller raises)."""
    return SigV4Error(
        "ExpiredToken",
        "ExpiredTokenException",
        MSG_EXPIRED_TOKEN,
        status=403,
        step="credentials",
    )


def content_sha256_mismatch() -> SigV4Error:
    """``x-amz-content-sha256`` is neither ``UNSIGNED-PAYLOAD`` nor the body's SHA-256."""
    return SigV4Error(
        "XAmzContentSHA256Mismatch",
        "XAmzContentSHA256Mismatch",
        MSG_CONTENT_SHA256_MISMATCH,
        status=400,
        step="payload_hash",
    )
