"""IAM groups: membership, inline and attached group policies (owned by the groups/managed-policies work)."""

from __future__ import annotations

from sagegate.store.base import StoreBase


class GroupsMixin(StoreBase):
    pass
