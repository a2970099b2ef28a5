"""Parsing the ``Authorization`` header of a Signature Version 4 request.

AWS General Reference, "Signature Version 4 signing process" / "Add the signature to the
HTTP request" (Authorization header)::

    Authorization: AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request,
        SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79...

Components may be separated by commas and/or whitespace. The request time is
``X-Amz-Date`` or, failing that, ``Date``. An ``X-Amz-Security-Token`` header counts only
if it is one of the signed headers (botocore always signs it). Error texts are AWS's IncompleteSignature texts.
"""

from __future__ import annotations

from .errors import incomplete_signature, missing_authentication_token
from .params import (
    AMZ_DATE_FORMAT,
    SigV4Params,
    parse_amz_date,
    parse_credential,
    parse_http_date,
    signed_security_token,
    unsupported_algorithm,
)
from .request import HttpRequest
from .string_to_sign import ALGORITHM

__all__ = ["parse_authorization_header"]

_REQUIRED = ("Credential", "Signature", "SignedHeaders")


def parse_authorization_header(request: HttpRequest, value: str) -> SigV4Params:
    """Parse ``value``, the request's one ``Authorization`` header."""
    value = value.strip()
    if not value.startswith("AWS4-"):
        raise missing_authentication_token()
    algorithm, _, rest = value.partition(" ")
    components: dict[str, str] = {}
    # Tokens are separated by runs of commas and whitespace (`[,\s]+`): with commas made spaces,
    # `str.split()` finds the same tokens (it and the regex's `\s` share Unicode's whitespace).
    for token in rest.replace(",", " ").split():
        key, eq, val = token.partition("=")
        if not eq:
            raise incomplete_signature(
                f"'{token}' not a valid key=value pair (missing equal-sign) "
                f"in Authorization header: '{value}'."
            )
        components.setdefault(key, val)

    amz_date_header = request.header("x-amz-date")
    date_header = request.header("date")
    if not (
        components.get("Credential")
        and components.get("Signature")
        and "SignedHeaders" in components
        and (amz_date_header is not None or date_header is not None)
    ):
        problems = "".join(
            f"Authorization header requires '{name}' parameter. "
            for name in _REQUIRED
            if name not in components or (name != "SignedHeaders" and not components[name])
        )
        if amz_date_header is None and date_header is None:
            problems += (
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header. "
            )
        raise incomplete_signature(f"{problems}Authorization={value}")
    if algorithm != ALGORITHM:
        raise unsupported_algorithm(algorithm)

    if amz_date_header is not None:
        amz_date = amz_date_header.strip()
        timestamp = parse_amz_date(amz_date)
    else:
        assert date_header is not None
        timestamp = parse_http_date(date_header.strip())
        amz_date = timestamp.strftime(AMZ_DATE_FORMAT)

    key_id, date, region, service, terminator = parse_credential(components["Credential"])
    signed = components["SignedHeaders"]
    signed_headers = tuple(signed.split(";")) if signed else ()
    return SigV4Params(
        access_key_id=key_id,
        date=date,
        region=region,
        service=service,
        terminator=terminator,
        signed_headers=signed_headers,
        signature=components["Signature"],
        amz_date=amz_date,
        timestamp=timestamp,
        security_token=signed_security_token(request, signed_headers),
        presigned=False,
        expires=None,
        algorithm=algorithm,
    )
