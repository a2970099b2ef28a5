from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sagegate.store import (
    Account,
    DeleteConflict,
    InvalidMarker,
    LimitExceeded,
    NotFound,
    PolicyEntity,
    Store,
)

T1 = datetime(2015, 2, 6, 18, 39, 46, tzinfo=UTC)


def seed_aws(store: Store, name: str = "ReadOnlyAccess") -> str:
    return store.ensure_aws_managed_policy(name, "/", '{"aws": 1}', "v3", "AWS's", T1, T1).arn


def test_list_policies_scope_prefix_and_pages(
    store: Store, account: Account, other_account: Account
) -> None:
    aid = account.account_id
    aws = seed_aws(store)
    mine = [store.create_policy(aid, name, "/team/", "{}").arn for name in ("b", "A", "c")]
    store.create_policy(other_account.account_id, "Theirs", "/", "{}")

    def names(**kw: object) -> list[str]:
        return [p.name for p in store.list_policies(aid, **kw).items]  # type: ignore[arg-type]

    assert names() == ["A", "b", "c", "ReadOnlyAccess"]
    assert names(scope="AWS") == ["ReadOnlyAccess"]
    assert names(scope="Local") == ["A", "b", "c"]
    assert names(path_prefix="/team/") == ["A", "b", "c"]
    first = store.list_policies(aid, max_items=3)
    assert first.is_truncated
    rest = store.list_policies(aid, marker=first.marker, max_items=3)
    assert [p.name for p in first.items + rest.items] == names() and not rest.is_truncated
    with pytest.raises(InvalidMarker):
        store.list_policies(aid, marker="nope")

    assert names(only_attached=True) == []
    store.create_user(aid, "u", permissions_boundary_arn=mine[0])
    store.attach_user_policy(aid, "u", aws)
    assert names(only_attached=True) == ["b", "ReadOnlyAccess"]
    assert names(only_attached=True, usage_filter="PermissionsPolicy") == ["ReadOnlyAccess"]
    assert names(only_attached=True, usage_filter="PermissionsBoundary") == ["b"]
    # AWS managed policies count the account's own attachments only.
    assert store.list_policies(other_account.account_id, scope="AWS").items[0].attachment_count == 0
    got = store.get_policy(mine[0], aid)
    assert got.permissions_boundary_usage_count == 1 and got.attachment_count == 0


def test_versions(store: Store, account: Account) -> None:
    aid = account.account_id
    arn = store.create_policy(aid, "P", "/", '{"v": 1}').arn
    v2 = store.create_policy_version(aid, arn, '{"v": 2}', set_as_default=True)
    assert v2.version_id == "v2" and v2.is_default
    assert store.get_default_policy_document(arn) == ("v2", '{"v": 2}')
    for _ in range(3):
        store.create_policy_version(aid, arn, "{}")
    with pytest.raises(LimitExceeded) as exc:
        store.create_policy_version(aid, arn, "{}")
    assert exc.value.message.startswith("A managed policy can have up to 5 versions.")
    page = store.list_policy_versions(aid, arn, max_items=2)
    assert [v.version_id for v in page.items] == ["v5", "v4"] and page.is_truncated
    rest = store.list_policy_versions(aid, arn, marker=page.marker)
    assert [(v.version_id, v.is_default) for v in rest.items] == [
        ("v3", False),
        ("v2", True),
        ("v1", False),
    ]
    with pytest.raises(DeleteConflict) as dc:
        store.delete_policy_version(aid, arn, "v2")
    assert dc.value.reason == "Cannot delete the default version of a policy."
    with pytest.raises(NotFound) as nf:
        store.set_default_policy_version(aid, arn, "v7")
    assert nf.value.message == f"Policy {arn} version v7 does not exist or is not attachable."
    store.set_default_policy_version(aid, arn, "v1")
    with pytest.raises(DeleteConflict) as dc:
        store.delete_policy(aid, arn)
    assert dc.value.reason.startswith("This policy has more than one version.")
    for vid in ("v2", "v3", "v4", "v5"):
        store.delete_policy_version(aid, arn, vid)
    # Ids are never reused, not even the highest one's (*Versioning IAM policies*).
    assert store.create_policy_version(aid, arn, "{}").version_id == "v6"
    store.delete_policy_version(aid, arn, "v6")
    store.delete_policy(aid, arn)
    with pytest.raises(NotFound):
        store.get_policy(arn)


def test_delete_policy_in_use(store: Store, account: Account) -> None:
    aid = account.account_id
    arn = store.create_policy(aid, "Used", "/", "{}", tags=[("k", "v")]).arn
    store.create_user(aid, "u")
    store.attach_user_policy(aid, "u", arn)
    with pytest.raises(DeleteConflict) as dc:
        store.delete_policy(aid, arn)
    assert dc.value.reason == "Cannot delete a policy attached to entities."
    store.detach_user_policy(aid, "u", arn)
    store.put_user_permissions_boundary(aid, "u", arn)
    with pytest.raises(DeleteConflict):  # used as a boundary
        store.delete_policy(aid, arn)
    store.delete_user_permissions_boundary(aid, "u")
    store.delete_policy(aid, arn)
    # Recreated under the same ARN, it starts afresh (no old tags).
    assert store.create_policy(aid, "Used", "/", "{}").tags == ()
    assert store.list_policy_tags(aid, arn).items == ()


def test_aws_and_foreign_policies_are_not_changeable(
    store: Store, account: Account, other_account: Account
) -> None:
    aid = account.account_id
    aws = seed_aws(store)
    theirs = store.create_policy(other_account.account_id, "Theirs", "/", "{}").arn
    for arn in (aws, theirs):
        with pytest.raises(NotFound):
            store.create_policy_version(aid, arn, "{}")
        with pytest.raises(NotFound):
            store.delete_policy(aid, arn)
        with pytest.raises(NotFound):
            store.tag_policy(aid, arn, [("k", "v")])
    with pytest.raises(NotFound):
        store.get_policy(theirs, aid)
    assert store.get_policy(aws, aid).name == "ReadOnlyAccess"
    assert [v.version_id for v in store.list_policy_versions(aid, aws).items] == ["v3"]


def test_entities_for_policy(store: Store, account: Account) -> None:
    aid = account.account_id
    arn = store.create_policy(aid, "P", "/", "{}").arn
    store.create_user(aid, "zed", path="/x/")
    store.create_user(aid, "amy", permissions_boundary_arn=arn)
    store.create_group(aid, "G")
    store.attach_user_policy(aid, "zed", arn)
    store.attach_group_policy(aid, "G", arn)
    every = store.list_entities_for_policy(aid, arn).items
    assert [(e.entity_type, e.name) for e in every] == [
        ("Group", "G"),
        ("User", "amy"),
        ("User", "zed"),
    ]
    used = store.list_entities_for_policy(aid, arn, usage_filter="PermissionsPolicy").items
    assert [e.name for e in used] == ["G", "zed"]
    bounded = store.list_entities_for_policy(aid, arn, usage_filter="PermissionsBoundary").items
    assert [e.name for e in bounded] == ["amy"]
    users = store.list_entities_for_policy(aid, arn, entity_filter="User", path_prefix="/x/")
    assert users.items == (PolicyEntity("User", "zed", store.get_user(aid, "zed").user_id),)
    first = store.list_entities_for_policy(aid, arn, max_items=2)
    rest = store.list_entities_for_policy(aid, arn, marker=first.marker, max_items=2)
    assert first.items + rest.items == every and not rest.is_truncated


def test_policy_tags(store: Store, account: Account) -> None:
    aid = account.account_id
    arn = store.create_policy(aid, "P", "/", "{}", tags=[("a", "1")]).arn
    store.tag_policy(aid, arn, [("b", "2"), ("A", "3")])
    assert store.get_policy(arn, aid).tags == (("A", "3"), ("b", "2"))
    store.untag_policy(aid, arn, ["B", "missing"])
    assert store.list_policy_tags(aid, arn).items == (("A", "3"),)
    store.tag_policy(aid, arn, [(f"k{i}", "v") for i in range(49)])
    with pytest.raises(LimitExceeded) as exc:
        store.tag_policy(aid, arn, [("one-more", "v")])
    assert exc.value.message == "Cannot exceed quota for TagsPerPolicy: 50"
