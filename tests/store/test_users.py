from __future__ import annotations

import re
import threading
from datetime import UTC

import pytest
from sqlalchemy import text

from sagegate.store import (
    Account,
    AlreadyExists,
    DeleteConflict,
    InvalidMarker,
    LimitExceeded,
    NotFound,
    Store,
)


def test_create_and_get_user(store: Store, account: Account) -> None:
    user = store.create_user(
        account.account_id, "Alice", "/eng/", tags=[("team", "ml"), ("a", "b")]
    )
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", user.user_id)
    assert user.name == "Alice" and user.path == "/eng/"
    assert user.arn == f"arn:aws:iam::{account.account_id}:user/eng/Alice"
    assert user.created_at.tzinfo == UTC
    assert user.tags == (("team", "ml"), ("a", "b"))
    assert user.permissions_boundary_arn is None
    assert store.get_user(account.account_id, "alice") == user
    assert store.get_user(account.account_id, "ALICE").name == "Alice"
    assert store.get_user_by_id(user.user_id) == user


def test_names_unique_case_insensitively_per_account(
    store: Store, account: Account, other_account: Account
) -> None:
    store.create_user(account.account_id, "Alice")
    with pytest.raises(AlreadyExists) as exc:
        store.create_user(account.account_id, "aLiCe")
    assert (exc.value.entity, exc.value.name) == ("user", "aLiCe")
    assert exc.value.message == "User with name aLiCe already exists."
    # Another account may use the name.
    assert store.create_user(other_account.account_id, "ALICE").name == "ALICE"


def test_concurrent_create_same_name_one_wins(store: Store, account: Account) -> None:
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def create(name: str) -> None:
        barrier.wait()
        try:
            store.create_user(account.account_id, name)
            outcomes.append("ok")
        except AlreadyExists:
            outcomes.append("exists")

    threads = [threading.Thread(target=create, args=(n,)) for n in ("bob", "BOB", "Bob", "bOb")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["exists", "exists", "exists", "ok"]
    assert len(store.list_users(account.account_id).items) == 1


def test_create_user_errors(store: Store, account: Account) -> None:
    with pytest.raises(NotFound):
        store.create_user("999999999999", "x")
    with pytest.raises(NotFound) as exc:
        store.create_user(
            account.account_id, "x", permissions_boundary_arn="arn:aws:iam::aws:policy/Nope"
        )
    assert exc.value.entity == "policy"
    with pytest.raises(ValueError):
        store.create_user(account.account_id, "x", tags=[("k", "1"), ("k", "2")])
    assert store.list_users(account.account_id).items == ()


def test_create_user_with_boundary(store: Store, account: Account) -> None:
    pol = store.create_policy(account.account_id, "Boundary", "/", '{"Statement": []}')
    user = store.create_user(account.account_id, "b", permissions_boundary_arn=pol.arn)
    assert (
        store.get_user(account.account_id, "b").permissions_boundary_arn
        == pol.arn
        == (user.permissions_boundary_arn)
    )


def test_get_user_not_found(store: Store, account: Account, other_account: Account) -> None:
    store.create_user(other_account.account_id, "carol")
    with pytest.raises(NotFound) as exc:
        store.get_user(account.account_id, "carol")
    assert exc.value.message == "The user with name carol cannot be found."
    with pytest.raises(NotFound):
        store.get_user_by_id("AIDAAAAAAAAAAAAAAAAAA")


def test_list_users_pages_in_name_order(store: Store, account: Account) -> None:
    names = ["delta", "Alpha", "charlie", "Echo", "bravo"]
    for n in names:
        store.create_user(account.account_id, n, tags=[("n", n)])
    seen: list[str] = []
    marker = None
    pages = 0
    while True:
        page = store.list_users(account.account_id, marker=marker, max_items=2)
        pages += 1
        assert len(page.items) <= 2
        seen += [u.name for u in page.items]
        assert all(u.tags == (("n", u.name),) for u in page.items)
        if not page.is_truncated:
            break
        marker = page.marker
    assert pages == 3
    assert seen == ["Alpha", "bravo", "charlie", "delta", "Echo"]
    full = store.list_users(account.account_id)
    assert [u.name for u in full.items] == seen and full.marker is None


def test_list_users_exact_page_boundary(store: Store, account: Account) -> None:
    for n in ("a", "b"):
        store.create_user(account.account_id, n)
    page = store.list_users(account.account_id, max_items=2)
    assert [u.name for u in page.items] == ["a", "b"]
    assert page.marker is None


def test_list_users_path_prefix(store: Store, account: Account) -> None:
    store.create_user(account.account_id, "a", "/eng/ml/")
    store.create_user(account.account_id, "b", "/eng/")
    store.create_user(account.account_id, "c", "/ops/")
    store.create_user(account.account_id, "d", "/Eng/")
    store.create_user(account.account_id, "e", "/eng%/")

    def names(prefix: str) -> list[str]:
        return [u.name for u in store.list_users(account.account_id, path_prefix=prefix).items]

    assert names("/") == ["a", "b", "c", "d", "e"]
    assert names("/eng/") == ["a", "b"]
    assert names("/eng/ml/") == ["a"]
    assert names("/Eng/") == ["d"]  # case-sensitive
    assert names("/eng%") == ["e"]  # no LIKE wildcards
    assert names("/nothing/") == []


def test_list_users_is_per_account(store: Store, account: Account, other_account: Account) -> None:
    store.create_user(account.account_id, "mine")
    store.create_user(other_account.account_id, "theirs")
    assert [u.name for u in store.list_users(account.account_id).items] == ["mine"]


def test_list_users_bad_marker_and_max_items(store: Store, account: Account) -> None:
    for bad in ("!!!", "bm90IGpzb24", "WyJhIiwgImIiXQ"):
        with pytest.raises(InvalidMarker):
            store.list_users(account.account_id, marker=bad)
    with pytest.raises(ValueError):
        store.list_users(account.account_id, max_items=0)


def test_delete_user(store: Store, account: Account) -> None:
    user = store.create_user(account.account_id, "Gone", tags=[("k", "v")])
    store.delete_user(account.account_id, "gone")
    with pytest.raises(NotFound):
        store.get_user(account.account_id, "Gone")
    with pytest.raises(NotFound):
        store.delete_user(account.account_id, "Gone")
    # Tags went with it: a new user with the same name starts clean.
    again = store.create_user(account.account_id, "Gone")
    assert again.tags == () and again.user_id != user.user_id
    with store.engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM tags WHERE entity_id = :i"), {"i": user.user_id}
        ).scalar_one()
    assert left == 0


def test_delete_user_conflicts(store: Store, account: Account) -> None:
    aid = account.account_id
    store.create_user(aid, "u")
    key, _ = store.create_access_key(aid, "u")
    store.put_user_policy(aid, "u", "inline", "{}")
    pol = store.create_policy(aid, "P", "/", "{}")
    store.attach_user_policy(aid, "u", pol.arn)

    with pytest.raises(DeleteConflict) as exc:
        store.delete_user(aid, "u")
    assert exc.value.reason == "Cannot delete entity, must delete access keys first."
    store.delete_access_key(aid, "u", key.access_key_id)

    with pytest.raises(DeleteConflict) as exc:
        store.delete_user(aid, "u")
    assert exc.value.reason == "Cannot delete entity, must delete policies first."
    store.delete_user_policy(aid, "u", "inline")

    with pytest.raises(DeleteConflict) as exc:
        store.delete_user(aid, "u")
    assert exc.value.message == "Cannot delete entity, must detach all policies first."
    store.detach_user_policy(aid, "u", pol.arn)

    store.delete_user(aid, "u")
    assert store.get_policy(pol.arn).attachment_count == 0


def test_update_user_renames_and_moves(store: Store, account: Account) -> None:
    aid = account.account_id
    user = store.create_user(aid, "before", tags=[("k", "v")])
    key, _ = store.create_access_key(aid, "before")
    store.put_user_policy(aid, "before", "P", "{}")
    moved = store.update_user(aid, "BEFORE", new_name="After", new_path="/moved/")
    assert moved.user_id == user.user_id and moved.tags == (("k", "v"),)
    assert moved.arn == f"arn:aws:iam::{aid}:user/moved/After"
    with pytest.raises(NotFound):
        store.get_user(aid, "before")
    assert store.list_user_policies(aid, "after").items == ("P",)
    assert store.lookup_access_key(key.access_key_id).user_name == "After"
    store.create_user(aid, "taken")
    with pytest.raises(AlreadyExists):
        store.update_user(aid, "after", new_name="TAKEN")
    assert store.update_user(aid, "after", new_name="AFTER").name == "AFTER"  # case only


def test_user_tags(store: Store, account: Account) -> None:
    aid = account.account_id
    store.create_user(aid, "u", tags=[("team", "red")])
    store.tag_user(aid, "u", [("env", "dev"), ("TEAM", "blue")])
    assert store.get_user(aid, "u").tags == (("TEAM", "blue"), ("env", "dev"))
    store.untag_user(aid, "u", ["Team", "absent"])
    assert store.list_user_tags(aid, "u").items == (("env", "dev"),)
    store.tag_user(aid, "u", [(f"k{i:02d}", "v") for i in range(49)])
    with pytest.raises(LimitExceeded) as exc:
        store.tag_user(aid, "u", [("more", "v")])
    assert exc.value.message == "Cannot exceed quota for TagsPerUser: 50"
    store.tag_user(aid, "u", [("K00", "new")])  # replacing is not adding
    first = store.list_user_tags(aid, "u", max_items=20)
    second = store.list_user_tags(aid, "u", marker=first.marker, max_items=20)
    third = store.list_user_tags(aid, "u", marker=second.marker, max_items=20)
    assert len(first.items + second.items + third.items) == 50 and not third.is_truncated
    assert first.items[:2] == (("env", "dev"), ("K00", "new"))
    with pytest.raises(ValueError):
        store.tag_user(aid, "u", [("x", "1"), ("X", "2")])
    with pytest.raises(InvalidMarker):
        store.list_user_tags(aid, "u", marker="bogus")
    store.delete_user(aid, "u")
    store.create_user(aid, "u")
    assert store.get_user(aid, "u").tags == ()


def test_user_permissions_boundary(store: Store, account: Account) -> None:
    aid = account.account_id
    pol = store.create_policy(aid, "B", "/", "{}")
    store.create_user(aid, "u")
    store.put_user_permissions_boundary(aid, "u", pol.arn)
    assert store.get_user(aid, "u").permissions_boundary_arn == pol.arn
    with pytest.raises(NotFound) as exc:
        store.put_user_permissions_boundary(aid, "u", f"arn:aws:iam::{aid}:policy/none")
    assert exc.value.entity == "policy"
    store.delete_user_permissions_boundary(aid, "u")
    assert store.get_user(aid, "u").permissions_boundary_arn is None
