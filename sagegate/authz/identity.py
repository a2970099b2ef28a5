"""Who signed a request: access key id -> the principal and the secret to check the signature with.

Long-term keys (AKIA...) are looked up in the store, through a cache emptied whenever the
authorization epoch moves. An unknown or inactive key is `InvalidClientTokenId`, as AWS answers:
nothing distinguishes the two.
"""

from __future__ import annotations

import threading
from typing import Any

from sagegate.authz.epoch import EpochGuard
from sagegate.protocol.registry import Caller
from sagegate.sigv4 import invalid_client_token_id

_MAX_CACHED = 100_000


def caller_for_key(record: Any) -> Caller:
    account = record.account_id
    if record.user_id is None:
        return Caller(
            account_id=account,
            type="Account",
            arn=f"arn:aws:iam::{account}:root",
            userid=account,
            access_key_id=record.access_key_id,
        )
    path = record.user_path or "/"
    return Caller(
        account_id=account,
        type="User",
        arn=f"arn:aws:iam::{account}:user{path}{record.user_name}",
        userid=record.user_id,
        access_key_id=record.access_key_id,
        user_id=record.user_id,
        username=record.user_name,
        user_path=path,
    )


class Identities:
    def __init__(self, store: Any, guard: EpochGuard) -> None:
        self._store = store
        self._cache: dict[str, tuple[Caller, str] | None] = {}
        self._lock = threading.Lock()
        guard.register(self._clear)

    def _clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def resolve(self, access_key_id: str) -> tuple[Caller, str]:
        """The caller and the secret access key, or SigV4Error(InvalidClientTokenId)."""
        try:
            hit = self._cache[access_key_id]
        except KeyError:
            hit = self._load(access_key_id)
        if hit is None:
            raise invalid_client_token_id()
        return hit

    def _load(self, access_key_id: str) -> tuple[Caller, str] | None:
        record = self._store.lookup_access_key(access_key_id)
        hit = None
        if record is not None and record.status == "Active":
            hit = (caller_for_key(record), record.secret)
        with self._lock:
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[access_key_id] = hit
        return hit
