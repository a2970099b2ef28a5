"""The request path's reads stay cheap: a fixed, small number of queries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from sagegate.store import Account, Keyring, Store, driver


@contextmanager
def selects(store: Store) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(statement: str) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    def record_sqlalchemy(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        record(statement)

    # Statements of the ORM paths, and of the hot paths run on the driver's cursor.
    event.listen(store.engine, "before_cursor_execute", record_sqlalchemy)
    driver.listeners.append(record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record_sqlalchemy)
        driver.listeners.remove(record)


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
        authz, data = store.epochs()
    assert seen == []  # its own driver-level connection, not the pool
    other = Store.open(store_url, tmp_path, Keyring.generate())  # another replica
    try:
        other.create_user(account.account_id, "from-elsewhere")  # a data-only write
        assert store.epochs() == (authz, data + 1)
        other.create_access_key(account.account_id, "from-elsewhere")  # an authz write
    finally:
        other.close()
    assert store.epochs() == (authz + 1, data + 2)


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
    # a data-only write elsewhere (the authorization epoch stays) still drops cached reads
    assert store.list_users(aid).items[-1].name == "cached"
    other = Store.open(store_url, tmp_path, Keyring.generate())
    try:
        authz = other.epoch()
        other.create_user(aid, "zz-created-elsewhere")
        assert other.epoch() == authz
    finally:
        other.close()
    store.epoch()
    assert store.list_users(aid).items[-1].name == "zz-created-elsewhere"


def test_a_local_data_write_drops_only_what_it_names(
    store: Store, account: Account, store_url: str, tmp_path: Path
) -> None:
    aid = account.account_id
    store.create_user(aid, "kept")
    store.put_user_policy(aid, "kept", "p", "{}")
    store.epoch()  # a request's first step: this process now knows the current epochs
    kept = store.get_user(aid, "kept")
    assert store.list_access_keys(aid, "kept") == ()
    assert store.get_user_policy(aid, "kept", "p") == "{}"
    assert [u.name for u in store.list_users(aid).items] == ["kept"]
    store.create_user(aid, "new")  # names the user "new" and the account's user list
    with selects(store) as seen:
        assert store.get_user(aid, "kept") == kept
        assert store.list_access_keys(aid, "kept") == ()
        assert store.get_user_policy(aid, "kept", "p") == "{}"
    assert seen == []  # still cached: the write could not change them
    with selects(store) as seen:
        assert [u.name for u in store.list_users(aid).items] == ["kept", "new"]
        assert store.get_user(aid, "new").name == "new"
    assert len(seen) >= 2  # the list and the new user were read again
    store.delete_user(aid, "new")
    assert [u.name for u in store.list_users(aid).items] == ["kept"]
    # An authorization write drops everything.
    store.create_access_key(aid, "kept")
    with selects(store) as seen:
        assert len(store.list_access_keys(aid, "kept")) == 1
        store.get_user(aid, "kept")
    assert len(seen) >= 2
    # A write by another process that this one did not see drops everything too.
    other = Store.open(store_url, tmp_path, Keyring.generate())
    try:
        other.tag_user(aid, "kept", [("team", "x")])
        other.create_user(aid, "elsewhere")  # data-only there: still unknown here
    finally:
        other.close()
    store.create_user(aid, "here")  # a scoped local write after an unseen one: drops all
    assert store.get_user(aid, "kept").tags == (("team", "x"),)
    store.epoch()
    assert [u.name for u in store.list_users(aid).items] == ["elsewhere", "here", "kept"]


def test_sagemaker_reads_are_cached_until_a_write_names_them(
    store: Store, account: Account, store_url: str, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    aid, region, kind = account.account_id, "us-east-1", "notebook-instance"
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def make(name: str) -> None:
        store.create_sagemaker_resource(
            account_id=aid,
            region=region,
            resource_type=kind,
            name=name,
            arn=f"arn:aws:sagemaker:{region}:{aid}:{kind}/{name.lower()}",
            status="Pending",
            data={"InstanceType": "ml.t3.medium"},
            now=now,
        )

    make("Nb1")
    make("nb2")
    store.epoch()
    first = store.get_sagemaker_resource(aid, region, kind, "nb1")
    listed = store.list_sagemaker_resources(aid, region, kind)
    with selects(store) as seen:
        assert store.get_sagemaker_resource(aid, region, kind, "NB1") is not first  # other key
        assert store.get_sagemaker_resource(aid, region, kind, "nb1") == first
        assert store.list_sagemaker_resources(aid, region, kind) == listed
    assert len(seen) == 1, seen  # only the differently spelled name was read
    # Tagging nb2 (by ARN) drops nb2 and the lists, not nb1.
    second = store.get_sagemaker_resource(aid, region, kind, "nb2")
    store.tag_sagemaker_resource(f"arn:aws:sagemaker:{region}:{aid}:{kind}/nb2", [("k", "v")])
    with selects(store) as seen:
        assert store.get_sagemaker_resource(aid, region, kind, "nb1") == first
    assert seen == []
    assert store.get_sagemaker_resource(aid, region, kind, "nb2").tags == (("k", "v"),)
    assert second.tags == ()
    # An update is seen at once here, and by another replica after its epoch check.
    other = Store.open(store_url, tmp_path, Keyring.generate())
    try:
        assert other.get_sagemaker_resource(aid, region, kind, "nb1").status == "Pending"
        other.epoch()
        store.update_sagemaker_resource(
            aid, region, kind, "nb1", lambda cur: ("InService", dict(cur.data)), now
        )
        assert store.get_sagemaker_resource(aid, region, kind, "nb1").status == "InService"
        other.epoch()
        assert other.get_sagemaker_resource(aid, region, kind, "nb1").status == "InService"
        other.delete_sagemaker_resource(aid, region, kind, "nb2")
    finally:
        other.close()
    store.epoch()
    assert [r.name for r in store.list_sagemaker_resources(aid, region, kind)] == ["Nb1"]


def test_a_created_user_is_answered_from_the_cache_as_the_database_would(
    store: Store, account: Account, store_url: str, tmp_path: Path
) -> None:
    aid = account.account_id
    store.epoch()  # this process knows the current epochs: its own next write is the only one
    made = store.create_user(aid, "Fresh", tags=[("b", "2"), ("a", "1")])
    with selects(store) as seen:
        assert store.get_user(aid, "Fresh") == made
    assert seen == []  # the write left its answer in the cache
    store._drop_read_cache()
    assert store.get_user(aid, "Fresh") == made  # and it is what the database answers
    # When another process wrote since this one last looked, nothing is kept.
    other = Store.open(store_url, tmp_path, Keyring.generate())
    try:
        other.create_user(aid, "from-elsewhere")
    finally:
        other.close()
    store.create_user(aid, "second")
    with selects(store) as seen:
        store.get_user(aid, "second")
    assert len(seen) == 2


def test_epochs_stay_exact_whoever_writes(
    store: Store, account: Account, store_url: str, tmp_path: Path
) -> None:
    """Writes on the kept connection, through the ORM's pool and from another process, in
    turns: `epochs()` always answers the authorization epoch the database holds, and its data
    epoch moves exactly when someone else wrote (PostgreSQL: it is the table's; SQLite: this
    process's count of commits not its own). On SQLite it reads nothing after its own writes."""
    aid = account.account_id
    other = Store.open(store_url, tmp_path, Keyring.generate())  # another replica
    sqlite = store.dialect == "sqlite"

    def truth() -> tuple[int, int]:
        with store.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT key, value FROM meta")).all())
        return int(rows["authz_epoch"]), int(rows["data_epoch"])

    def both_on_the_kept_connection(_: int) -> None:
        with store._write_core():  # moves both epochs
            pass

    mine, elsewhere = False, True
    steps = [
        (mine, lambda i: store.create_user(aid, f"u{i}")),  # data only, kept connection
        (mine, both_on_the_kept_connection),
        (mine, lambda i: store.put_user_policy(aid, f"u{i}", "p", "{}")),  # through the ORM
        (elsewhere, lambda i: other.create_user(aid, f"o{i}")),
        (elsewhere, lambda i: other.create_access_key(aid, f"o{i}")),  # both, elsewhere
        (mine, lambda i: store.delete_user_policy(aid, f"u{i}", "p")),
        (mine, lambda i: store.delete_user(aid, f"u{i}")),
    ]
    try:
        data = store.epochs()[1]
        for i in range(3):
            for foreign, step in steps:
                step(i)
                authz, now = store.epochs()
                assert authz == truth()[0]
                if sqlite:
                    assert (now != data) == foreign
                    # Its own writes leave nothing to read: the header path is the one in use.
                    assert store._transaction.wal_header() is not None
                    assert foreign or store._kept_header == store._transaction.wal_header()
                else:
                    assert now == truth()[1]
                data = now
                assert store.epochs() == (authz, now)  # and again, when nothing changed
        if sqlite:  # a commit elsewhere moves the header, and is seen
            other.create_user(aid, "other-last")
            assert store._kept_header != store._transaction.wal_header()
            assert store.epochs()[1] == data + 1
    finally:
        other.close()


def test_hot_writes_are_one_statement_on_sqlite(store: Store, account: Account) -> None:
    """CreateUser, DeleteUser of a user with nothing left, a SageMaker create (also over a gone
    one without tags) and a state change are each one statement on SQLite, with no BEGIN or
    COMMIT around it: SQLite commits it by itself."""
    if store.dialect != "sqlite":
        return
    aid, t0 = account.account_id, datetime(2026, 1, 1, tzinfo=UTC)
    with store._transaction(write=False):
        pass  # the kept connection is open
    seen: list[str] = []
    store._transaction._kept_dbapi.set_trace_callback(seen.append)

    def statements(write: Callable[[], object]) -> list[str]:
        seen.clear()
        write()
        return [s.split()[0].upper() for s in seen]

    def create(at: datetime) -> object:
        return store.create_sagemaker_resource(
            account_id=aid, region="us-east-1", resource_type="notebook-instance", name="nb",
            arn=f"arn:aws:sagemaker:us-east-1:{aid}:notebook-instance/nb", status="Pending",
            data={"v": 1}, now=at, replace_gone=("Deleting", at),
        )  # fmt: skip

    try:
        assert statements(lambda: store.create_user(aid, "u")) == ["INSERT"]
        assert statements(lambda: store.delete_user(aid, "u")) == ["DELETE"]
        made = create(t0)
        assert statements(
            lambda: store.update_sagemaker_resource(
                aid,
                "us-east-1",
                "notebook-instance",
                "nb",
                lambda res: ("Deleting", res.data),
                t0,
                expected=made,  # type: ignore[arg-type]
            )  # fmt: skip
        ) == ["UPDATE"]
        assert statements(lambda: create(t0 + timedelta(seconds=1))) == ["INSERT"]  # over it
    finally:
        store._transaction._kept_dbapi.set_trace_callback(None)
