"""One transaction per write: failures leave nothing behind; every IAM write bumps the epoch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from sagegate.store import Account, NotFound, Store, driver
from sagegate.store.schema import (
    AccessKeyRow,
    RootUserRow,
    TagRow,
    UserPolicyAttachmentRow,
    UserRow,
)


class Boom(Exception):
    pass


@contextmanager
def fail_on(mapper: type, when: str) -> Iterator[None]:
    """Make the ORM raise right after/before it writes a row of `mapper` (mid-transaction)."""

    def explode(*_: Any) -> None:
        raise Boom(f"{when} {mapper.__name__}")

    event.listen(mapper, when, explode)
    try:
        yield
    finally:
        event.remove(mapper, when, explode)


@contextmanager
def fail_after_sql(store: Store, prefix: str) -> Iterator[None]:
    """Make the driver raise right after it ran a statement starting with `prefix`
    (mid-transaction), whether the ORM or a Core statement issued it."""

    def explode(statement: str) -> None:
        if statement.lstrip().upper().startswith(prefix):
            raise Boom(statement)

    def explode_sqlalchemy(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        explode(statement)

    event.listen(store.engine, "after_cursor_execute", explode_sqlalchemy)
    driver.listeners.append(explode)  # the hot paths' statements, run on the driver's cursor
    try:
        yield
    finally:
        event.remove(store.engine, "after_cursor_execute", explode_sqlalchemy)
        driver.listeners.remove(explode)


def count(store: Store, model: type) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_create_user_rolls_back_when_a_tag_insert_fails(store: Store, account: Account) -> None:
    epoch = store.epoch()
    with fail_after_sql(store, "INSERT INTO TAGS"), pytest.raises(Boom):
        store.create_user(account.account_id, "half", tags=[("a", "1"), ("b", "2")])
    with pytest.raises(NotFound):
        store.get_user(account.account_id, "half")
    assert count(store, UserRow) == 0 and count(store, TagRow) == 0
    assert store.epoch() == epoch
    # And the name is free afterwards.
    assert store.create_user(account.account_id, "half", tags=[("a", "1")]).tags == (("a", "1"),)


def test_create_account_rolls_back_when_root_user_insert_fails(store: Store) -> None:
    with fail_on(RootUserRow, "before_insert"), pytest.raises(Boom):
        store.create_account("x@example.com", "pw")
    assert store.account_count() == 0
    assert store.list_accounts() == []
    assert store.verify_root_password("x@example.com", "pw") is None


def test_attach_rolls_back_attachment_and_count(store: Store, account: Account) -> None:
    aid = account.account_id
    store.create_user(aid, "u")
    pol = store.create_policy(aid, "P", "/", "{}")
    # Fails after the attachment row is written and before the count is updated.
    with fail_on(UserPolicyAttachmentRow, "after_insert"), pytest.raises(Boom):
        store.attach_user_policy(aid, "u", pol.arn)
    assert store.list_attached_user_policies(aid, "u").items == ()
    assert store.get_policy(pol.arn).attachment_count == 0


def test_delete_user_rolls_back(store: Store, account: Account) -> None:
    store.create_user(account.account_id, "u", tags=[("k", "v")])
    with fail_after_sql(store, "DELETE FROM USERS"), pytest.raises(Boom):
        store.delete_user(account.account_id, "u")
    assert store.get_user(account.account_id, "u").tags == (("k", "v"),)


def test_create_access_key_rolls_back(
    store: Store, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.create_user(account.account_id, "u")
    with fail_on(AccessKeyRow, "after_insert"), pytest.raises(Boom):
        store.create_access_key(account.account_id, "u")
    assert store.list_access_keys(account.account_id, "u") == ()
    assert count(store, AccessKeyRow) == 0


def test_epoch_starts_at_zero_and_reads_do_not_bump(store: Store) -> None:
    first = store.epochs()
    assert first[0] == 0
    store.list_accounts()
    store.account_count()
    assert store.epochs() == first


T = datetime(2020, 1, 1, tzinfo=UTC)


# Writes that cannot change what the authorizer's or authenticator's caches hold move only the
# data epoch (see sagegate/store/base.py).
DATA_ONLY = {"create_user", "delete_user"}


def test_every_write_bumps_the_epoch(
    store: Store, store_url: str, tmp_path: Any, keyring: Any
) -> None:
    """Every write moves the data epoch as another replica sees it (on SQLite a replica's data
    epoch counts the commits it did not make), and the authorization epoch unless data-only."""
    other = Store.open(store_url, tmp_path, keyring)
    try:
        _every_write_bumps_the_epoch(store, other)
    finally:
        other.close()


def _every_write_bumps_the_epoch(store: Store, other: Store) -> None:
    acct = store.create_account("e@example.com", "pw")
    aid = acct.account_id
    steps: list[tuple[str, Callable[[], object]]] = []
    state: dict[str, str] = {}

    def key() -> None:
        k, _ = store.create_access_key(aid, "u")
        state["key"] = k.access_key_id

    def root_key() -> None:
        k, _ = store.create_access_key(aid, None)
        state["root_key"] = k.access_key_id

    def policy() -> None:
        state["arn"] = store.create_policy(aid, "P", "/", "{}").arn

    steps = [
        ("create_user", lambda: store.create_user(aid, "u")),
        ("create_access_key", key),
        ("create_access_key(root)", root_key),
        ("update_access_key", lambda: store.update_access_key(aid, "u", state["key"], "Inactive")),
        ("put_user_policy", lambda: store.put_user_policy(aid, "u", "p", "{}")),
        ("put_user_policy(replace)", lambda: store.put_user_policy(aid, "u", "p", "{}")),
        ("create_policy", policy),
        (
            "ensure_aws_managed_policy",
            lambda: store.ensure_aws_managed_policy("A", "/", "{}", "v1", None, T, T),
        ),
        ("attach_user_policy", lambda: store.attach_user_policy(aid, "u", state["arn"])),
        ("detach_user_policy", lambda: store.detach_user_policy(aid, "u", state["arn"])),
        ("delete_user_policy", lambda: store.delete_user_policy(aid, "u", "p")),
        ("delete_access_key", lambda: store.delete_access_key(aid, "u", state["key"])),
        ("delete_access_key(root)", lambda: store.delete_access_key(aid, None, state["root_key"])),
        ("delete_user", lambda: store.delete_user(aid, "u")),
        ("create_account", lambda: store.create_account("f@example.com", "pw")),
    ]
    for name, step in steps:
        authz = store.epoch()
        data = other.epochs()[1]
        step()
        assert other.epochs()[1] == data + 1, name  # every write moves the data epoch once
        if name in DATA_ONLY:
            assert store.epoch() == authz, name
        else:
            assert store.epoch() == authz + 1, name


def test_failed_writes_and_key_use_do_not_bump(store: Store, account: Account) -> None:
    aid = account.account_id
    store.create_user(aid, "u")
    key, _ = store.create_access_key(aid, "u")
    before = store.epochs()
    for call in (
        lambda: store.create_user(aid, "U"),
        lambda: store.delete_user(aid, "ghost"),
        lambda: store.create_access_key(aid, "ghost"),
        lambda: store.put_user_policy(aid, "ghost", "p", "{}"),
        lambda: store.attach_user_policy(aid, "u", "arn:aws:iam::aws:policy/Nope"),
        lambda: store.detach_user_policy(aid, "u", "arn:aws:iam::aws:policy/Nope"),
    ):
        with pytest.raises(Exception):  # noqa: B017 - any store error
            call()
    assert store.epochs() == before
    store.record_key_use(key.access_key_id, datetime.now(UTC), "iam", "us-east-1")
    store.lookup_access_key(key.access_key_id)
    store.principal_policies_for_user(store.get_user(aid, "u").user_id)
    # Bookkeeping never moves the authorization epoch; on SQLite it is a commit like any other,
    # which the data epoch counts (see sagegate/store/base.py).
    assert store.epoch() == before[0]
    if store.dialect != "sqlite":
        assert store.epochs() == before


def test_epoch_is_shared_between_store_instances(
    store: Store, store_url: str, tmp_path: Any, keyring: Any
) -> None:
    """A second process/replica sees the first one's writes through the epoch."""
    other = Store.open(store_url, tmp_path, keyring)
    try:
        before = other.epoch()
        store.create_account("z@example.com", "pw")
        assert other.epoch() == before + 1
    finally:
        other.close()


def test_epoch_value_lives_in_meta(store: Store) -> None:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT key, value FROM meta ORDER BY key")).all()
    assert [(k, int(v)) for k, v in rows] == [("authz_epoch", 0), ("data_epoch", 0)]
