"""OpenID Connect and SAML identity providers, account aliases."""

from __future__ import annotations

from sagegate.store.base import StoreBase


class ProvidersMixin(StoreBase):
    pass
