"""A real store (SQLite and PostgreSQL, via `store_url`) for the authorization glue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from sagegate.authz import Authorizer, EpochGuard, Identities
from sagegate.store import Account, Keyring, Store

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    s = Store.open(store_url, tmp_path, Keyring.generate("test"), password_hasher=CHEAP_HASHER)
    s.migrate()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def account(store: Store) -> Account:
    return store.create_account("root@example.com", "root-password")


@pytest.fixture
def guard(store: Store) -> EpochGuard:
    g = EpochGuard(store)
    g.sync()
    return g


@pytest.fixture
def identities(store: Store, guard: EpochGuard) -> Identities:
    return Identities(store, guard)


@pytest.fixture
def authorizer(store: Store, guard: EpochGuard) -> Authorizer:
    return Authorizer(store, guard)
