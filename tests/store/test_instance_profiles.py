from __future__ import annotations

import re
import threading

import pytest

from sagegate.store import (
    Account,
    AlreadyExists,
    DeleteConflict,
    LimitExceeded,
    NotFound,
    Store,
)

TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'


def test_create_get_list(store: Store, account: Account, other_account: Account) -> None:
    made = store.create_instance_profile(account.account_id, "Web", "/apps/", [("tier", "web")])
    assert re.fullmatch(r"AIPA[A-Z2-7]{17}", made.instance_profile_id)
    assert made.arn == f"arn:aws:iam::{account.account_id}:instance-profile/apps/Web"
    assert made.roles == () and made.tags == (("tier", "web"),)
    assert store.get_instance_profile(account.account_id, "web") == made
    with pytest.raises(AlreadyExists) as exc:
        store.create_instance_profile(account.account_id, "WEB")
    assert (exc.value.entity, exc.value.name) == ("instance_profile", "WEB")
    assert store.create_instance_profile(other_account.account_id, "web").name == "web"
    for name in ("c", "a", "b"):
        store.create_instance_profile(account.account_id, name, "/x/")
    page = store.list_instance_profiles(account.account_id, "/x/", max_items=2)
    assert [p.name for p in page.items] == ["a", "b"] and page.is_truncated
    rest = store.list_instance_profiles(account.account_id, "/x/", marker=page.marker)
    assert [p.name for p in rest.items] == ["c"] and rest.marker is None
    assert len(store.list_instance_profiles(account.account_id).items) == 4
    with pytest.raises(NotFound) as nf:
        store.get_instance_profile(account.account_id, "nope")
    assert nf.value.entity == "instance_profile"


def test_one_role_per_profile(store: Store, account: Account) -> None:
    role = store.create_role(account.account_id, "r", TRUST)
    store.create_role(account.account_id, "other", TRUST)
    store.create_instance_profile(account.account_id, "p")
    store.create_instance_profile(account.account_id, "q")
    store.add_role_to_instance_profile(account.account_id, "P", "R")
    store.add_role_to_instance_profile(account.account_id, "q", "r")  # a role may be in many
    got = store.get_instance_profile(account.account_id, "p")
    assert [r.role_id for r in got.roles] == [role.role_id]
    for name in ("other", "r"):
        with pytest.raises(LimitExceeded) as exc:
            store.add_role_to_instance_profile(account.account_id, "p", name)
        assert exc.value.message == "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    for_role = store.list_instance_profiles_for_role(account.account_id, "r", max_items=1)
    assert [p.name for p in for_role.items] == ["p"] and for_role.is_truncated
    rest = store.list_instance_profiles_for_role(account.account_id, "r", marker=for_role.marker)
    assert [p.name for p in rest.items] == ["q"]
    assert store.list_instance_profiles_for_role(account.account_id, "other").items == ()
    with pytest.raises(DeleteConflict) as dc:
        store.delete_instance_profile(account.account_id, "p")
    assert dc.value.reason == "Cannot delete entity, must remove roles from instance profile first."
    with pytest.raises(DeleteConflict):
        store.delete_role(account.account_id, "r")
    with pytest.raises(NotFound) as nf:
        store.remove_role_from_instance_profile(account.account_id, "p", "other")
    assert nf.value.entity == "profile_role"
    store.remove_role_from_instance_profile(account.account_id, "p", "r")
    store.remove_role_from_instance_profile(account.account_id, "q", "r")
    store.delete_role(account.account_id, "r")
    store.delete_instance_profile(account.account_id, "p")
    with pytest.raises(NotFound):
        store.get_instance_profile(account.account_id, "p")
    with pytest.raises(NotFound) as nf:
        store.add_role_to_instance_profile(account.account_id, "q", "r")
    assert nf.value.entity == "role"
    with pytest.raises(NotFound):
        store.list_instance_profiles_for_role(account.account_id, "r")


def test_concurrent_adds_one_wins(store: Store, account: Account) -> None:
    store.create_instance_profile(account.account_id, "p")
    names = [f"r{i}" for i in range(4)]
    for name in names:
        store.create_role(account.account_id, name, TRUST)
    barrier = threading.Barrier(len(names))
    outcomes: list[str] = []

    def add(name: str) -> None:
        barrier.wait()
        try:
            store.add_role_to_instance_profile(account.account_id, "p", name)
            outcomes.append("ok")
        except LimitExceeded:
            outcomes.append("full")

    threads = [threading.Thread(target=add, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["full", "full", "full", "ok"]
    assert len(store.get_instance_profile(account.account_id, "p").roles) == 1


def test_tags_are_case_sensitive(store: Store, account: Account) -> None:
    store.create_instance_profile(account.account_id, "p", tags=[("Env", "a")])
    store.tag_instance_profile(account.account_id, "p", [("env", "b"), ("Env", "c")])
    assert store.get_instance_profile(account.account_id, "p").tags == (
        ("Env", "c"),
        ("env", "b"),
    )
    store.untag_instance_profile(account.account_id, "p", ["ENV", "env"])
    assert store.get_instance_profile(account.account_id, "p").tags == (("Env", "c"),)
    store.tag_instance_profile(account.account_id, "p", [(f"k{i}", "v") for i in range(49)])
    with pytest.raises(LimitExceeded):
        store.tag_instance_profile(account.account_id, "p", [("more", "v")])
    page = store.list_instance_profile_tags(account.account_id, "p", max_items=25)
    assert len(page.items) == 25 and page.is_truncated
    with pytest.raises(ValueError):
        store.tag_instance_profile(account.account_id, "p", [("a", "1"), ("a", "2")])
    store.delete_instance_profile(account.account_id, "p")
    assert store.create_instance_profile(account.account_id, "p").tags == ()
