"""Task 2 of Signature Version 4: the string to sign.

AWS General Reference, "Signature Version 4 signing process" / "Create a string to sign"::

    AWS4-HMAC-SHA256 \\n RequestDateTime \\n CredentialScope \\n HexEncode(SHA256(CanonicalRequest))

where CredentialScope is ``YYYYMMDD/region/service/aws4_request`` exactly as the client
stated it in its ``Credential``. Mirrors botocore's ``SigV4Auth.string_to_sign``.
"""

from __future__ import annotations

import hashlib

__all__ = ["ALGORITHM", "TERMINATOR", "credential_scope", "string_to_sign"]

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"


def credential_scope(date: str, region: str, service: str, terminator: str = TERMINATOR) -> str:
    """``date/region/service/terminator``."""
    return f"{date}/{region}/{service}/{terminator}"


def string_to_sign(amz_date: str, scope: str, canonical_request: str) -> str:
    """The StringToSign for a canonical request signed at ``amz_date`` within ``scope``."""
    digest = hashlib.sha256(canonical_request.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"
