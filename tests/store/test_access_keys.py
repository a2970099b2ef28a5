from __future__ import annotations

import os
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from sagegate.store import (
    AccessKeyLastUsed,
    Account,
    KeyRecord,
    Keyring,
    LimitExceeded,
    NotFound,
    SealedDataError,
    Store,
    ids,
)


def test_create_access_key_for_user(store: Store, account: Account) -> None:
    user = store.create_user(account.account_id, "Alice", "/p/")
    key, secret = store.create_access_key(account.account_id, "alice")
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key.access_key_id)
    assert re.fullmatch(r"[A-Za-z0-9/+]{40}", secret)
    assert key.user_name == "Alice" and key.status == "Active"
    assert key.created_at.tzinfo == UTC
    rec = store.lookup_access_key(key.access_key_id)
    assert rec == KeyRecord(
        access_key_id=key.access_key_id,
        secret=secret,
        account_id=account.account_id,
        user_id=user.user_id,
        user_name="Alice",
        user_path="/p/",
        status="Active",
        created_at=key.created_at,
    )
    assert not rec.is_root
    assert rec.principal_arn == user.arn
    assert secret not in repr(rec)


def test_root_access_keys(store: Store, account: Account) -> None:
    key, secret = store.create_access_key(account.account_id, None)
    assert key.user_name is None
    rec = store.lookup_access_key(key.access_key_id)
    assert rec is not None and rec.is_root and rec.user_id is None and rec.user_name is None
    assert rec.secret == secret
    assert rec.principal_arn == f"arn:aws:iam::{account.account_id}:root"
    assert store.list_access_keys(account.account_id, None) == (key,)
    store.create_access_key(account.account_id, None)
    with pytest.raises(LimitExceeded):
        store.create_access_key(account.account_id, None)
    # A user's keys are counted separately from root's.
    store.create_user(account.account_id, "u")
    store.create_access_key(account.account_id, "u")
    assert len(store.list_access_keys(account.account_id, None)) == 2


def test_create_access_key_errors(store: Store, account: Account) -> None:
    with pytest.raises(NotFound) as exc:
        store.create_access_key(account.account_id, "nobody")
    assert exc.value.entity == "user"
    with pytest.raises(NotFound) as exc:
        store.create_access_key("999999999999", None)
    assert exc.value.entity == "account"


def test_at_most_two_keys_per_user(store: Store, account: Account) -> None:
    store.create_user(account.account_id, "u")
    store.create_access_key(account.account_id, "u")
    store.create_access_key(account.account_id, "u")
    with pytest.raises(LimitExceeded) as exc:
        store.create_access_key(account.account_id, "u")
    assert exc.value.message == "Cannot exceed quota for AccessKeysPerUser: 2"
    assert (exc.value.what, exc.value.limit) == ("AccessKeysPerUser", 2)
    assert len(store.list_access_keys(account.account_id, "u")) == 2


def test_two_key_limit_holds_under_concurrency(
    store: Store, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Threads race between counting and inserting; the write lock keeps the quota."""
    store.create_user(account.account_id, "u")
    store.create_access_key(account.account_id, "u")
    real = ids.new_access_key_id

    def slow_id() -> str:
        time.sleep(0.2)  # widen the window between the count and the insert
        return real()

    monkeypatch.setattr(ids, "new_access_key_id", slow_id)
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def create() -> None:
        barrier.wait()
        try:
            store.create_access_key(account.account_id, "u")
            outcomes.append("ok")
        except LimitExceeded:
            outcomes.append("limit")

    threads = [threading.Thread(target=create) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["limit", "limit", "ok"]
    assert len(store.list_access_keys(account.account_id, "u")) == 2


def test_list_update_delete(store: Store, account: Account, other_account: Account) -> None:
    aid = account.account_id
    store.create_user(aid, "u")
    store.create_user(aid, "v")
    k1, _ = store.create_access_key(aid, "u")
    k2, _ = store.create_access_key(aid, "U")
    assert [k.access_key_id for k in store.list_access_keys(aid, "u")] == [
        k1.access_key_id,
        k2.access_key_id,
    ]
    assert store.list_access_keys(aid, "v") == ()
    with pytest.raises(NotFound):
        store.list_access_keys(aid, "nobody")

    store.update_access_key(aid, "u", k1.access_key_id, "Inactive")
    assert store.list_access_keys(aid, "u")[0].status == "Inactive"
    rec = store.lookup_access_key(k1.access_key_id)
    assert rec is not None and rec.status == "Inactive"
    store.update_access_key(aid, "u", k1.access_key_id, "Active")
    assert store.list_access_keys(aid, "u")[0].status == "Active"
    with pytest.raises(ValueError):
        store.update_access_key(aid, "u", k1.access_key_id, "Disabled")  # type: ignore[arg-type]

    # Keys are addressed through their owner: another user, root or account cannot touch them.
    for owner_account, owner in ((aid, "v"), (aid, None), (other_account.account_id, None)):
        with pytest.raises(NotFound) as exc:
            store.update_access_key(owner_account, owner, k1.access_key_id, "Inactive")
        assert exc.value.message == f"The Access Key with id {k1.access_key_id} cannot be found."
        with pytest.raises(NotFound):
            store.delete_access_key(owner_account, owner, k1.access_key_id)

    store.delete_access_key(aid, "u", k1.access_key_id)
    assert store.lookup_access_key(k1.access_key_id) is None
    assert [k.access_key_id for k in store.list_access_keys(aid, "u")] == [k2.access_key_id]
    with pytest.raises(NotFound):
        store.delete_access_key(aid, "u", k1.access_key_id)
    with pytest.raises(NotFound):
        store.update_access_key(aid, "u", "AKIAAAAAAAAAAAAAAAAA", "Inactive")


def test_lookup_unknown_key(store: Store) -> None:
    assert store.lookup_access_key("AKIAAAAAAAAAAAAAAAAA") is None


def test_secret_never_stored_in_plaintext(
    store: Store, account: Account, store_url: str, tmp_path: Path
) -> None:
    store.create_user(account.account_id, "u")
    secrets = [store.create_access_key(account.account_id, "u")[1] for _ in range(2)]
    secrets.append(store.create_access_key(account.account_id, None)[1])
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM access_keys")).all()
        assert len(rows) == 3
        for row in rows:
            for value in row:
                blob = (
                    bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                )
                for secret in secrets:
                    assert secret.encode() not in blob
        if store.dialect == "postgresql":
            superuser = conn.execute(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            ).scalar()
            if superuser:
                conn.execute(text("CHECKPOINT"))
                path = conn.execute(text("SELECT pg_relation_filepath('access_keys')")).scalar()
                raw = conn.execute(text("SELECT pg_read_binary_file(:p)"), {"p": path}).scalar()
                assert raw and len(raw) > 0
                for secret in secrets:
                    assert secret.encode() not in bytes(raw)
    if store.dialect == "sqlite":
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("sagegate.db*"))
        assert raw
        for secret in secrets:
            assert secret.encode() not in raw


def test_sealed_secret_bound_to_its_key_id(store: Store, account: Account) -> None:
    """A sealed secret copied onto another key's row does not open."""
    store.create_user(account.account_id, "u")
    k1, _ = store.create_access_key(account.account_id, "u")
    k2, _ = store.create_access_key(account.account_id, "u")
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE access_keys SET secret_sealed = "
                "(SELECT secret_sealed FROM access_keys WHERE access_key_id = :a) "
                "WHERE access_key_id = :b"
            ),
            {"a": k1.access_key_id, "b": k2.access_key_id},
        )
    with pytest.raises(SealedDataError):
        store.lookup_access_key(k2.access_key_id)


def test_keyring_rotation_keeps_keys_working(
    store_url: str, tmp_path: Path, password_hasher: PasswordHasher
) -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    s1 = Store.open(
        store_url, tmp_path, Keyring({"old": old_key}, "old"), password_hasher=password_hasher
    )
    s1.migrate()
    stores = [s1]
    try:
        acct = s1.create_account("r@example.com", "pw")
        s1.create_user(acct.account_id, "u")
        key, secret = s1.create_access_key(acct.account_id, "u")

        s2 = Store.open(store_url, tmp_path, Keyring({"new": new_key, "old": old_key}, "new"))
        stores.append(s2)
        rec = s2.lookup_access_key(key.access_key_id)
        assert rec is not None and rec.secret == secret
        k2, secret2 = s2.create_access_key(acct.account_id, "u")  # sealed with "new"
        assert s2.reseal_secrets() == 1  # only the old one needed it
        assert s2.reseal_secrets() == 0

        s3 = Store.open(store_url, tmp_path, Keyring({"new": new_key}, "new"))
        stores.append(s3)
        for kid, sec in ((key.access_key_id, secret), (k2.access_key_id, secret2)):
            rec = s3.lookup_access_key(kid)
            assert rec is not None and rec.secret == sec
        with pytest.raises(SealedDataError):
            s1.lookup_access_key(key.access_key_id)  # the retired key alone cannot open it
    finally:
        for s in stores:
            s.close()


def test_record_key_use_and_last_used(store: Store, account: Account) -> None:
    store.create_user(account.account_id, "u")
    key, _ = store.create_access_key(account.account_id, "u")
    kid = key.access_key_id
    lu = store.get_access_key_last_used(kid)
    assert lu is not None
    assert (lu.user_name, lu.last_used_at, lu.last_used_service, lu.last_used_region) == (
        "u",
        None,
        None,
        None,
    )
    assert lu.account_id == account.account_id

    t0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    epoch = store.epoch()
    store.record_key_use(kid, t0, "iam", "us-east-1")
    lu = store.get_access_key_last_used(kid)
    assert lu is not None
    assert (lu.last_used_at, lu.last_used_service, lu.last_used_region) == (t0, "iam", "us-east-1")
    assert store.epoch() == epoch  # not an authorization change

    # Throttled: the same slot within the interval is not written again.
    store.record_key_use(kid, t0 + timedelta(seconds=5), "iam", "us-east-1")
    assert _last_used(store, kid).last_used_at == t0
    # A different service is a different slot.
    store.record_key_use(kid, t0 + timedelta(seconds=6), "sts", "eu-west-1")
    lu = store.get_access_key_last_used(kid)
    assert lu is not None
    assert (lu.last_used_at, lu.last_used_service, lu.last_used_region) == (
        t0 + timedelta(seconds=6),
        "sts",
        "eu-west-1",
    )
    # Never moves backwards.
    store.record_key_use(kid, t0 - timedelta(hours=1), "s3", "us-west-2")
    assert _last_used(store, kid).last_used_service == "sts"
    assert store.get_access_key_last_used("AKIAAAAAAAAAAAAAAAAA") is None


def _last_used(store: Store, key_id: str) -> AccessKeyLastUsed:
    lu = store.get_access_key_last_used(key_id)
    assert lu is not None
    return lu


def test_record_key_use_never_raises(store: Store, account: Account) -> None:
    store.record_key_use("AKIAAAAAAAAAAAAAAAAA", datetime.now(UTC), "iam", "us-east-1")
    store.close()  # even with the engine gone / a naive timestamp, nothing propagates
    store.record_key_use("AKIAAAAAAAAAAAAAAAAB", datetime.now(), "iam", "us-east-1")
