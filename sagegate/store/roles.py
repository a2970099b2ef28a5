"""IAM roles: trust policies, inline and attached role policies, boundaries, service-linked roles."""

from __future__ import annotations

from sagegate.store.base import StoreBase


class RolesMixin(StoreBase):
    pass
