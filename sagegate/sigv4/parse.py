"""Finding and parsing a request's Signature Version 4 signature.

A request is signed either in the ``Authorization`` header or in the query string
("Authenticating Requests: Using Query Parameters"), never both. The checks and their
order follow what AWS services answer: both present -> SignatureDoesNotMatch /
InvalidSignatureException; neither (or a non-``AWS4-`` Authorization header) ->
MissingAuthenticationToken; missing pieces -> IncompleteSignature.
"""

from __future__ import annotations

from .authorization import parse_authorization_header
from .errors import incomplete_signature, invalid_signature, missing_authentication_token
from .params import SigV4Params
from .presigned import decoded_query, parse_presigned
from .request import HttpRequest

__all__ = ["parse_auth"]


def parse_auth(request: HttpRequest) -> SigV4Params:
    """Parse the signature parameters; raises :class:`SigV4Error` when malformed or absent."""
    authorization = request.header_values("authorization")
    pairs = decoded_query(request.raw_query) if request.raw_query else []
    query_signed = any(name in ("X-Amz-Algorithm", "X-Amz-Signature") for name, _ in pairs)
    if authorization and query_signed:
        raise invalid_signature(
            "Found both 'X-Amz-Algorithm' as a query-string param "
            "and 'Authorization' as HTTP header.",
            step="parse",
        )
    if authorization:
        if len(authorization) > 1:
            raise incomplete_signature("Found more than one 'Authorization' header.")
        return parse_authorization_header(request, authorization[0])
    if query_signed:
        return parse_presigned(request, pairs)
    raise missing_authentication_token()
