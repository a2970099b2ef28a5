"""One switch for every in-process cache of authorization facts.

Every IAM write bumps the store's authorization epoch in the same transaction. Before a request
uses a cache, `EpochGuard.sync()` reads the epoch (one indexed read) and, if it moved, empties every
registered cache: a revoked key or a changed policy takes effect on the next request on every
replica.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class EpochGuard:
    def __init__(self, store: Any) -> None:
        self._store = store
        self._epoch: int | None = None
        self._clears: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def register(self, clear: Callable[[], None]) -> None:
        self._clears.append(clear)

    def sync(self) -> int:
        epoch: int = self._store.epoch()
        if epoch != self._epoch:
            with self._lock:
                if epoch != self._epoch:
                    for clear in self._clears:
                        clear()
                    self._epoch = epoch
        return epoch
