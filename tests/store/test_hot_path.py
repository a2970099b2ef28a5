"""The request path's reads stay cheap: a fixed, small number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

from sagegate.store import Account, Keyring, Store


@contextmanager
def selects(store: Store) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def test_lookup_access_key_is_one_query(store: Store, account: Account) -> None:
    store.create_user(account.account_id, "u")
    key, _ = store.create_access_key(account.account_id, "u")
    root_key, _ = store.create_access_key(account.account_id, None)
    for kid in (key.access_key_id, root_key.access_key_id, "AKIAAAAAAAAAAAAAAAAA"):
        with selects(store) as seen:
            store.lookup_access_key(kid)
        assert len(seen) == 1, seen


def test_principal_policies_is_two_queries(store: Store, account: Account) -> None:
    aid = account.account_id
    boundary = store.create_policy(aid, "B", "/", "{}")
    user = store.create_user(aid, "u", permissions_boundary_arn=boundary.arn)
    for i in range(3):
        store.put_user_policy(aid, "u", f"inline{i}", "{}")
        store.attach_user_policy(aid, "u", store.create_policy(aid, f"P{i}", "/", "{}").arn)
    with selects(store) as seen:
        found = store.principal_policies_for_user(user.user_id)
    assert len(found.inline) == 3 and len(found.managed) == 3 and found.boundary is not None
    assert len(seen) == 2, seen


def test_epoch_bypasses_the_orm_and_sees_other_writers(
    store: Store, account: Account, store_url: str, tmp_path: Path
) -> None:
    with selects(store) as seen:
        before = store.epoch()
    assert seen == []  # its own driver-level connection, not the pool
    other = Store.open(store_url, tmp_path, Keyring.generate())  # another replica
    try:
        other.create_user(account.account_id, "from-elsewhere")
    finally:
        other.close()
    assert store.epoch() == before + 1


def test_cached_reads_follow_writes_here_and_elsewhere(
    store: Store, account: Account, store_url: str, tmp_path: Path
) -> None:
    aid = account.account_id
    store.create_user(aid, "cached")
    first = store.get_user(aid, "cached")
    with selects(store) as seen:
        assert store.get_user(aid, "cached") == first
    assert seen == []  # served from the cache
    store.tag_user(aid, "cached", [("team", "a")])  # a write here drops the cache at once
    assert store.get_user(aid, "cached").tags == (("team", "a"),)
    other = Store.open(store_url, tmp_path, Keyring.generate())  # another replica writes
    try:
        other.tag_user(aid, "cached", [("team", "b")])
    finally:
        other.close()
    store.epoch()  # what every request does first
    assert store.get_user(aid, "cached").tags == (("team", "b"),)
