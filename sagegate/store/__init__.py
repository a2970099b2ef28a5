"""Persistence for sagegate: SQLAlchemy 2 on SQLite (default) or PostgreSQL, Alembic migrations,
secrets sealed with the deployment keyring. See `sagegate.store.store.Store`."""

from __future__ import annotations

from sagegate.store.credentials import InvalidAuthenticationCode, PasswordPolicyViolation
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
    CredentialReport,
    Group,
    InstanceProfile,
    KeyRecord,
    LoginProfile,
    ManagedPolicy,
    MfaDevice,
    OidcProvider,
    Page,
    PolicyEntity,
    PolicyVersion,
    PrincipalPolicies,
    Role,
    SageMakerResource,
    SamlProvider,
    User,
)
from sagegate.store.sessions import SessionFacts
from sagegate.store.store import Store

__all__ = [
    "AccessKey",
    "AccessKeyLastUsed",
    "Account",
    "AlreadyExists",
    "CredentialReport",
    "DeleteConflict",
    "Group",
    "InstanceProfile",
    "InvalidAuthenticationCode",
    "InvalidMarker",
    "KeyRecord",
    "Keyring",
    "KeyringError",
    "LimitExceeded",
    "LoginProfile",
    "ManagedPolicy",
    "MfaDevice",
    "NotFound",
    "OidcProvider",
    "Page",
    "PasswordPolicyViolation",
    "Passwords",
    "PolicyEntity",
    "PolicyVersion",
    "PrincipalPolicies",
    "Role",
    "SageMakerResource",
    "SamlProvider",
    "SealedDataError",
    "SessionFacts",
    "Store",
    "StoreError",
    "User",
]
