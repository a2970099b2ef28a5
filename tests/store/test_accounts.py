from __future__ import annotations

import re
from datetime import UTC

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from sagegate.store import Account, AlreadyExists, NotFound, Store


def test_create_account(store: Store) -> None:
    acct = store.create_account("Root@Example.com", "pw")
    assert re.fullmatch(r"[0-9]{12}", acct.account_id)
    assert acct.root_email == "Root@Example.com"
    assert acct.created_at.tzinfo == UTC
    assert acct.root_arn == f"arn:aws:iam::{acct.account_id}:root"
    assert store.get_account(acct.account_id) == acct
    assert store.account_count() == 1


def test_account_ids_are_unique(store: Store) -> None:
    ids = {store.create_account(f"u{i}@example.com", "pw").account_id for i in range(20)}
    assert len(ids) == 20
    assert store.account_count() == 20
    listed = store.list_accounts()
    assert {a.account_id for a in listed} == ids
    assert [a.created_at for a in listed] == sorted(a.created_at for a in listed)


def test_root_email_unique_case_insensitively(store: Store, account: Account) -> None:
    with pytest.raises(AlreadyExists) as exc:
        store.create_account("ROOT@example.COM", "pw2")
    assert exc.value.entity == "account"
    assert store.account_count() == 1


def test_get_missing_account(store: Store) -> None:
    with pytest.raises(NotFound) as exc:
        store.get_account("000000000000")
    assert (exc.value.entity, exc.value.name) == ("account", "000000000000")


def test_list_accounts_empty(store: Store) -> None:
    assert store.list_accounts() == []
    assert store.account_count() == 0


def test_verify_root_password(store: Store, account: Account) -> None:
    assert store.verify_root_password("root@example.com", "root-password") == account
    assert store.verify_root_password("ROOT@EXAMPLE.COM", "root-password") == account
    assert store.verify_root_password("root@example.com", "Root-password") is None
    assert store.verify_root_password("nobody@example.com", "root-password") is None


def test_password_is_hashed_not_stored(store: Store, account: Account) -> None:
    with store.engine.connect() as conn:
        (stored,) = conn.execute(text("SELECT password_hash FROM root_users")).one()
    assert stored.startswith("$argon2id$")
    assert "root-password" not in stored


def test_outdated_hash_is_upgraded_on_login(
    store: Store, account: Account, store_url: str, tmp_path, keyring
) -> None:
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    s2 = Store.open(store_url, tmp_path, keyring, password_hasher=stronger)
    try:
        before = s2.epoch()
        assert s2.verify_root_password("root@example.com", "root-password") == account
        with s2.engine.connect() as conn:
            (stored,) = conn.execute(text("SELECT password_hash FROM root_users")).one()
        assert not stronger.check_needs_rehash(stored)
        assert s2.epoch() == before  # a rehash is not an authorization change
        assert store.verify_root_password("root@example.com", "root-password") == account
    finally:
        s2.close()
