from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest

from sagegate.store import (
    Account,
    AlreadyExists,
    DeleteConflict,
    InvalidMarker,
    LimitExceeded,
    NotFound,
    Store,
)

TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'


def test_create_and_get_role(store: Store, account: Account) -> None:
    role = store.create_role(
        account.account_id,
        "Exec",
        TRUST,
        path="/ml/",
        max_session_duration=7200,
        description="runs jobs",
        tags=[("team", "ml"), ("a", "b")],
    )
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", role.role_id)
    assert role.arn == f"arn:aws:iam::{account.account_id}:role/ml/Exec"
    assert role.assume_role_policy_document == TRUST
    assert role.max_session_duration == 7200 and role.description == "runs jobs"
    assert role.tags == (("team", "ml"), ("a", "b"))
    assert role.created_at.tzinfo == UTC
    assert role.service_linked_to is None and role.last_used_at is None
    assert store.get_role(account.account_id, "exec") == role
    assert store.get_role_by_id(role.role_id) == role
    with pytest.raises(NotFound) as exc:
        store.get_role(account.account_id, "nobody")
    assert (exc.value.entity, exc.value.name) == ("role", "nobody")
    with pytest.raises(NotFound):
        store.get_role_by_id("AROAXXXXXXXXXXXXXXXXX")


def test_role_names_unique_case_insensitively_per_account(
    store: Store, account: Account, other_account: Account
) -> None:
    store.create_role(account.account_id, "Exec", TRUST)
    with pytest.raises(AlreadyExists) as exc:
        store.create_role(account.account_id, "EXEC", TRUST, path="/other/")
    assert (exc.value.entity, exc.value.name) == ("role", "EXEC")
    assert store.create_role(other_account.account_id, "exec", TRUST).name == "exec"


def test_concurrent_create_same_role_one_wins(store: Store, account: Account) -> None:
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def create(name: str) -> None:
        barrier.wait()
        try:
            store.create_role(account.account_id, name, TRUST)
            outcomes.append("ok")
        except AlreadyExists:
            outcomes.append("exists")

    threads = [threading.Thread(target=create, args=(n,)) for n in ("r", "R", "r", "R")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["exists", "exists", "exists", "ok"]


def test_list_roles_paginated_by_path(store: Store, account: Account) -> None:
    for name in ("b", "a", "D", "c"):
        store.create_role(account.account_id, name, TRUST, path="/x/")
    store.create_role(account.account_id, "z", TRUST, path="/y/")
    first = store.list_roles(account.account_id, "/x/", max_items=3)
    assert [r.name for r in first.items] == ["a", "b", "c"] and first.is_truncated
    rest = store.list_roles(account.account_id, "/x/", marker=first.marker, max_items=3)
    assert [r.name for r in rest.items] == ["D"] and rest.marker is None
    assert len(store.list_roles(account.account_id).items) == 5
    with pytest.raises(InvalidMarker):
        store.list_roles(account.account_id, marker="garbage!")


def test_update_role_and_trust_policy(store: Store, account: Account) -> None:
    store.create_role(account.account_id, "r", TRUST, description="one")
    epoch = store.epoch()
    updated = store.update_role(account.account_id, "R", max_session_duration=43200)
    assert updated.description == "one" and updated.max_session_duration == 43200
    updated = store.update_role(account.account_id, "r", description="two")
    assert updated.description == "two" and updated.max_session_duration == 43200
    store.update_assume_role_policy(account.account_id, "r", DOC)
    assert store.get_role(account.account_id, "r").assume_role_policy_document == DOC
    assert store.epoch() > epoch


def test_inline_role_policies(store: Store, account: Account) -> None:
    role = store.create_role(account.account_id, "r", TRUST)
    store.put_role_policy(account.account_id, "r", "Read", DOC)
    store.put_role_policy(account.account_id, "r", "read", DOC.replace("s3:*", "s3:Get*"))
    assert store.get_role_policy(account.account_id, "r", "READ") == (
        "Read",
        DOC.replace("s3:*", "s3:Get*"),
    )
    store.put_role_policy(account.account_id, "r", "b", DOC)
    assert store.list_role_policies(account.account_id, "r").items == ("b", "Read")
    page = store.list_role_policies(account.account_id, "r", max_items=1)
    assert page.items == ("b",)
    assert store.list_role_policies(account.account_id, "r", marker=page.marker).items == ("Read",)
    assert [n for n, _ in store.role_inline_policies(account.account_id, "r")] == ["b", "Read"]
    found = store.principal_policies_for_role(role.role_id)
    assert [n for n, _ in found.inline] == ["b", "Read"]
    with pytest.raises(DeleteConflict) as exc:
        store.delete_role(account.account_id, "r")
    assert exc.value.reason == "Cannot delete entity, must delete policies first."
    store.delete_role_policy(account.account_id, "r", "READ")
    store.delete_role_policy(account.account_id, "r", "b")
    with pytest.raises(NotFound) as nf:
        store.delete_role_policy(account.account_id, "r", "b")
    assert nf.value.entity == "role_policy"
    with pytest.raises(NotFound):
        store.get_role_policy(account.account_id, "r", "b")
    store.delete_role(account.account_id, "r")


def test_attached_role_policies_and_quota(store: Store, account: Account) -> None:
    role = store.create_role(account.account_id, "r", TRUST)
    arns = [store.create_policy(account.account_id, f"p{i}", "/", DOC).arn for i in range(11)]
    for arn in arns[:10]:
        store.attach_role_policy(account.account_id, "r", arn)
    store.attach_role_policy(account.account_id, "r", arns[0])  # again: a no-op
    with pytest.raises(LimitExceeded) as exc:
        store.attach_role_policy(account.account_id, "r", arns[10])
    assert exc.value.message == "Cannot exceed quota for PoliciesPerRole: 10"
    listed = store.list_attached_role_policies(account.account_id, "r", max_items=4)
    assert [n for n, _ in listed.items] == ["p0", "p1", "p2", "p3"] and listed.is_truncated
    found = store.principal_policies_for_role(role.role_id)
    assert sorted(a for a, _, _ in found.managed) == sorted(arns[:10])
    assert all(vid == "v1" and doc == DOC for _, vid, doc in found.managed)
    with pytest.raises(NotFound) as nf:
        store.attach_role_policy(account.account_id, "r", arns[0] + "x")
    assert nf.value.entity == "policy"
    with pytest.raises(DeleteConflict) as dc:
        store.delete_role(account.account_id, "r")
    assert dc.value.reason == "Cannot delete entity, must detach all policies first."
    store.detach_role_policy(account.account_id, "r", arns[0])
    with pytest.raises(NotFound) as nf:
        store.detach_role_policy(account.account_id, "r", arns[0])
    assert nf.value.entity == "attachment"


def test_permissions_boundary(store: Store, account: Account) -> None:
    boundary = store.create_policy(account.account_id, "bound", "/", DOC).arn
    role = store.create_role(account.account_id, "r", TRUST, permissions_boundary_arn=boundary)
    assert role.permissions_boundary_arn == boundary
    found = store.principal_policies_for_role(role.role_id)
    assert found.boundary == (boundary, "v1", DOC) and found.boundary_arn == boundary
    assert found.inline == () and found.managed == ()
    store.delete_role_permissions_boundary(account.account_id, "r")
    store.delete_role_permissions_boundary(account.account_id, "r")  # none left: still fine
    assert store.get_role(account.account_id, "r").permissions_boundary_arn is None
    store.put_role_permissions_boundary(account.account_id, "r", boundary)
    assert store.principal_policies_for_role(role.role_id).boundary_arn == boundary
    with pytest.raises(NotFound) as nf:
        store.put_role_permissions_boundary(account.account_id, "r", boundary + "-gone")
    assert nf.value.entity == "policy"
    with pytest.raises(NotFound):
        store.create_role(account.account_id, "r2", TRUST, permissions_boundary_arn="arn:x")
    with pytest.raises(NotFound):
        store.principal_policies_for_role("AROANOTTHERE")


def test_role_tags(store: Store, account: Account) -> None:
    store.create_role(account.account_id, "r", TRUST, tags=[("Dept", "fin")])
    store.tag_role(account.account_id, "r", [("dept", "hr"), ("x", "1")])
    assert store.get_role(account.account_id, "r").tags == (("dept", "hr"), ("x", "1"))
    store.tag_role(account.account_id, "r", [(f"k{i}", "v") for i in range(48)])
    with pytest.raises(LimitExceeded):
        store.tag_role(account.account_id, "r", [("one-more", "v")])
    store.untag_role(account.account_id, "r", ["X", "absent"])
    tags = store.get_role(account.account_id, "r").tags
    assert len(tags) == 49 and ("x", "1") not in tags
    page = store.list_role_tags(account.account_id, "r", max_items=40)
    assert len(page.items) == 40 and page.is_truncated
    assert len(store.list_role_tags(account.account_id, "r", marker=page.marker).items) == 9
    with pytest.raises(ValueError):
        store.create_role(account.account_id, "dup", TRUST, tags=[("a", "1"), ("A", "2")])


def test_role_last_used(store: Store, account: Account) -> None:
    role = store.create_role(account.account_id, "r", TRUST)
    epoch = store.epoch()
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    store.record_role_use(role.role_id, when, "eu-west-1")
    store.record_role_use(role.role_id, when - timedelta(hours=1), "us-east-1")  # older: ignored
    got = store.get_role(account.account_id, "r")
    assert (got.last_used_at, got.last_used_region) == (when, "eu-west-1")
    assert store.epoch() == epoch  # not an authorization change
    store.record_role_use("AROANOSUCHROLE", when, "eu-west-1")  # best effort: no error


def test_delete_role_cleans_up(store: Store, account: Account) -> None:
    store.create_role(account.account_id, "r", TRUST, tags=[("a", "b")])
    store.delete_role(account.account_id, "R")
    with pytest.raises(NotFound):
        store.get_role(account.account_id, "r")
    again = store.create_role(account.account_id, "r", TRUST)
    assert again.tags == () and again.last_used_at is None
    with pytest.raises(NotFound):
        store.delete_role(account.account_id, "nobody")


def test_service_linked_role(store: Store, account: Account) -> None:
    boundary_like = store.create_policy(account.account_id, "svc", "/", DOC).arn
    role = store.create_role(
        account.account_id,
        "AWSServiceRoleForX",
        TRUST,
        path="/aws-service-role/x.amazonaws.com/",
        service_linked_to="x.amazonaws.com",
        attach_policy_arns=[boundary_like],
    )
    assert role.service_linked_to == "x.amazonaws.com"
    assert store.list_attached_role_policies(account.account_id, role.name).items == (
        ("svc", boundary_like),
    )
    store.put_role_policy(account.account_id, role.name, "inline", DOC)
    deleted = store.delete_service_linked_role(account.account_id, role.name)
    assert deleted.role_id == role.role_id
    with pytest.raises(NotFound):
        store.get_role(account.account_id, role.name)
    assert store.get_policy(boundary_like).attachment_count == 0
