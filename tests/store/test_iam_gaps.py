"""Store side of IAM's smaller gaps (issue 4): policy version ids that are never reused."""

from __future__ import annotations

from sqlalchemy import text

from sagegate.store import Account, Store


def test_version_ids_are_never_reused(store: Store, account: Account) -> None:
    aid = account.account_id
    arn = store.create_policy(aid, "Numbered", "/", '{"v": 1}').arn
    assert store.create_policy_version(aid, arn, '{"v": 2}').version_id == "v2"
    assert store.create_policy_version(aid, arn, '{"v": 3}').version_id == "v3"
    # Delete the highest version, which is not the default: its number stays used.
    store.delete_policy_version(aid, arn, "v3")
    assert store.create_policy_version(aid, arn, '{"v": 4}').version_id == "v4"
    store.delete_policy_version(aid, arn, "v4")
    store.delete_policy_version(aid, arn, "v2")
    assert store.create_policy_version(aid, arn, "{}", set_as_default=True).version_id == "v5"
    store.delete_policy_version(aid, arn, "v1")
    assert [v.version_id for v in store.list_policy_versions(aid, arn).items] == ["v5"]
    assert store.create_policy_version(aid, arn, "{}").version_id == "v6"


def test_a_new_policy_under_an_old_name_starts_at_v1(store: Store, account: Account) -> None:
    aid = account.account_id
    arn = store.create_policy(aid, "Again", "/", "{}").arn
    store.create_policy_version(aid, arn, "{}", set_as_default=True)
    store.delete_policy_version(aid, arn, "v1")
    store.delete_policy(aid, arn)
    with store.engine.connect() as conn:  # the counter went with the policy
        left = conn.execute(text("SELECT key FROM meta WHERE key LIKE 'policy_version/%'")).all()
    assert left == []
    again = store.create_policy(aid, "Again", "/", "{}")
    assert again.arn == arn and again.default_version_id == "v1"
    assert store.create_policy_version(aid, arn, "{}").version_id == "v2"
