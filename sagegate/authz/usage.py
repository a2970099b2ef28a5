"""When each access key was last used, and for what (GetAccessKeyLastUsed).

Writing a row on every request would make every read a write. Uses are kept in memory and written
in one go at most every `interval` seconds, from whichever request comes due; a crash loses at most
that interval of last-used dates, never anything that decides access.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any

log = logging.getLogger("sagegate.usage")


class UsageRecorder:
    def __init__(self, store: Any, interval: float = 5.0) -> None:
        self._store = store
        self._interval = interval
        self._pending: dict[str, tuple[datetime, str, str]] = {}
        self._lock = threading.Lock()
        self._due = time.monotonic() + interval

    def record(self, access_key_id: str, when: datetime, service: str, region: str) -> None:
        with self._lock:
            self._pending[access_key_id] = (when, service, region)
        if time.monotonic() >= self._due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            self._due = time.monotonic() + self._interval
        for key_id, (when, service, region) in pending.items():
            try:
                self._store.record_key_use(key_id, when, service, region)
            except Exception:  # a last-used date must never fail a request
                log.exception("could not record use of an access key")
