"""`sagegate.server.app.settle_heap`: what a server process has loaded before it serves is
frozen out of the cyclic collector's way, service models included."""

from __future__ import annotations

import subprocess
import sys

_CHECK = """
import gc
from sagegate.protocol import models
from sagegate.server.app import settle_heap
assert gc.get_freeze_count() == 0
settle_heap()
assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()
assert models.service_model.cache_info().currsize == len(models.SERVICES)
assert gc.get_count()[0] < 100  # a collection ran just before the freeze
"""


def test_settle_heap_freezes_what_is_loaded() -> None:
    # In a process of its own: frozen objects stay frozen for the life of the process.
    done = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
