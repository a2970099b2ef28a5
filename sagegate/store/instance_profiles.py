"""Instance profiles and the one role each may hold."""

from __future__ import annotations

from sagegate.store.base import StoreBase


class InstanceProfilesMixin(StoreBase):
    pass
