"""`Prepared` statements run by `Driver`: the same answers as SQLAlchemy's own execution, on
SQLite and PostgreSQL, inside the transactions `Transactions` hands out."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from sagegate.store import Account, Store
from sagegate.store.driver import Driver, Prepared, WalIndex
from sagegate.store.schema import TagRow, UserRow

_T = TagRow.__table__
_U = UserRow.__table__
_INSERT_TAG = Prepared(_T.insert())
_TAGS = Prepared(
    select(_T.c.entity_id, _T.c.key, _T.c.value)
    .where(
        _T.c.entity_type == "test",  # a literal bound inside the statement
        _T.c.entity_id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(_T.c.entity_id, _T.c.position)
)
_CREATED = Prepared(
    select(_U.c.name, _U.c.created_at)
    .where(_U.c.created_at > bindparam("after", type_=_U.c.created_at.type))
    .order_by(_U.c.name)
)


def _tag(entity_id: str, key: str, position: int) -> dict[str, object]:
    return {
        "entity_type": "test",
        "entity_id": entity_id,
        "key": key,
        "value": "v",
        "position": position,
    }


def test_statements_bind_expand_and_convert_like_sqlalchemy(store: Store, account: Account) -> None:
    with store._transaction(write=True) as db:
        db.executemany(_INSERT_TAG, [_tag("a", "k1", 0), _tag("a", "k2", 1), _tag("b", "k", 0)])
        db.executemany(_INSERT_TAG, [])  # nothing to do
    with store._transaction(write=False) as db:
        rows = db.execute(_TAGS, {"ids": ["a", "b", "nope"]})
        assert [tuple(r) for r in rows] == [("a", "k1", "v"), ("a", "k2", "v"), ("b", "k", "v")]
        assert rows[0].key == "k1" and rows.first() == rows[0]
        assert db.execute(_TAGS, {"ids": ["b"]}).one().entity_id == "b"
        with pytest.raises(ValueError):
            db.execute(_TAGS, {"ids": []})
    with store.engine.connect() as conn:  # SQLAlchemy's own answer for the same statement
        assert conn.execute(_TAGS.stmt, {"ids": ["a", "b", "nope"]}).all() == [
            tuple(r) for r in rows
        ]

    # Types convert both ways: an aware datetime in, an equal aware datetime out.
    before = datetime(2000, 1, 1, tzinfo=UTC)
    user = store.create_user(account.account_id, "Dated")
    with store._transaction(write=False) as db:
        (row,) = db.execute(_CREATED, {"after": before})
    assert row.name == "Dated" and row.created_at == user.created_at
    assert row.created_at.tzinfo is not None


def test_driver_errors_are_sqlalchemys_and_roll_back(store: Store) -> None:
    with pytest.raises(IntegrityError), store._transaction(write=True) as db:
        db.execute(_INSERT_TAG, _tag("a", "k", 0))
        db.execute(_INSERT_TAG, _tag("a", "k", 1))  # the same (type, id, key)
    with store._transaction(write=False) as db:
        assert db.execute(_TAGS, {"ids": ["a"]}) == []  # the first insert went too


def test_a_read_inside_a_write_and_other_threads_get_their_own_connection(
    store: Store, account: Account
) -> None:
    seen: list[str] = []
    with store._transaction(write=True) as db:
        db.execute(_INSERT_TAG, _tag("x", "k", 0))
        # A read while the write is open: another connection, which cannot see it yet.
        with store._transaction(write=False) as inner:
            assert inner.execute(_TAGS, {"ids": ["x"]}) == []

        def elsewhere() -> None:
            with store._transaction(write=False) as other:
                seen.extend(r.key for r in other.execute(_TAGS, {"ids": ["x"]}))

        t = threading.Thread(target=elsewhere)
        t.start()
        t.join()
    assert seen == []
    with store._transaction(write=False) as db:
        assert [r.key for r in db.execute(_TAGS, {"ids": ["x"]})] == ["k"]


def test_a_statement_alone_commits_by_itself_and_says_what_it_saw(store: Store) -> None:
    """`Transactions.alone`: one statement outside any transaction, committed when it ends; the
    wal-index headers around it one commit apart when it changed a row, none when it did not;
    nothing run when the kept connection is taken; a failure leaves nothing behind."""
    tx = store._transaction
    ran = tx.alone(_INSERT_TAG, _tag("alone", "k", 0))
    if store.dialect != "sqlite":
        assert ran is None  # PostgreSQL: the caller's transaction runs it
        return
    assert ran is not None
    rows, (before, after) = ran
    assert rows == [] and before is not None and after is not None
    assert WalIndex.only_commit_between(before, after)
    with store.engine.connect() as conn:  # committed: another connection sees it
        assert conn.execute(_TAGS.stmt, {"ids": ["alone"]}).all() == [("alone", "k", "v")]
    nothing = Prepared(_T.delete().where(_T.c.entity_id == "no such entity"))
    assert tx.alone(nothing, {}) == ([], (None, None))
    with pytest.raises(IntegrityError):
        tx.alone(_INSERT_TAG, _tag("alone", "k", 1))  # the same (type, id, key)
    with tx(write=True) as db:  # the kept connection is in no transaction: it begins one
        db.execute(_INSERT_TAG, _tag("alone", "k2", 1))
        assert tx.alone(_INSERT_TAG, _tag("alone", "k3", 2)) is None  # taken by this write
    with tx(write=False) as db:
        assert [r.key for r in db.execute(_TAGS, {"ids": ["alone"]})] == ["k", "k2"]


class Undo(Exception):
    pass


def test_driver_under_an_orm_session_joins_its_transaction(store: Store) -> None:
    with pytest.raises(Undo), store._write() as s:
        Driver.of(s.connection()).execute(_INSERT_TAG, _tag("orm", "gone", 0))
        raise Undo
    with store._write() as s:
        Driver.of(s.connection()).execute(_INSERT_TAG, _tag("orm", "kept", 0))
    with store._transaction(write=False) as db:
        assert [r.key for r in db.execute(_TAGS, {"ids": ["orm"]})] == ["kept"]


def test_wal_index_header_moves_with_every_commit_and_only_then(tmp_path: Path) -> None:
    """`WalIndex`: the header a process sees in SQLite's wal-index changes when any connection
    commits (here another one, as another process would), and stays put under reads."""
    path = tmp_path / "w.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=wal")
    writer.execute("CREATE TABLE t (x)")
    reader = sqlite3.connect(path, isolation_level=None)
    index = WalIndex.open(reader)
    assert index is not None
    try:
        before = index.header()
        assert before is not None
        reader.execute("SELECT count(*) FROM t").fetchone()
        assert index.header() == before
        writer.execute("INSERT INTO t VALUES (1)")
        after = index.header()
        assert after is not None and after != before
        writer.execute("BEGIN")
        writer.execute("INSERT INTO t VALUES (2)")
        assert index.header() == after  # not committed yet
        writer.execute("COMMIT")
        third = index.header()
        assert third is not None and third != after
        assert WalIndex.only_commit_between(after, third)
        writer.execute("INSERT INTO t VALUES (3)")
        writer.execute("INSERT INTO t VALUES (4)")
        fifth = index.header()
        assert fifth is not None and not WalIndex.only_commit_between(third, fifth)
    finally:
        index.close()
        reader.close()
        writer.close()
    assert index.header() is None  # closed: nothing to compare, the caller asks SQLite


def test_no_wal_index_without_wal(tmp_path: Path) -> None:
    plain = sqlite3.connect(tmp_path / "d.db")
    memory = sqlite3.connect(":memory:")
    try:
        assert WalIndex.open(plain) is None
        assert WalIndex.open(memory) is None
    finally:
        plain.close()
        memory.close()


def test_sqlite_timestamps_are_written_as_sqlalchemy_writes_them() -> None:
    """UTCDateTime's one-step SQLite bind gives SQLite's DATETIME storage format exactly (rows
    are compared and ordered as text), for any aware time; naive ones are refused."""
    from datetime import timedelta, timezone

    from sqlalchemy.dialects import sqlite
    from sqlalchemy.types import DateTime

    from sagegate.store.schema import UTCDateTime

    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    theirs = DateTime().dialect_impl(dialect).bind_processor(dialect)
    for value in (
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(5, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-3))),
    ):
        assert ours(value) == theirs(value.astimezone(UTC).replace(tzinfo=None))
    assert ours(None) is None
    with pytest.raises(ValueError, match="naive"):
        ours(datetime(2026, 1, 1))
