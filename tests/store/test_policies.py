from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from sagegate.store import (
    Account,
    AlreadyExists,
    InvalidMarker,
    LimitExceeded,
    NotFound,
    Store,
)

DOC = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
)
T1 = datetime(2015, 2, 6, 18, 39, 46, tzinfo=UTC)
T2 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


# -- inline ---------------------------------------------------------------------------------------


def test_put_get_list_delete_user_policy(store: Store, account: Account) -> None:
    aid = account.account_id
    store.create_user(aid, "u")
    store.put_user_policy(aid, "u", "ReadOnly", '{"a": 1}')
    assert store.get_user_policy(aid, "U", "readonly") == '{"a": 1}'
    store.put_user_policy(aid, "u", "READONLY", '{"a": 2}')  # upsert, same policy
    assert store.get_user_policy(aid, "u", "ReadOnly") == '{"a": 2}'
    assert store.list_user_policies(aid, "u").items == ("ReadOnly",)
    store.put_user_policy(aid, "u", "Another", "{}")
    assert store.user_inline_policies(aid, "u") == [("Another", "{}"), ("ReadOnly", '{"a": 2}')]
    store.delete_user_policy(aid, "u", "readONLY")
    assert store.list_user_policies(aid, "u").items == ("Another",)
    with pytest.raises(NotFound) as exc:
        store.get_user_policy(aid, "u", "ReadOnly")
    assert exc.value.entity == "user_policy"
    assert exc.value.message == "The user policy with name ReadOnly cannot be found."
    with pytest.raises(NotFound):
        store.delete_user_policy(aid, "u", "ReadOnly")


def test_inline_policy_errors_for_missing_user(store: Store, account: Account) -> None:
    aid = account.account_id
    for call in (
        lambda: store.put_user_policy(aid, "ghost", "p", "{}"),
        lambda: store.get_user_policy(aid, "ghost", "p"),
        lambda: store.list_user_policies(aid, "ghost"),
        lambda: store.delete_user_policy(aid, "ghost", "p"),
        lambda: store.user_inline_policies(aid, "ghost"),
    ):
        with pytest.raises(NotFound) as exc:
            call()
        assert exc.value.entity == "user"


def test_list_user_policies_pages(store: Store, account: Account) -> None:
    aid = account.account_id
    store.create_user(aid, "u")
    names = ["p3", "P1", "p2", "p5", "P4"]
    for n in names:
        store.put_user_policy(aid, "u", n, "{}")
    page1 = store.list_user_policies(aid, "u", max_items=3)
    assert page1.items == ("P1", "p2", "p3") and page1.is_truncated
    page2 = store.list_user_policies(aid, "u", marker=page1.marker, max_items=3)
    assert page2.items == ("P4", "p5") and page2.marker is None
    with pytest.raises(InvalidMarker):
        store.list_user_policies(aid, "u", marker="garbage")


# -- managed --------------------------------------------------------------------------------------


def test_create_and_get_policy(store: Store, account: Account) -> None:
    pol = store.create_policy(account.account_id, "MyPolicy", "/team/", DOC, "my description")
    assert pol.arn == f"arn:aws:iam::{account.account_id}:policy/team/MyPolicy"
    assert re.fullmatch(r"ANPA[A-Z2-7]{17}", pol.policy_id)
    assert (pol.name, pol.path, pol.description) == ("MyPolicy", "/team/", "my description")
    assert (pol.default_version_id, pol.attachment_count, pol.is_attachable) == ("v1", 0, True)
    assert pol.account_id == account.account_id
    assert pol.created_at.tzinfo == UTC and pol.created_at == pol.updated_at
    assert store.get_policy(pol.arn) == pol
    assert store.get_default_policy_document(pol.arn) == ("v1", DOC)
    version = store.get_policy_version(pol.arn, "v1")
    assert (version.document, version.is_default, version.version_id) == (DOC, True, "v1")


def test_policy_names_unique_case_insensitively(
    store: Store, account: Account, other_account: Account
) -> None:
    store.create_policy(account.account_id, "Dup", "/", DOC)
    with pytest.raises(AlreadyExists) as exc:
        store.create_policy(account.account_id, "DUP", "/other/", DOC)  # any path
    assert exc.value.entity == "policy"
    assert "already exists" in exc.value.message
    store.create_policy(other_account.account_id, "dup", "/", DOC)


def test_policy_not_found(store: Store, account: Account) -> None:
    arn = f"arn:aws:iam::{account.account_id}:policy/Nope"
    with pytest.raises(NotFound) as exc:
        store.get_policy(arn)
    assert exc.value.entity == "policy" and exc.value.name == arn
    with pytest.raises(NotFound):
        store.get_default_policy_document(arn)
    pol = store.create_policy(account.account_id, "P", "/", DOC)
    with pytest.raises(NotFound) as exc:
        store.get_policy_version(pol.arn, "v2")
    assert exc.value.entity == "policy_version"
    with pytest.raises(NotFound):
        store.create_policy("999999999999", "P", "/", DOC)


def test_ensure_aws_managed_policy_is_idempotent(store: Store) -> None:
    args = dict(
        name="ReadOnlyAccess",
        path="/",
        document=DOC,
        version_id="v1",
        description="Read only",
        created_at=T1,
        updated_at=T1,
    )
    pol = store.ensure_aws_managed_policy(**args)  # type: ignore[arg-type]
    assert pol.arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert pol.account_id == "aws" and pol.created_at == T1
    epoch = store.epoch()
    again = store.ensure_aws_managed_policy(**args)  # type: ignore[arg-type]
    assert again == pol
    assert store.epoch() == epoch  # a no-op seed writes nothing

    # A new version becomes the default; the old one is kept.
    newer = store.ensure_aws_managed_policy(  # type: ignore[arg-type]
        **{**args, "document": "{}", "version_id": "v2", "updated_at": T2}
    )
    assert newer.policy_id == pol.policy_id
    assert (newer.default_version_id, newer.updated_at, newer.created_at) == ("v2", T2, T1)
    assert store.get_default_policy_document(pol.arn) == ("v2", "{}")
    assert store.get_policy_version(pol.arn, "v1").is_default is False
    assert store.epoch() > epoch


def test_ensure_aws_managed_policy_with_path(store: Store) -> None:
    pol = store.ensure_aws_managed_policy(
        "AmazonSageMakerFullAccess", "/service-role/", DOC, "v3", None, T1, T2
    )
    assert pol.arn == "arn:aws:iam::aws:policy/service-role/AmazonSageMakerFullAccess"
    assert store.get_policy_version(pol.arn, "v3").created_at == T2


# -- attachments ----------------------------------------------------------------------------------


def test_attach_detach_list(store: Store, account: Account) -> None:
    aid = account.account_id
    store.create_user(aid, "u")
    aws = store.ensure_aws_managed_policy("AdministratorAccess", "/", DOC, "v1", None, T1, T1)
    mine = store.create_policy(aid, "Mine", "/team/", "{}")
    store.attach_user_policy(aid, "u", aws.arn)
    store.attach_user_policy(aid, "U", mine.arn)
    store.attach_user_policy(aid, "u", mine.arn)  # twice: no-op
    assert store.get_policy(mine.arn).attachment_count == 1
    assert store.get_policy(aws.arn).attachment_count == 1
    page = store.list_attached_user_policies(aid, "u")
    assert page.items == (("AdministratorAccess", aws.arn), ("Mine", mine.arn))
    assert store.list_attached_user_policies(aid, "u", path_prefix="/team/").items == (
        ("Mine", mine.arn),
    )
    p1 = store.list_attached_user_policies(aid, "u", max_items=1)
    assert p1.items == (("AdministratorAccess", aws.arn),) and p1.is_truncated
    p2 = store.list_attached_user_policies(aid, "u", marker=p1.marker, max_items=1)
    assert p2.items == (("Mine", mine.arn),) and not p2.is_truncated

    store.detach_user_policy(aid, "u", mine.arn)
    assert store.get_policy(mine.arn).attachment_count == 0
    with pytest.raises(NotFound) as exc:
        store.detach_user_policy(aid, "u", mine.arn)
    assert exc.value.entity == "attachment" and exc.value.name == mine.arn
    assert exc.value.message == f"Policy {mine.arn} was not found."
    assert store.list_attached_user_policies(aid, "u").items == (("AdministratorAccess", aws.arn),)


def test_attachment_count_across_users(store: Store, account: Account) -> None:
    aid = account.account_id
    pol = store.create_policy(aid, "Shared", "/", "{}")
    for n in ("a", "b", "c"):
        store.create_user(aid, n)
        store.attach_user_policy(aid, n, pol.arn)
    assert store.get_policy(pol.arn).attachment_count == 3
    store.detach_user_policy(aid, "b", pol.arn)
    assert store.get_policy(pol.arn).attachment_count == 2


def test_attach_errors(store: Store, account: Account, other_account: Account) -> None:
    aid = account.account_id
    store.create_user(aid, "u")
    with pytest.raises(NotFound) as exc:
        store.attach_user_policy(aid, "u", f"arn:aws:iam::{aid}:policy/Missing")
    assert exc.value.entity == "policy"
    with pytest.raises(NotFound) as exc:
        store.attach_user_policy(aid, "ghost", "arn:aws:iam::aws:policy/X")
    assert exc.value.entity == "user"
    theirs = store.create_policy(other_account.account_id, "Theirs", "/", "{}")
    with pytest.raises(NotFound):  # another account's policy is invisible
        store.attach_user_policy(aid, "u", theirs.arn)
    with pytest.raises(NotFound):
        store.detach_user_policy(aid, "ghost", theirs.arn)
    assert store.list_attached_user_policies(aid, "u").items == ()


def test_managed_policies_per_user_quota(store: Store, account: Account) -> None:
    aid = account.account_id
    store.create_user(aid, "u")
    for i in range(store.managed_policies_per_user):
        store.attach_user_policy(aid, "u", store.create_policy(aid, f"P{i}", "/", "{}").arn)
    extra = store.create_policy(aid, "Extra", "/", "{}")
    with pytest.raises(LimitExceeded) as exc:
        store.attach_user_policy(aid, "u", extra.arn)
    assert exc.value.message == "Cannot exceed quota for PoliciesPerUser: 10"
    assert store.get_policy(extra.arn).attachment_count == 0


# -- for authorization ----------------------------------------------------------------------------


def test_principal_policies_for_user(store: Store, account: Account) -> None:
    aid = account.account_id
    boundary = store.create_policy(aid, "Boundary", "/", '{"b": 1}')
    admin = store.ensure_aws_managed_policy("AdministratorAccess", "/", DOC, "v4", None, T1, T1)
    mine = store.create_policy(aid, "Mine", "/", '{"m": 1}')
    user = store.create_user(aid, "u", permissions_boundary_arn=boundary.arn)
    empty = store.create_user(aid, "empty")

    pp = store.principal_policies_for_user(empty.user_id)
    assert (pp.inline, pp.managed, pp.boundary, pp.boundary_arn) == ((), (), None, None)

    pp = store.principal_policies_for_user(user.user_id)
    assert pp.inline == () and pp.managed == ()
    assert pp.boundary == (boundary.arn, "v1", '{"b": 1}') and pp.boundary_arn == boundary.arn

    store.put_user_policy(aid, "u", "two", '{"i": 2}')
    store.put_user_policy(aid, "u", "One", '{"i": 1}')
    store.attach_user_policy(aid, "u", admin.arn)
    store.attach_user_policy(aid, "u", mine.arn)
    store.attach_user_policy(aid, "u", boundary.arn)  # also attached: in both lists
    pp = store.principal_policies_for_user(user.user_id)
    assert pp.inline == (("One", '{"i": 1}'), ("two", '{"i": 2}'))
    assert sorted(pp.managed) == sorted(
        [
            (admin.arn, "v4", DOC),
            (mine.arn, "v1", '{"m": 1}'),
            (boundary.arn, "v1", '{"b": 1}'),
        ]
    )
    assert pp.boundary == (boundary.arn, "v1", '{"b": 1}')

    with pytest.raises(NotFound):
        store.principal_policies_for_user("AIDAAAAAAAAAAAAAAAAAA")


def test_principal_policies_follow_default_version(store: Store, account: Account) -> None:
    aid = account.account_id
    user = store.create_user(aid, "u")
    store.ensure_aws_managed_policy("ReadOnlyAccess", "/", "{}", "v1", None, T1, T1)
    store.attach_user_policy(aid, "u", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    store.ensure_aws_managed_policy("ReadOnlyAccess", "/", '{"v": 2}', "v2", None, T1, T2)
    pp = store.principal_policies_for_user(user.user_id)
    assert pp.managed == (("arn:aws:iam::aws:policy/ReadOnlyAccess", "v2", '{"v": 2}'),)
