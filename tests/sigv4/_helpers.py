"""Shared helpers for the sigv4 tests: sign with botocore, receive like a server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from unittest import mock
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sagegate.sigv4 import HttpRequest, SigV4Error, invalid_client_token_id, parse_auth, verify
from sagegate.sigv4.verify import Verified

ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SIGNED_AT = dt.datetime(2015, 8, 30, 12, 36, 0, tzinfo=dt.UTC)


def sign(
    *,
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    service: str = "iam",
    region: str = "us-east-1",
    token: str | None = None,
    presign_expires: int | None = None,
    params: list[tuple[str, str]] | None = None,
    at: dt.datetime = SIGNED_AT,
    access_key: str = ACCESS_KEY,
    secret: str = SECRET,
) -> HttpRequest:
    """Sign with botocore's SigV4Auth (or SigV4QueryAuth) and return what a server receives."""
    request = AWSRequest(method=method, url=url, data=body, params=params or {})
    for name, value in headers:
        request.headers[name] = value  # HTTPHeaders appends: repeated names allowed
    creds = Credentials(access_key, secret, token)
    auth: SigV4Auth
    if presign_expires is None:
        auth = SigV4Auth(creds, service, region)
    else:
        auth = SigV4QueryAuth(creds, service, region, expires=presign_expires)
    naive = at.astimezone(dt.UTC).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=naive):
        auth.add_auth(request)
    prepared = request.prepare()
    return receive(prepared.url, prepared.method, list(request.headers.items()), prepared.body)


def receive(
    url: str, method: str, headers: Iterable[tuple[str, str]], body: bytes | str | None
) -> HttpRequest:
    """The request as an HTTP server sees it: raw path and query, Host added as urllib3 does."""
    parts = urlsplit(url)
    wire_headers = list(headers)
    names = {k.lower() for k, _ in wire_headers}
    if "host" not in names:
        default = {"http": 80, "https": 443}[parts.scheme]
        host = parts.hostname or ""
        if parts.port is not None and parts.port != default:
            host = f"{host}:{parts.port}"
        wire_headers.append(("Host", host))
    if isinstance(body, str):
        body = body.encode()
    body = body or b""
    if "content-length" not in names and body:
        wire_headers.append(("Content-Length", str(len(body))))
    # Servers hand over latin-1 header values; botocore's str values are sent as latin-1.
    return HttpRequest.from_wire(
        method,
        parts.path.encode("utf-8", "surrogateescape"),
        parts.query.encode("utf-8", "surrogateescape"),
        [(k.encode("latin-1"), v.encode("latin-1")) for k, v in wire_headers],
        body,
    )


def server_verify(
    request: HttpRequest,
    now: dt.datetime = SIGNED_AT,
    *,
    keys: dict[str, str] | None = None,
    expected_service: str | None = None,
) -> Verified:
    """What the server does: parse, look the key up, verify."""
    params = parse_auth(request)
    secret = (keys if keys is not None else {ACCESS_KEY: SECRET}).get(params.access_key_id)
    if secret is None:
        raise invalid_client_token_id()
    return verify(request, params, secret, now, expected_service=expected_service)


def rejection(request: HttpRequest, now: dt.datetime = SIGNED_AT, **kwargs: object) -> SigV4Error:
    """The SigV4Error the server raises for ``request`` (fails the test if it verifies)."""
    try:
        server_verify(request, now, **kwargs)  # type: ignore[arg-type]
    except SigV4Error as exc:
        return exc
    raise AssertionError("request unexpectedly verified")
