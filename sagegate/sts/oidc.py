"""An OpenID Connect issuer's signing keys, fetched over pinned TLS and cached.

Follows OpenID Connect Discovery 1.0 (section 4: `ISSUER/.well-known/openid-configuration`, whose
`issuer` must equal the issuer and whose `jwks_uri` names the key set), RFC 7517 (JWK Set) and
the IAM User Guide, *Create an OpenID Connect (OIDC) identity provider in IAM* and *Obtain the
thumbprint for an OpenID Connect identity provider*.

TLS. Every fetch is https. The server's certificate is accepted when it verifies against the
system trust store (IAM does the same for IdPs whose certificates come from trusted root CAs: it
then ignores the thumbprints), or else when one certificate of the chain the server presents has
a SHA-1 thumbprint registered for the provider (AWS registers the top intermediate CA's, or the
leaf's when it is self-signed; sagegate accepts any certificate of the presented chain). Pinning
is sound, not a bare fingerprint compare: the presented chain is read once without verification
to find the certificate with the registered thumbprint, then the connection that fetches is
verified by OpenSSL with that certificate as its only trust anchor (signatures, validity dates,
CA constraints, host name or IP address), so a server that merely repeats a public CA
certificate gets nowhere. Python 3.11 has no public API for the presented chain; the private
`_sslobj.get_unverified_chain()` (public from 3.13) is used, and without it the leaf alone.

Fetches run inline (the dispatcher is synchronous): each socket operation times out after
`TIMEOUT` seconds and a whole fetch after `DEADLINE`; bodies are capped (`MAX_DISCOVERY_BYTES`,
`MAX_JWKS_BYTES`); redirects are never followed (anything but 200 is a failure); nothing about
tokens is logged here. Only registered issuers and the `jwks_uri` they advertise are contacted.

Cache: per process, keyed by issuer and the provider's thumbprints (a thumbprint update means
fresh fetches). Keys live `KEYS_TTL` seconds. A token whose `kid` is not in the cached set
triggers a refetch (keys rotate), from a small per-issuer budget: `REFETCH_BURST` refetches, one
more every `REFETCH_EVERY` seconds, so a stream of made-up `kid`s cannot make sagegate hammer an
issuer.
"""

from __future__ import annotations

import copy
import hashlib
import http.client
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

DISCOVERY_PATH = "/.well-known/openid-configuration"
TIMEOUT = 5.0
DEADLINE = 10.0
MAX_DISCOVERY_BYTES = 64 * 1024
MAX_JWKS_BYTES = 256 * 1024
MAX_KEYS = 100
FAILURE_TTL = 30.0  # seconds a failed discovery/JWKS fetch is answered from memory
KEYS_TTL = 3600.0
REFETCH_BURST = 3.0
REFETCH_EVERY = 20.0
_MAX_ISSUERS = 1000


class OidcError(Exception):
    """The issuer's keys could not be had; subclasses say why."""


class IssuerUnreachable(OidcError):
    """Connecting, TLS, HTTP status, time or size: the issuer did not answer usefully."""


class ThumbprintMismatch(OidcError):
    """The server's certificate is not trusted and no registered thumbprint matches it."""


class NoVerificationKey(OidcError):
    """The discovery document or key set is unusable, or holds no key for the token."""


# -- TLS ---------------------------------------------------------------------------------------


def _system_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _pinned_context(anchor_der: bytes) -> ssl.SSLContext:
    """Verify against `anchor_der` alone; it may be an intermediate or the leaf itself."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and host name checks
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cadata=anchor_der)
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return ctx


def presented_chain(sock: ssl.SSLSocket) -> list[bytes]:
    """The DER certificates the server sent, leaf first."""
    public: Callable[[], Any] | None = getattr(sock, "get_unverified_chain", None)
    if public is not None:  # Python 3.13+
        return [bytes(c) for c in public() or []]
    private = getattr(getattr(sock, "_sslobj", None), "get_unverified_chain", None)
    if private is not None:
        return [c.public_bytes(2) for c in private() or []]  # 2: _ssl.ENCODING_DER
    leaf = sock.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def thumbprint(der: bytes) -> str:
    """IAM's thumbprint of a certificate: SHA-1 of its DER encoding, lower-case hex."""
    return hashlib.sha1(der, usedforsecurity=False).hexdigest()


def _find_anchor(host: str, port: int, thumbprints: Sequence[str]) -> bytes:
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE  # only to read the chain; nothing is fetched over it
    try:
        with (
            socket.create_connection((host, port), timeout=TIMEOUT) as raw,
            probe.wrap_socket(raw, server_hostname=host) as tls,
        ):
            chain = presented_chain(tls)
    except (OSError, ssl.SSLError) as e:
        raise IssuerUnreachable(f"TLS handshake with {host}:{port} failed: {e}") from None
    wanted = {t.lower() for t in thumbprints}
    for der in chain:
        if thumbprint(der) in wanted:
            return der
    raise ThumbprintMismatch(f"no certificate of {host}:{port} matches a registered thumbprint")


# -- HTTP --------------------------------------------------------------------------------------


def _request(host: str, port: int, path: str, ctx: ssl.SSLContext, limit: int) -> bytes:
    deadline = time.monotonic() + DEADLINE
    conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=TIMEOUT)
    try:
        conn.request(
            "GET",
            path,
            headers={"Accept": "application/json", "User-Agent": "sagegate", "Connection": "close"},
        )
        resp = conn.getresponse()
        if resp.status != 200:  # redirects included: they are never followed
            raise IssuerUnreachable(f"https://{host}:{port}{path} answered HTTP {resp.status}")
        body = bytearray()
        while True:
            chunk = resp.read1(16384)
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > limit:
                raise IssuerUnreachable(f"https://{host}:{port}{path} is larger than {limit} bytes")
            if time.monotonic() > deadline:
                raise IssuerUnreachable(f"https://{host}:{port}{path} took too long")
    except ssl.SSLCertVerificationError:
        raise
    except (OSError, http.client.HTTPException) as e:
        raise IssuerUnreachable(f"https://{host}:{port}{path}: {e}") from None
    finally:
        conn.close()


class Fetcher:
    """GET over https with the trust rules above; remembers which certificate each
    (host, port, thumbprints) is pinned to."""

    def __init__(self) -> None:
        self._system = _system_context()
        self._anchors: dict[tuple[str, int, tuple[str, ...]], bytes] = {}

    def get(self, url: str, thumbprints: tuple[str, ...], limit: int) -> bytes:
        parts = urlsplit(url)
        if parts.scheme.lower() != "https" or not parts.hostname or parts.username:
            raise NoVerificationKey(f"not an https URL: {url}")
        host = parts.hostname
        try:
            port = parts.port or 443
        except ValueError:
            raise NoVerificationKey(f"bad port in {url}") from None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        key = (host, port, thumbprints)
        anchor = self._anchors.get(key)
        if anchor is None:
            try:
                return _request(host, port, path, self._system, limit)
            except ssl.SSLCertVerificationError:
                pass
            anchor = _find_anchor(host, port, thumbprints)
            if len(self._anchors) >= _MAX_ISSUERS:
                self._anchors.clear()
            self._anchors[key] = anchor
        try:
            return _request(host, port, path, _pinned_context(anchor), limit)
        except ssl.SSLCertVerificationError as e:
            self._anchors.pop(key, None)
            raise ThumbprintMismatch(f"{host}:{port}: {e.verify_message}") from None


# -- discovery and key sets ----------------------------------------------------------------------


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise NoVerificationKey(f"{what} is not JSON") from None
    if not isinstance(doc, dict):
        raise NoVerificationKey(f"{what} is not a JSON object")
    return doc


def _same_issuer(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


@dataclass
class _Entry:
    keys: tuple[dict[str, Any], ...]
    fetched_at: float
    budget: float
    budget_at: float


class KeyCache:
    """`keys(issuer, thumbprints, kid)`: the issuer's published JWKs for a token's `kid`."""

    def __init__(
        self, fetcher: Fetcher | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._fetcher = fetcher or Fetcher()
        self._clock = clock
        self._entries: dict[tuple[str, tuple[str, ...]], _Entry] = {}
        # A failed fetch is remembered for FAILURE_TTL: an unreachable or slow issuer is not
        # asked again by every (unsigned) request naming it, which would stall the worker.
        self._failures: dict[tuple[str, tuple[str, ...]], tuple[float, Exception]] = {}
        self._lock = threading.Lock()

    def fetch(self, issuer: str, thumbprints: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
        """Discovery document, then its `jwks_uri`; the key set's members as dicts."""
        issuer = issuer.rstrip("/")
        discovery = _json_object(
            self._fetcher.get(issuer + DISCOVERY_PATH, thumbprints, MAX_DISCOVERY_BYTES),
            "the discovery document",
        )
        advertised = discovery.get("issuer")
        if not isinstance(advertised, str) or not _same_issuer(advertised, issuer):
            raise NoVerificationKey("the discovery document names another issuer")
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.lower().startswith("https://"):
            raise NoVerificationKey("the discovery document has no https jwks_uri")
        jwks = _json_object(self._fetcher.get(jwks_uri, thumbprints, MAX_JWKS_BYTES), "the JWKS")
        members = jwks.get("keys")
        if not isinstance(members, list):
            raise NoVerificationKey("the JWKS has no keys")
        return tuple(k for k in members[:MAX_KEYS] if isinstance(k, dict))

    def keys(
        self, issuer: str, thumbprints: Sequence[str], kid: str | None
    ) -> list[dict[str, Any]]:
        """The JWKs that may have signed a token with this `kid` (all signing keys when the
        token names none). Empty when the issuer publishes none, even after a refetch."""
        pins = tuple(sorted(t.lower() for t in thumbprints))
        key = (issuer.rstrip("/"), pins)
        now = self._clock()
        entry = self._entries.get(key)
        fresh = False
        if entry is None or now - entry.fetched_at > KEYS_TTL:
            entry = self._store(key, self._fetch_once(key, issuer, pins, now), now, entry)
            fresh = True
        found = _matching(entry.keys, kid)
        if not found and kid is not None and not fresh:
            with self._lock:
                spend = self._spend(entry, now)
            if spend:
                entry = self._store(key, self._fetch_once(key, issuer, pins, now), now, entry)
                found = _matching(entry.keys, kid)
        return found

    def _fetch_once(
        self, key: tuple[str, tuple[str, ...]], issuer: str, pins: tuple[str, ...], now: float
    ) -> tuple[dict[str, Any], ...]:
        failed = self._failures.get(key)
        if failed is not None and now - failed[0] < FAILURE_TTL:
            raise failed[1].with_traceback(None)
        try:
            return self.fetch(issuer, pins)
        except Exception as e:
            # A copy: the original's traceback and context keep the failed connection alive.
            remembered = copy.copy(e)
            with self._lock:
                if len(self._failures) >= _MAX_ISSUERS:
                    self._failures.clear()
                self._failures[key] = (now, remembered)
            raise

    def _store(
        self,
        key: tuple[str, tuple[str, ...]],
        keys: tuple[dict[str, Any], ...],
        now: float,
        previous: _Entry | None,
    ) -> _Entry:
        budget, budget_at = (
            (previous.budget, previous.budget_at) if previous else (REFETCH_BURST, now)
        )
        entry = _Entry(keys=keys, fetched_at=now, budget=budget, budget_at=budget_at)
        with self._lock:
            if len(self._entries) >= _MAX_ISSUERS:
                self._entries.clear()
            self._entries[key] = entry
        return entry

    @staticmethod
    def _spend(entry: _Entry, now: float) -> bool:
        entry.budget = min(REFETCH_BURST, entry.budget + (now - entry.budget_at) / REFETCH_EVERY)
        entry.budget_at = now
        if entry.budget < 1:
            return False
        entry.budget -= 1
        return True


def _matching(keys: Sequence[dict[str, Any]], kid: str | None) -> list[dict[str, Any]]:
    signing = [k for k in keys if k.get("use") in (None, "sig")]
    if kid is None:
        return signing
    return [k for k in signing if k.get("kid") == kid]


#: The process-wide cache the STS handlers use.
KEYS = KeyCache()
