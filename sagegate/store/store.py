"""`Store`: the one persistence API of sagegate (accounts, users, keys, policies).

Usage::

    keyring = Keyring.load(data_dir)
    store = Store.open(url_or_None, data_dir, keyring)   # None: SQLite file data_dir/sagegate.db
    store.migrate()                                        # on every start; idempotent
    ...
    store.close()

Every method is synchronous and thread-safe (a session per call on a shared engine), returns
frozen dataclasses from `sagegate.store.records`, and raises `sagegate.store.errors`.
"""

from __future__ import annotations

import os
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import Engine

from sagegate.store import engine as _engine
from sagegate.store.account_reads import AccountReadsMixin
from sagegate.store.accounts import AccountsMixin
from sagegate.store.authorization_details import AuthorizationDetailsMixin
from sagegate.store.credentials import CredentialsMixin
from sagegate.store.groups import GroupsMixin
from sagegate.store.instance_profiles import InstanceProfilesMixin
from sagegate.store.keyring import Keyring
from sagegate.store.keys import AccessKeysMixin
from sagegate.store.passwords import Passwords
from sagegate.store.policies import PoliciesMixin
from sagegate.store.providers import ProvidersMixin
from sagegate.store.roles import RolesMixin
from sagegate.store.sagemaker import SageMakerMixin
from sagegate.store.sessions import SessionsMixin
from sagegate.store.users import UsersMixin

DB_FILE = "sagegate.db"


class Store(
    AccountsMixin,
    UsersMixin,
    AccessKeysMixin,
    PoliciesMixin,
    GroupsMixin,
    RolesMixin,
    InstanceProfilesMixin,
    CredentialsMixin,
    ProvidersMixin,
    AccountReadsMixin,
    AuthorizationDetailsMixin,
    SageMakerMixin,
    SessionsMixin,
):
    def __init__(self, engine: Engine, keyring: Keyring, passwords: Passwords) -> None:
        super().__init__(engine, keyring, passwords)
        self._init_key_use()
        self._init_role_use()

    @classmethod
    def open(
        cls,
        url: str | None,
        data_dir: Path,
        keyring: Keyring,
        *,
        password_hasher: PasswordHasher | None = None,
    ) -> Store:
        """Connect (lazily) to `url`, or to the SQLite file `data_dir/sagegate.db` if None."""
        data_dir = Path(data_dir)
        if url is None:
            data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            url = f"sqlite:///{data_dir / DB_FILE}"
        engine = _engine.make_engine(url)
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            db = Path(engine.url.database or "")
            if not db.exists():  # create it private: it holds password hashes
                db.parent.mkdir(parents=True, exist_ok=True)
                os.close(os.open(db, os.O_CREAT | os.O_WRONLY, 0o600))
        return cls(engine, keyring, Passwords(password_hasher))

    def migrate(self) -> None:
        """Bring the schema to the latest revision. Safe to run concurrently and repeatedly."""
        _engine.migrate(self._engine)

    def schema_revision(self) -> str | None:
        return _engine.current_revision(self._engine)

    def close(self) -> None:
        with self._epoch_lock:
            self._close_epoch_connection()
        self._transaction.close()
        self._engine.dispose()
