from __future__ import annotations

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


def test_create_get_list_update_delete(store: Store, account: Account) -> None:
    aid = account.account_id
    g = store.create_group(aid, "Devs", "/eng/")
    assert g.arn == f"arn:aws:iam::{aid}:group/eng/Devs"
    assert g.group_id.startswith("AGPA") and len(g.group_id) == 21
    assert store.get_group(aid, "DEVS") == g
    with pytest.raises(AlreadyExists) as exc:
        store.create_group(aid, "devs")
    assert exc.value.entity == "group"
    for name in ("b", "a", "c"):
        store.create_group(aid, name, "/other/")
    assert [x.name for x in store.list_groups(aid).items] == ["a", "b", "c", "Devs"]
    assert [x.name for x in store.list_groups(aid, path_prefix="/eng/").items] == ["Devs"]
    first = store.list_groups(aid, max_items=2)
    assert first.is_truncated and [x.name for x in first.items] == ["a", "b"]
    rest = store.list_groups(aid, marker=first.marker, max_items=2)
    assert [x.name for x in rest.items] == ["c", "Devs"] and not rest.is_truncated
    with pytest.raises(InvalidMarker):
        store.list_groups(aid, marker="garbage!")

    moved = store.update_group(aid, "devs", new_name="Developers", new_path="/dev/")
    assert moved.group_id == g.group_id and moved.arn == f"arn:aws:iam::{aid}:group/dev/Developers"
    with pytest.raises(AlreadyExists):
        store.update_group(aid, "Developers", new_name="A")
    store.update_group(aid, "developers", new_name="DEVELOPERS")  # a change of case only
    assert store.get_group(aid, "developers").name == "DEVELOPERS"
    store.delete_group(aid, "Developers")
    with pytest.raises(NotFound) as exc:
        store.get_group(aid, "Developers")
    assert exc.value.message == "The group with name Developers cannot be found."


def test_groups_are_per_account(store: Store, account: Account, other_account: Account) -> None:
    store.create_group(account.account_id, "Same")
    store.create_group(other_account.account_id, "Same")
    assert [g.name for g in store.list_groups(other_account.account_id).items] == ["Same"]


def test_membership(store: Store, account: Account) -> None:
    aid = account.account_id
    store.create_group(aid, "G")
    for name in ("carol", "alice", "bob"):
        store.create_user(aid, name)
        store.add_user_to_group(aid, "g", name)
    store.add_user_to_group(aid, "G", "ALICE")  # again: a no-op
    group, users = store.get_group_users(aid, "G", max_items=2)
    assert group.name == "G" and [u.name for u in users.items] == ["alice", "bob"]
    _, rest = store.get_group_users(aid, "G", marker=users.marker)
    assert [u.name for u in rest.items] == ["carol"]
    assert [g.name for g in store.list_groups_for_user(aid, "bob").items] == ["G"]

    with pytest.raises(DeleteConflict) as exc:
        store.delete_group(aid, "G")
    assert exc.value.reason == "Cannot delete entity, must remove users from group first."
    with pytest.raises(DeleteConflict) as exc:
        store.delete_user(aid, "bob")
    assert exc.value.reason == "Cannot delete entity, must remove users from group first."
    store.remove_user_from_group(aid, "G", "bob")
    with pytest.raises(NotFound):
        store.remove_user_from_group(aid, "G", "bob")
    store.delete_user(aid, "bob")
    assert [u.name for u in store.get_group_users(aid, "G")[1].items] == ["alice", "carol"]


def test_groups_per_user_quota(store: Store, account: Account) -> None:
    aid = account.account_id
    store.create_user(aid, "u")
    for i in range(10):
        store.create_group(aid, f"g{i}")
        store.add_user_to_group(aid, f"g{i}", "u")
    store.create_group(aid, "g10")
    with pytest.raises(LimitExceeded) as exc:
        store.add_user_to_group(aid, "g10", "u")
    assert exc.value.message == "Cannot exceed quota for GroupsPerUser: 10"


def test_group_inline_policies(store: Store, account: Account) -> None:
    aid = account.account_id
    store.create_group(aid, "G")
    store.put_group_policy(aid, "G", "Read", '{"a": 1}')
    store.put_group_policy(aid, "g", "READ", '{"a": 2}')
    store.put_group_policy(aid, "G", "Another", "{}")
    assert store.get_group_policy(aid, "G", "read") == '{"a": 2}'
    assert store.group_inline_policies(aid, "G") == [("Another", "{}"), ("Read", '{"a": 2}')]
    page = store.list_group_policies(aid, "G", max_items=1)
    assert page.items == ("Another",) and page.is_truncated
    assert store.list_group_policies(aid, "G", marker=page.marker).items == ("Read",)
    with pytest.raises(DeleteConflict) as exc:
        store.delete_group(aid, "G")
    assert exc.value.reason == "Cannot delete entity, must delete policies first."
    store.delete_group_policy(aid, "G", "read")
    store.delete_group_policy(aid, "G", "Another")
    with pytest.raises(NotFound) as exc:
        store.delete_group_policy(aid, "G", "Read")
    assert exc.value.entity == "group_policy"
    store.delete_group(aid, "G")


def test_attached_group_policies(store: Store, account: Account) -> None:
    aid = account.account_id
    store.create_group(aid, "G")
    arns = [store.create_policy(aid, f"P{i}", "/", "{}").arn for i in range(11)]
    for arn in arns[:10]:
        store.attach_group_policy(aid, "G", arn)
    store.attach_group_policy(aid, "G", arns[0])  # again: a no-op
    assert store.get_policy(arns[0], aid).attachment_count == 1
    with pytest.raises(LimitExceeded) as exc:
        store.attach_group_policy(aid, "G", arns[10])
    assert exc.value.message == "Cannot exceed quota for PoliciesPerGroup: 10"
    page = store.list_attached_group_policies(aid, "G", max_items=4)
    assert [n for n, _ in page.items] == ["P0", "P1", "P2", "P3"] and page.is_truncated
    with pytest.raises(DeleteConflict) as exc:
        store.delete_group(aid, "G")
    assert exc.value.reason == "Cannot delete entity, must detach all policies first."
    for arn in arns[:10]:
        store.detach_group_policy(aid, "G", arn)
    with pytest.raises(NotFound) as exc:
        store.detach_group_policy(aid, "G", arns[0])
    assert exc.value.entity == "attachment"
    assert store.get_policy(arns[0], aid).attachment_count == 0
    store.delete_group(aid, "G")


def test_group_policies_reach_members(store: Store, account: Account) -> None:
    aid = account.account_id
    user = store.create_user(aid, "u")
    store.put_user_policy(aid, "u", "Own", '{"own": 1}')
    for group in ("Beta", "alpha"):
        store.create_group(aid, group)
        store.add_user_to_group(aid, group, "u")
        store.put_group_policy(aid, group, "Shared", f'{{"{group}": 1}}')
    shared = store.create_policy(aid, "SharedManaged", "/", '{"m": 1}')
    store.attach_user_policy(aid, "u", shared.arn)
    store.attach_group_policy(aid, "alpha", shared.arn)  # the same policy twice: listed once
    only_group = store.create_policy(aid, "GroupOnly", "/", '{"g": 1}')
    store.attach_group_policy(aid, "Beta", only_group.arn)
    store.create_group(aid, "NotMine")
    store.put_group_policy(aid, "NotMine", "Other", '{"no": 1}')

    found = store.principal_policies_for_user(user.user_id)
    assert found.inline == (
        ("Own", '{"own": 1}'),
        ("Shared", '{"alpha": 1}'),
        ("Shared", '{"Beta": 1}'),
    )
    assert found.inline_owners == ("user/u", "group/alpha", "group/Beta")
    assert [arn for arn, _, _ in found.managed] == sorted([shared.arn, only_group.arn])

    store.remove_user_from_group(aid, "Beta", "u")
    found = store.principal_policies_for_user(user.user_id)
    assert found.inline_owners == ("user/u", "group/alpha")
    assert [arn for arn, _, _ in found.managed] == [shared.arn]
