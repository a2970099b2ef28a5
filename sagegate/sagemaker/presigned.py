"""CreatePresignedNotebookInstanceUrl and the page its URL opens.

The call is authorized like any other (`sagemaker:CreatePresignedNotebookInstanceUrl` on the
notebook, with its tags and the caller's `aws:SourceIp`), so the developer guide's example that
limits the URL to an IP range holds when the URL is made. The URL then carries a token, signed
with HMAC-SHA256 under a per-account key kept sealed in the store, that names the notebook, the
caller, the address the call came from and when the session ends
(`SessionExpirationDurationInSeconds`, default 12 hours). Opening it checks the signature, the
expiry and that the browser presents it from that same address (so an IP condition the call
had to meet still holds), then serves the notebook's page; framework-free here, mounted by
`sagegate.server.app`. `AuthorizedUrl` points at this server (the Host header of the call).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sagegate.protocol.registry import Call, registry
from sagegate.sagemaker import arns, execution, states
from sagegate.sagemaker.arns import NOTEBOOK
from sagegate.sagemaker.common import fetch, tags_of
from sagegate.sagemaker.notebook_instances import record_not_found
from sagegate.store import NotFound

PATH_PREFIX = "/sagemaker/notebook/"
DEFAULT_SESSION_SECONDS = 43200


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_token(key: bytes, claims: dict[str, Any]) -> str:
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def unverified_claims(token: str) -> dict[str, Any] | None:
    body, sep, _ = token.partition(".")
    if not sep:
        return None
    try:
        claims = json.loads(_unb64(body))
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def verify_token(key: bytes, token: str) -> dict[str, Any] | None:
    """The claims of a token signed with `key`, or None if it was not (constant-time)."""
    body, sep, mac = token.partition(".")
    if not sep:
        return None
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected.encode(), mac.encode()):
        return None
    return unverified_claims(token)


@registry.operation(
    "sagemaker",
    "CreatePresignedNotebookInstanceUrl",
    resources=arns.named(NOTEBOOK),
    context=tags_of(NOTEBOOK),
)
def create_presigned_url(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    res = fetch(call, NOTEBOOK, params["NotebookInstanceName"])
    if res is None:
        raise record_not_found()
    seconds = params.get("SessionExpirationDurationInSeconds", DEFAULT_SESSION_SECONDS)
    claims = {
        "account": res.account_id,
        "region": res.region,
        "name": res.name.lower(),
        "principal": call.caller.arn,
        "ip": call.source_ip,
        "exp": int((call.now + timedelta(seconds=seconds)).timestamp()),
    }
    token = sign_token(call.store.presign_signing_key(res.account_id), claims)
    scheme = "https" if call.secure_transport else "http"
    host = call.host or "localhost"
    url = f"{scheme}://{host}{PATH_PREFIX}{quote(res.name.lower())}?authToken={token}"
    return {"AuthorizedUrl": url}


# -- the page ---------------------------------------------------------------------------------

Page = tuple[int, tuple[tuple[str, str], ...], bytes]
_HEADERS = (
    ("content-type", "text/html; charset=utf-8"),
    ("cache-control", "no-store"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
)


def _page(status: int, title: str, body: str) -> Page:
    doc = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f"{body}</body></html>"
    )
    return status, _HEADERS, doc.encode()


def _denied(reason: str) -> Page:
    return _page(403, "Access denied", f"<p>{html.escape(reason)}</p>")


def open_page(store: Any, name: str, token: str | None, client_ip: str, now: datetime) -> Page:
    """Serve GET /sagemaker/notebook/NAME?authToken=TOKEN: (status, headers, body)."""
    if not token:
        return _denied("This URL is missing its authentication token.")
    claims = unverified_claims(token)
    if claims is None or not isinstance(claims.get("account"), str):
        return _denied("The authentication token is not valid.")
    try:
        key = store.presign_signing_key(claims["account"])
    except NotFound:
        return _denied("The authentication token is not valid.")
    claims = verify_token(key, token)
    if claims is None or claims.get("name") != name.lower():
        return _denied("The authentication token is not valid.")
    if not isinstance(claims.get("exp"), int) or now.timestamp() >= claims["exp"]:
        return _denied("The authentication token has expired.")
    if claims.get("ip") and claims["ip"] != client_ip:
        return _denied("The authentication token was issued for another address.")
    try:
        res = store.get_sagemaker_resource(claims["account"], claims["region"], NOTEBOOK.type, name)
    except NotFound:
        res = None
    if res is not None:
        res = execution.settle(store, res, now)
    status = None if res is None else states.status_at(res, now)
    if res is None or status == states.GONE:
        return _page(
            404, "Notebook instance not found", "<p>The notebook instance does not exist.</p>"
        )
    if status != "InService":
        return _page(
            409,
            "Notebook instance is not available",
            f"<p>The notebook instance is {html.escape(str(status))}; it must be InService.</p>",
        )
    ends = datetime.fromtimestamp(claims["exp"], now.tzinfo).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = (
        f'<p id="notebook" data-arn="{html.escape(res.arn)}">Notebook instance '
        f"<strong>{html.escape(res.name)}</strong> ({html.escape(res.data.get('InstanceType', ''))})"
        f" is InService.</p><p>Signed in as {html.escape(str(claims.get('principal')))}; "
        f"session ends {ends}.</p>"
    )
    return _page(200, f"Jupyter - {res.name}", body)
