"""Signing-key derivation and its LRU cache."""

from __future__ import annotations

import hashlib
import hmac
import random

from sagegate.sigv4 import SigningKeyCache, derive_signing_key
from sagegate.sigv4.signing_key import sign

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def test_derived_key_matches_aws_example() -> None:
    # AWS General Reference, "Examples of how to derive a signing key for Signature Version 4"
    key = derive_signing_key(SECRET, "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


def test_signature_of_get_vanilla() -> None:
    sts = (
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    )
    key = derive_signing_key(SECRET, "20150830", "us-east-1", "service")
    assert sign(key, sts) == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"


def test_sign_is_hmac_sha256_for_any_key_and_text() -> None:
    # `sign` computes HMAC from per-key hash states: the same as the standard library's HMAC for
    # keys shorter than, as long as and longer than SHA-256's block, used again and again.
    rng = random.Random(7)
    keys = [rng.randbytes(n) for n in (0, 1, 32, 63, 64, 65, 200)]
    for _ in range(3):
        for key in keys:
            text = "".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(80)))
            text += "\udcff"  # a byte the request's path could not decode, kept as is
            expected = hmac.new(key, text.encode("utf-8", "surrogateescape"), "sha256")
            assert sign(key, text) == expected.hexdigest()


def test_cache_returns_the_derived_key_and_stores_no_secret() -> None:
    cache = SigningKeyCache(maxsize=8)
    first = cache.get(SECRET, "20150830", "us-east-1", "iam")
    assert first == derive_signing_key(SECRET, "20150830", "us-east-1", "iam")
    assert cache.get(SECRET, "20150830", "us-east-1", "iam") is first
    assert len(cache) == 1
    stored = repr(cache._entries)  # noqa: SLF001 - white-box: the secret must not be kept
    assert SECRET not in stored
    assert hashlib.sha256(SECRET.encode()).digest() in next(iter(cache._entries))


def test_cache_keys_on_secret_date_region_and_service() -> None:
    cache = SigningKeyCache()
    keys = {
        cache.get(s, d, r, v)
        for s in (SECRET, SECRET + "x")
        for d in ("20150830", "20150831")
        for r in ("us-east-1", "eu-west-1")
        for v in ("iam", "sts")
    }
    assert len(keys) == 16
    assert len(cache) == 16


def test_cache_evicts_least_recently_used() -> None:
    cache = SigningKeyCache(maxsize=2)
    cache.get(SECRET, "20150830", "r1", "iam")
    cache.get(SECRET, "20150830", "r2", "iam")
    cache.get(SECRET, "20150830", "r1", "iam")  # r1 is now the most recent
    cache.get(SECRET, "20150830", "r3", "iam")  # evicts r2
    assert len(cache) == 2
    regions = {k[2] for k in cache._entries}  # noqa: SLF001
    assert regions == {"r1", "r3"}
    cache.clear()
    assert len(cache) == 0
