"""The store's SageMaker resources: create/get/list/update/delete, tags, the signing key."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from msgspec.structs import replace

from sagegate.store import (
    Account,
    AlreadyExists,
    Keyring,
    LimitExceeded,
    NotFound,
    SageMakerResource,
    Store,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
REGION = "us-east-1"


def arn(account: Account, name: str, kind: str = "notebook-instance") -> str:
    return f"arn:aws:sagemaker:{REGION}:{account.account_id}:{kind}/{name.lower()}"


def make(
    store: Store, account: Account, name: str, *, at: datetime = T0, **kw: object
) -> SageMakerResource:
    kind = str(kw.pop("resource_type", "notebook-instance"))
    return store.create_sagemaker_resource(
        account_id=account.account_id,
        region=REGION,
        resource_type=kind,
        name=name,
        arn=arn(account, name, kind),
        status=kw.pop("status", "Pending"),  # type: ignore[arg-type]
        data=kw.pop("data", {"InstanceType": "ml.t3.medium"}),  # type: ignore[arg-type]
        now=at,
        **kw,  # type: ignore[arg-type]
    )


def test_create_get_case_insensitive(store: Store, account: Account) -> None:
    made = make(store, account, "My-NB", tags=[("team", "ml"), ("a", "b")])
    assert made.name == "My-NB" and made.arn == arn(account, "my-nb")
    assert made.created_at == made.updated_at == T0
    got = store.get_sagemaker_resource(account.account_id, REGION, "notebook-instance", "MY-nb")
    assert got == made
    assert got.tags == (("team", "ml"), ("a", "b"))
    assert got.data == {"InstanceType": "ml.t3.medium"}
    assert store.find_sagemaker_resource(made.arn) == made
    assert store.find_sagemaker_resource(made.arn + "x") is None
    with pytest.raises(NotFound) as e:
        store.get_sagemaker_resource(account.account_id, "eu-west-1", "notebook-instance", "my-nb")
    assert (e.value.entity, e.value.name) == ("sagemaker_resource", "my-nb")


def test_duplicates_and_replacement(store: Store, account: Account, other_account: Account) -> None:
    make(store, account, "dup", tags=[("k", "v")])
    with pytest.raises(AlreadyExists):
        make(store, account, "DUP")
    with pytest.raises(AlreadyExists):
        make(store, account, "DUP", replace_gone=("Deleting", T0))  # it is Pending
    # Another type, account or region may use the name.
    make(store, account, "dup", resource_type="model")
    store.create_sagemaker_resource(
        account_id=other_account.account_id,
        region=REGION,
        resource_type="notebook-instance",
        name="dup",
        arn=arn(other_account, "dup"),
        status=None,
        data={},
        now=T0,
    )
    with pytest.raises(AlreadyExists):  # Pending, but since after the time given
        make(store, account, "DUP", replace_gone=("Pending", T0 - timedelta(microseconds=1)))
    replaced = make(store, account, "Dup", replace_gone=("Pending", T0), status="Creating")
    assert replaced.status == "Creating" and replaced.tags == ()
    assert store.find_sagemaker_resource(replaced.arn) is not None
    assert store.find_sagemaker_resource(replaced.arn).tags == ()  # type: ignore[union-attr]
    # Replaced again, spelt otherwise, later, with other data and tags: the row is the new one.
    later = T0 + timedelta(hours=1)
    again = make(
        store,
        account,
        "DUP",
        at=later,
        replace_gone=("Creating", later),
        data={"InstanceType": "ml.m5.xlarge"},
        tags=[("n", "1")],
    )
    store._drop_read_cache()
    got = store.get_sagemaker_resource(account.account_id, REGION, "notebook-instance", "dup")
    assert got == again and got.name == "DUP" and got.created_at == later
    assert got.data == {"InstanceType": "ml.m5.xlarge"} and got.tags == (("n", "1"),)
    kinds = [
        r.resource_type
        for r in store.list_sagemaker_resources(account.account_id, REGION, "notebook-instance")
    ]
    assert kinds == ["notebook-instance"]  # one row, not two
    # A gone one without tags is taken over too (by the one statement: nothing else to drop).
    make(store, account, "solo", data={"v": 1})
    solo = make(store, account, "SOLO", at=later, replace_gone=("Pending", T0), data={"v": 2})
    store._drop_read_cache()
    got = store.get_sagemaker_resource(account.account_id, REGION, "notebook-instance", "solo")
    assert got == solo and got.name == "SOLO" and got.data == {"v": 2} and got.tags == ()
    with pytest.raises(AlreadyExists):  # now live
        make(store, account, "solo", at=later, replace_gone=("Pending", T0))


def test_update_is_atomic(store: Store, account: Account) -> None:
    make(store, account, "upd")
    later = T0 + timedelta(seconds=30)
    res = store.update_sagemaker_resource(
        account.account_id,
        REGION,
        "notebook-instance",
        "UPD",
        lambda cur: ("Stopping", {**cur.data, "VolumeSizeInGB": 9}),
        later,
    )
    assert res.status == "Stopping" and res.updated_at == later and res.created_at == T0
    assert res.data == {"InstanceType": "ml.t3.medium", "VolumeSizeInGB": 9}

    def refuse(cur: SageMakerResource) -> tuple[str | None, dict[str, object]]:
        raise RuntimeError("wrong state")

    with pytest.raises(RuntimeError):
        store.update_sagemaker_resource(
            account.account_id, REGION, "notebook-instance", "upd", refuse, later
        )
    assert (
        store.get_sagemaker_resource(account.account_id, REGION, "notebook-instance", "upd") == res
    )
    with pytest.raises(NotFound):
        store.update_sagemaker_resource(
            account.account_id, REGION, "notebook-instance", "none", refuse, later
        )


def test_update_from_what_was_read_writes_only_if_nothing_moved(
    store: Store, account: Account, store_url: str, tmp_path: Path
) -> None:
    """`expected=`: the change is worked out from the resource as last read and written in one
    statement while the row is unchanged; once another writer (here another replica) has moved
    it, the change is worked out again from the row under lock, and what Describe reads then is
    the database's answer."""
    a = account.account_id
    read = make(store, account, "cas")
    seen: list[str | None] = []

    def stop(cur: SageMakerResource) -> tuple[str | None, dict[str, object]]:
        seen.append(cur.status)
        return "Stopping", {**cur.data, "from": cur.status}

    t1, t2, t3 = (T0 + timedelta(seconds=s) for s in (10, 20, 30))
    done = store.update_sagemaker_resource(
        a, REGION, "notebook-instance", "cas", stop, t1, expected=read
    )
    assert seen == ["Pending"] and done.status == "Stopping" and done.updated_at == t1
    store._drop_read_cache()
    assert store.get_sagemaker_resource(a, REGION, "notebook-instance", "cas") == done

    other = Store.open(store_url, tmp_path, Keyring.generate())  # another replica
    try:
        other.update_sagemaker_resource(
            a, REGION, "notebook-instance", "cas", lambda cur: ("Stopped", dict(cur.data)), t2
        )
    finally:
        other.close()
    seen.clear()
    again = store.update_sagemaker_resource(
        a,
        REGION,
        "notebook-instance",
        "cas",
        stop,
        t3,
        expected=done,  # stale: Stopping at t1
    )
    assert seen == ["Stopping", "Stopped"]  # tried from what was read, then from the row
    assert again.status == "Stopping" and again.data["from"] == "Stopped"
    store.epoch()
    assert store.get_sagemaker_resource(a, REGION, "notebook-instance", "cas") == again
    store._drop_read_cache()
    assert store.get_sagemaker_resource(a, REGION, "notebook-instance", "cas") == again


def test_list_sort_filter_page(store: Store, account: Account) -> None:
    for i, name in enumerate(["b-one", "a-two", "c-three", "x_other"]):
        make(store, account, name, at=T0 + timedelta(seconds=i))
    make(store, account, "model-1", resource_type="model")

    def names(**kw: object) -> list[str]:
        found = store.list_sagemaker_resources(
            account.account_id,
            REGION,
            "notebook-instance",
            **kw,  # type: ignore[arg-type]
        )
        return [r.name for r in found]

    assert names() == ["x_other", "c-three", "a-two", "b-one"]  # newest first
    assert names(sort="name", descending=False) == ["a-two", "b-one", "c-three", "x_other"]
    assert names(sort="name", descending=False, offset=1, limit=2) == ["b-one", "c-three"]
    assert names(name_contains="O") == ["x_other", "a-two", "b-one"]
    assert names(name_contains="_") == ["x_other"]  # LIKE wildcards are escaped
    assert names(name_contains="%") == []
    assert names(created_after=T0, created_before=T0 + timedelta(seconds=3)) == ["c-three", "a-two"]


def test_delete_with_check(store: Store, account: Account) -> None:
    made = make(store, account, "del", tags=[("k", "v")])

    def refuse(cur: SageMakerResource) -> None:
        raise ValueError(cur.status)

    with pytest.raises(ValueError):
        store.delete_sagemaker_resource(
            account.account_id, REGION, "notebook-instance", "del", refuse
        )
    store.delete_sagemaker_resource(account.account_id, REGION, "notebook-instance", "DEL")
    assert store.find_sagemaker_resource(made.arn) is None
    with pytest.raises(NotFound):
        store.delete_sagemaker_resource(account.account_id, REGION, "notebook-instance", "del")
    # Its tags went with it.
    again = make(store, account, "del")
    assert store.find_sagemaker_resource(again.arn).tags == ()  # type: ignore[union-attr]


def test_tags(store: Store, account: Account) -> None:
    made = make(store, account, "tagged", tags=[("a", "1")])
    assert store.tag_sagemaker_resource(made.arn, [("b", "2"), ("a", "3")]) == (
        ("a", "3"),
        ("b", "2"),
    )
    store.untag_sagemaker_resource(made.arn, ["a", "zz"])
    assert store.find_sagemaker_resource(made.arn).tags == (("b", "2"),)  # type: ignore[union-attr]
    store.tag_sagemaker_resource(made.arn, [(f"k{i}", "v") for i in range(49)])
    with pytest.raises(LimitExceeded) as e:
        store.tag_sagemaker_resource(made.arn, [("one-more", "v")])
    assert e.value.limit == 50
    store.tag_sagemaker_resource(made.arn, [("b", "overwrite")])  # overwriting is fine at 50
    with pytest.raises(NotFound):
        store.tag_sagemaker_resource(made.arn + "-nope", [("a", "b")])
    with pytest.raises(NotFound):
        store.untag_sagemaker_resource(made.arn + "-nope", ["a"])
    with pytest.raises(LimitExceeded):
        make(store, account, "too-many", tags=[(f"k{i}", "v") for i in range(51)])


def test_presign_signing_key(
    store: Store,
    account: Account,
    other_account: Account,
    store_url: str,
    tmp_path: object,
    keyring: Keyring,
) -> None:
    key = store.presign_signing_key(account.account_id)
    assert len(key) == 32
    assert store.presign_signing_key(account.account_id) == key
    assert store.presign_signing_key(other_account.account_id) != key
    # Another replica (a second Store on the same database) reads the same key.
    other = Store.open(store_url, tmp_path, keyring)  # type: ignore[arg-type]
    try:
        assert other.presign_signing_key(account.account_id) == key
    finally:
        other.close()
    # It is not a resource anyone can find or tag.
    assert store.find_sagemaker_resource(f"sagegate:presign-key:{account.account_id}") is None


def test_writes_leave_what_describe_reads_in_the_cache(store: Store, account: Account) -> None:
    def fresh() -> object:
        store._drop_read_cache()
        return store.get_sagemaker_resource(account.account_id, REGION, "notebook-instance", "nb")

    store.epoch()  # this process knows the current epochs: its own writes are the only ones
    made = make(store, account, "nb", tags=[("z", "1"), ("a", "2")])
    assert (
        store.get_sagemaker_resource(account.account_id, REGION, "notebook-instance", "nb") is made
    )
    assert fresh() == made  # what the database answers
    store.epoch()
    changed = store.update_sagemaker_resource(
        account.account_id,
        REGION,
        "notebook-instance",
        "nb",
        lambda cur: ("InService", {**cur.data, "Url": "u"}),
        T0 + timedelta(seconds=5),
    )
    got = store.get_sagemaker_resource(account.account_id, REGION, "notebook-instance", "nb")
    assert got is changed and got.status == "InService"
    assert fresh() == changed


def test_create_in_an_unknown_account_is_not_found_and_leaves_nothing(
    store: Store, account: Account
) -> None:
    with pytest.raises(NotFound) as e:
        store.create_sagemaker_resource(
            account_id="999999999999",
            region=REGION,
            resource_type="notebook-instance",
            name="nb",
            arn=f"arn:aws:sagemaker:{REGION}:999999999999:notebook-instance/nb",
            status="Pending",
            data={},
            now=T0,
            tags=[("k", "v")],
        )
    assert e.value.entity == "account"
    assert (
        store.find_sagemaker_resource(
            f"arn:aws:sagemaker:{REGION}:999999999999:notebook-instance/nb"
        )
        is None
    )


def test_moved_is_replace_of_status_data_and_time() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    res = SageMakerResource(
        "arn:x", "111122223333", "us-east-1", "notebook-instance", "nb", "Pending", {"a": 1},
        at, at, (("k", "v"),),
    )  # fmt: skip
    later = at + timedelta(seconds=5)
    moved = res.moved("InService", {"b": 2}, later)
    assert moved == replace(res, status="InService", data={"b": 2}, updated_at=later)


AWKWARD = [
    {
        "Name": "café ☕ 𝄞",
        "Size": 2**64 - 1,
        "Weight": 6.103515625e-05,
        "Flag": True,
        "L": [1, "x"],
    },
    {"Big": 2**70},  # beyond orjson: the json module writes it
    {"Surrogate": "a\ud800b"},  # a lone surrogate (a JSON request may carry one)
    {"Missing": None, "Name": "null"},
    {"NotANumber": float("nan"), "Inf": float("inf")},
]


@pytest.mark.parametrize("data", AWKWARD)
def test_descriptions_read_back_as_written(
    store: Store, account: Account, data: dict[str, object]
) -> None:
    def same(a: object, b: object) -> bool:  # NaN equal to NaN
        return repr(a) == repr(b) and type(a) is type(b)

    data = dict(data)  # this test's own (the parameter is shared)
    made = make(store, account, "nb", data=data)
    assert same(made.data, data)
    data["Added"] = "by the caller after the create"  # not in what the create returned
    assert "Added" not in made.data
    found = store.find_sagemaker_resource(made.arn)  # read from the table
    assert found is not None and same(found.data, made.data)
    updated = store.update_sagemaker_resource(
        account.account_id, REGION, "notebook-instance", "nb",
        lambda res: ("InService", {**res.data, "Extra": 1}), T0 + timedelta(seconds=1),
    )  # fmt: skip
    again = store.find_sagemaker_resource(made.arn)
    assert again is not None and same(again.data, updated.data)
    assert same({k: v for k, v in again.data.items() if k != "Extra"}, made.data)


@pytest.mark.parametrize("kept_busy", [False, True])
def test_a_refused_write_leaves_no_answer_in_the_cache(
    store: Store, account: Account, kept_busy: bool
) -> None:
    """A one-statement write that writes nothing (the name taken; the row moved since it was
    read) keeps nothing it meant to answer: Describe reads what is stored. `kept_busy`: SQLite's
    kept connection is taken, so the statement runs in a transaction of its own (as always on
    PostgreSQL)."""
    made = make(store, account, "nb", data={"v": "original"})
    store.epoch()  # as every request does first: the cache then keeps what writes answer
    busy = store._transaction(write=False) if kept_busy else contextlib.nullcontext()
    with busy:
        with pytest.raises(AlreadyExists):
            make(store, account, "nb", data={"v": "impostor"})
        stale = replace(made, updated_at=T0 - timedelta(seconds=1))
        moved = store._update_unless_changed(
            lambda res: ("Failed", {"v": "never written"}), T0 + timedelta(seconds=1), stale
        )
        assert moved is None
    got = store.get_sagemaker_resource(account.account_id, REGION, "notebook-instance", "nb")
    assert got.data == {"v": "original"} and got.status == "Pending"
