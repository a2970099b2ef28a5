"""Task 3 of Signature Version 4: the signing key and the signature.

AWS General Reference, "Signature Version 4 signing process" / "Calculate the signature"::

    kDate    = HMAC("AWS4" + SecretAccessKey, Date)
    kRegion  = HMAC(kDate, Region)
    kService = HMAC(kRegion, ServiceName)
    kSigning = HMAC(kService, "aws4_request")
    signature = HexEncode(HMAC(kSigning, StringToSign))

The derived key is valid for one (secret, day, region, service), so it is cached in a small
thread-safe LRU. The cache key holds a SHA-256 digest of the secret, never the secret; the
cached value is only the derived ``kSigning``. Nothing here logs.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict

from .string_to_sign import TERMINATOR

__all__ = ["SigningKeyCache", "default_cache", "derive_signing_key", "sign"]


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.digest(key, msg.encode("utf-8", "surrogateescape"), "sha256")


def derive_signing_key(
    secret_access_key: str, date: str, region: str, service: str, terminator: str = TERMINATOR
) -> bytes:
    """``kSigning`` for one secret, date (YYYYMMDD), region and service."""
    k_date = _hmac(f"AWS4{secret_access_key}".encode(), date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    return _hmac(k_service, terminator)


def sign(signing_key: bytes, string_to_sign: str) -> str:
    """The hex signature of ``string_to_sign``: HMAC-SHA256 (RFC 2104) from the key's inner and
    outer hash states, computed once per signing key (a one-shot `hmac.digest` prepares them
    again on every call)."""
    pads = _pads.get(signing_key)
    if pads is None:
        pads = _pads_of(signing_key)
    inner = pads[0].copy()
    inner.update(string_to_sign.encode("utf-8", "surrogateescape"))
    outer = pads[1].copy()
    outer.update(inner.digest())
    return outer.hexdigest()


_BLOCK = 64  # SHA-256's block size, in bytes
_IPAD = bytes(0x36 for _ in range(_BLOCK))
_OPAD = bytes(0x5C for _ in range(_BLOCK))
# Signing key -> (SHA-256 over key ^ ipad, SHA-256 over key ^ opad); as secret as the derived
# keys `SigningKeyCache` holds, and bounded like it.
_pads: dict[bytes, tuple[hashlib._Hash, hashlib._Hash]] = {}
_PADS_MAX = 4096


def _pads_of(signing_key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    key = signing_key if len(signing_key) <= _BLOCK else hashlib.sha256(signing_key).digest()
    key = key.ljust(_BLOCK, b"\0")
    pads = (
        hashlib.sha256(bytes(k ^ p for k, p in zip(key, _IPAD, strict=True))),
        hashlib.sha256(bytes(k ^ p for k, p in zip(key, _OPAD, strict=True))),
    )
    if len(_pads) >= _PADS_MAX:
        _pads.clear()
    _pads[signing_key] = pads
    return pads


class SigningKeyCache:
    """LRU of derived signing keys keyed by (SHA-256 of secret, date, region, service)."""

    def __init__(self, maxsize: int = 4096) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._maxsize = maxsize
        self._entries: OrderedDict[tuple[bytes, str, str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, secret_access_key: str, date: str, region: str, service: str) -> bytes:
        """The signing key, derived on a miss."""
        cache_key = (
            hashlib.sha256(secret_access_key.encode("utf-8", "surrogatepass")).digest(),
            date,
            region,
            service,
        )
        with self._lock:
            found = self._entries.get(cache_key)
            if found is not None:
                self._entries.move_to_end(cache_key)
                return found
        derived = derive_signing_key(secret_access_key, date, region, service)
        with self._lock:
            self._entries[cache_key] = derived
            self._entries.move_to_end(cache_key)
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)
        return derived

    def clear(self) -> None:
        """Forget every cached key (e.g. after a key rotation)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


default_cache = SigningKeyCache()
