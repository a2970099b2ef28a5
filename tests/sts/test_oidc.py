"""sagegate.sts.oidc: TLS pinned by thumbprint against a real loopback HTTPS issuer, and the key
cache's refetch rules (with a scripted fetcher and clock)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from sagegate.sts import oidc
from tests.e2e.oidc_issuer import Issuer, Pki


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[Issuer]:
    i = Issuer(tmp_path)
    yield i
    i.stop()


def test_untrusted_certificate_without_pin_is_a_mismatch(issuer: Issuer) -> None:
    with pytest.raises(oidc.ThumbprintMismatch):
        oidc.KeyCache().keys(issuer.url, (), None)
    with pytest.raises(oidc.ThumbprintMismatch):
        oidc.KeyCache().keys(issuer.url, ("00" * 20,), None)


def test_ca_thumbprint_pins_the_chain(issuer: Issuer) -> None:
    keys = oidc.KeyCache().keys(issuer.url, (issuer.pki.ca_thumbprint.upper(),), None)
    assert [k["kid"] for k in keys] == [issuer.signing.kid]
    assert issuer.hits == ["/.well-known/openid-configuration", "/keys"]


def test_leaf_thumbprint_pins_too(issuer: Issuer) -> None:
    der = issuer.pki.server_cert.public_bytes(serialization.Encoding.DER)
    keys = oidc.KeyCache().keys(issuer.url, (hashlib.sha1(der).hexdigest(),), None)
    assert len(keys) == 1


def test_a_copy_of_the_pinned_ca_does_not_vouch_for_another_key(
    issuer: Issuer, tmp_path: Path
) -> None:
    """A server whose certificate another CA issued, sending the pinned CA's (public)
    certificate along in its chain, is refused: the chain must verify up to the pinned one."""
    evil = Pki.generate("evil CA")
    impostor = Issuer(tmp_path, pki=evil, chain=[evil.ca_cert, issuer.pki.ca_cert])
    try:
        with pytest.raises(oidc.ThumbprintMismatch):
            oidc.KeyCache().keys(impostor.url, (issuer.pki.ca_thumbprint,), None)
    finally:
        impostor.stop()


def test_http_errors_and_redirects_are_not_followed(issuer: Issuer) -> None:
    for status in (500, 302):
        issuer.status = status
        with pytest.raises(oidc.IssuerUnreachable):
            oidc.KeyCache().keys(issuer.url, (issuer.pki.ca_thumbprint,), None)


def test_an_issuer_that_is_gone_is_unreachable(issuer: Issuer) -> None:
    issuer.stop()
    with pytest.raises(oidc.IssuerUnreachable):
        oidc.KeyCache().keys(issuer.url, (issuer.pki.ca_thumbprint,), None)


# -- the cache, with a scripted network ---------------------------------------------------------


class Scripted:
    """Answers `get` from a dict of URL -> JSON document, counting calls."""

    def __init__(self, docs: dict[str, Any]) -> None:
        self.docs = docs
        self.calls: list[str] = []

    def get(self, url: str, thumbprints: tuple[str, ...], limit: int) -> bytes:
        self.calls.append(url)
        return json.dumps(self.docs[url]).encode()


ISS = "https://idp.example.com"


def _network(*kids: str, issuer: str = ISS, jwks_uri: str = ISS + "/keys") -> Scripted:
    return Scripted(
        {
            ISS + oidc.DISCOVERY_PATH: {"issuer": issuer, "jwks_uri": jwks_uri},
            ISS + "/keys": {"keys": [{"kty": "RSA", "kid": k} for k in kids]},
        }
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_keys_are_cached_and_refetched_for_an_unknown_kid_within_a_budget() -> None:
    net, clock = _network("a"), Clock()
    cache = oidc.KeyCache(net, clock)  # type: ignore[arg-type]
    assert [k["kid"] for k in cache.keys(ISS, (), "a")] == ["a"]
    assert [k["kid"] for k in cache.keys(ISS + "/", (), "a")] == ["a"]
    assert len(net.calls) == 2  # one discovery, one JWKS
    net.docs[ISS + "/keys"] = {"keys": [{"kty": "RSA", "kid": "b"}]}  # rotated
    assert [k["kid"] for k in cache.keys(ISS, (), "b")] == ["b"]
    assert len(net.calls) == 4
    # Made-up kids spend the budget (REFETCH_BURST), then no more fetches until it refills.
    for _ in range(int(oidc.REFETCH_BURST) + 3):
        assert cache.keys(ISS, (), "nope") == []
    assert len(net.calls) == 4 + 2 * (int(oidc.REFETCH_BURST) - 1)
    clock.now += oidc.REFETCH_EVERY
    assert cache.keys(ISS, (), "nope") == []
    assert len(net.calls) == 4 + 2 * int(oidc.REFETCH_BURST)


def test_a_failed_fetch_is_remembered_for_a_while() -> None:
    """An unreachable issuer is not asked again by every request naming it."""
    net, clock = _network("a"), Clock()
    cache = oidc.KeyCache(net, clock)  # type: ignore[arg-type]
    good = dict(net.docs)
    net.docs.clear()  # every fetch fails (KeyError from the scripted network)
    for _ in range(5):
        with pytest.raises(KeyError):
            cache.keys(ISS, (), "a")
    assert len(net.calls) == 1
    net.docs.update(good)
    with pytest.raises(KeyError):
        cache.keys(ISS, (), "a")  # still within FAILURE_TTL
    clock.now += oidc.FAILURE_TTL
    assert [k["kid"] for k in cache.keys(ISS, (), "a")] == ["a"]
    assert len(net.calls) == 3


def test_keys_expire_and_thumbprints_are_part_of_the_key() -> None:
    net, clock = _network("a"), Clock()
    cache = oidc.KeyCache(net, clock)  # type: ignore[arg-type]
    cache.keys(ISS, ("aa",), None)
    cache.keys(ISS, ("AA",), None)
    assert len(net.calls) == 2
    cache.keys(ISS, ("bb",), None)
    assert len(net.calls) == 4
    clock.now += oidc.KEYS_TTL + 1
    cache.keys(ISS, ("aa",), None)
    assert len(net.calls) == 6


def test_encryption_keys_are_not_signing_keys() -> None:
    net = _network()
    net.docs[ISS + "/keys"] = {
        "keys": [{"kty": "RSA", "kid": "e", "use": "enc"}, {"kty": "RSA", "kid": "s"}, "junk"]
    }
    assert [k["kid"] for k in oidc.KeyCache(net).keys(ISS, (), None)] == ["s"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "network",
    [
        _network("a", issuer="https://other.example.com"),
        _network("a", jwks_uri="http://idp.example.com/keys"),
        Scripted({ISS + oidc.DISCOVERY_PATH: ["not", "an", "object"]}),
        Scripted(
            {
                ISS + oidc.DISCOVERY_PATH: {"issuer": ISS, "jwks_uri": ISS + "/keys"},
                ISS + "/keys": {"keys": "none"},
            }
        ),
    ],
)
def test_unusable_documents(network: Scripted) -> None:
    with pytest.raises(oidc.NoVerificationKey):
        oidc.KeyCache(network).keys(ISS, (), "a")  # type: ignore[arg-type]
