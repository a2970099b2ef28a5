"""Persistence for sagegate: SQLAlchemy 2 on SQLite (default) or PostgreSQL, Alembic migrations,
secrets sealed with the deployment keyring. See `sagegate.store.store.Store`."""

from __future__ import annotations

from sagegate.store.errors import (
    AlreadyExists,
    DeleteConflict,
    InvalidMarker,
    KeyringError,
    LimitExceeded,
    NotFound,
    SealedDataError,
    StoreError,
)
from sagegate.store.keyring import Keyring
from sagegate.store.passwords import Passwords
from sagegate.store.records import (
    AccessKey,
    AccessKeyLastUsed,
    Account,
    KeyRecord,
    ManagedPolicy,
    Page,
    PolicyVersion,
    PrincipalPolicies,
    User,
)
from sagegate.store.store import Store

__all__ = [
    "AccessKey",
    "AccessKeyLastUsed",
    "Account",
    "AlreadyExists",
    "DeleteConflict",
    "InvalidMarker",
    "KeyRecord",
    "Keyring",
    "KeyringError",
    "LimitExceeded",
    "ManagedPolicy",
    "NotFound",
    "Page",
    "Passwords",
    "PolicyVersion",
    "PrincipalPolicies",
    "SealedDataError",
    "Store",
    "StoreError",
    "User",
]
