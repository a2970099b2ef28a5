from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from sagegate.store import Account, Keyring, Store

# Cheap argon2id parameters: the tests exercise the logic, not the cost.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def password_hasher() -> PasswordHasher:
    return CHEAP_HASHER


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.generate("test-key")


@pytest.fixture
def store(store_url: str, tmp_path: Path, keyring: Keyring) -> Iterator[Store]:
    s = Store.open(store_url, tmp_path, keyring, password_hasher=CHEAP_HASHER)
    s.migrate()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def account(store: Store) -> Account:
    return store.create_account("root@example.com", "root-password")


@pytest.fixture
def other_account(store: Store) -> Account:
    return store.create_account("other@example.com", "other-password")
