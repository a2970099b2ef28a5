"""Console passwords (login profiles), the account password policy, virtual MFA devices."""

from __future__ import annotations

from sagegate.store.base import StoreBase


class CredentialsMixin(StoreBase):
    pass
