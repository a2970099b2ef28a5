"""Identity providers, account aliases and the account-level reads in the store."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from sagegate.store import Account, AlreadyExists, LimitExceeded, NotFound, Store

T1 = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


def test_oidc_provider_lifecycle(store: Store, account: Account, other_account: Account) -> None:
    a = account.account_id
    p = store.create_oidc_provider(
        a, "id.example.com/x", ["c1", "c1", "c2"], [T1], tags=[("k", "v")]
    )
    assert p.arn == f"arn:aws:iam::{a}:oidc-provider/id.example.com/x"
    assert p.client_ids == ("c1", "c2") and p.thumbprints == (T1,) and p.tags == (("k", "v"),)
    assert store.get_oidc_provider(a, p.arn) == p
    with pytest.raises(NotFound):  # another account's ARN space
        store.get_oidc_provider(other_account.account_id, p.arn)
    with pytest.raises(AlreadyExists) as e:
        store.create_oidc_provider(a, "id.example.com/x")
    assert e.value.name == "https://id.example.com/x"
    with pytest.raises(LimitExceeded):
        store.create_oidc_provider(
            a, "many.example.com", thumbprints=[f"{i:040x}" for i in range(6)]
        )
    store.add_oidc_client_id(a, p.arn, "c3")
    store.add_oidc_client_id(a, p.arn, "c3")
    store.remove_oidc_client_id(a, p.arn, "c1")
    store.remove_oidc_client_id(a, p.arn, "absent")
    store.update_oidc_thumbprints(a, p.arn, ["b" * 40])
    got = store.get_oidc_provider(a, p.arn)
    assert got.client_ids == ("c2", "c3") and got.thumbprints == ("b" * 40,)
    store.tag_oidc_provider(a, p.arn, [("K", "w"), ("z", "1")])
    store.untag_oidc_provider(a, p.arn, ["Z"])
    assert store.provider_tags(a, p.arn) == (("k", "w"),)
    assert [x.arn for x in store.list_oidc_providers(a)] == [p.arn]
    assert store.list_oidc_providers(other_account.account_id) == []
    store.delete_oidc_provider(a, p.arn)
    with pytest.raises(NotFound):
        store.delete_oidc_provider(a, p.arn)


def test_saml_provider_lifecycle(store: Store, account: Account) -> None:
    a = account.account_id
    until = datetime(2030, 1, 1, tzinfo=UTC)
    p = store.create_saml_provider(a, "Corp", "<md/>", until, tags=[("a", "b")])
    assert p.arn == f"arn:aws:iam::{a}:saml-provider/Corp" and p.valid_until == until
    with pytest.raises(AlreadyExists):
        store.create_saml_provider(a, "Corp", "<md/>", None)
    store.update_saml_provider(a, p.arn, "<md2/>", None)
    got = store.get_saml_provider(a, p.arn)
    assert got.metadata_document == "<md2/>" and got.valid_until is None
    store.tag_saml_provider(a, p.arn, [("c", "d")])
    store.untag_saml_provider(a, p.arn, ["a"])
    assert store.provider_tags(a, p.arn) == (("c", "d"),)
    assert [x.name for x in store.list_saml_providers(a)] == ["Corp"]
    store.delete_saml_provider(a, p.arn)
    with pytest.raises(NotFound) as e:
        store.get_saml_provider(a, p.arn)
    assert e.value.entity == "saml_provider"


def test_account_alias_unique_across_accounts(
    store: Store, account: Account, other_account: Account
) -> None:
    a, b = account.account_id, other_account.account_id
    store.create_account_alias(a, "first")
    store.create_account_alias(a, "first")  # idempotent
    store.create_account_alias(a, "second")  # replaces
    assert store.list_account_aliases(a) == ["second"]
    with pytest.raises(AlreadyExists):
        store.create_account_alias(b, "second")
    store.create_account_alias(b, "first")  # released by the replacement
    with pytest.raises(NotFound):
        store.delete_account_alias(a, "first")
    store.delete_account_alias(a, "second")
    assert store.list_account_aliases(a) == []


def test_concurrent_alias_claims_one_wins(
    store: Store, account: Account, other_account: Account
) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def claim(account_id: str) -> None:
        barrier.wait()
        try:
            store.create_account_alias(account_id, "contested")
            outcomes.append("ok")
        except AlreadyExists:
            outcomes.append("exists")

    threads = [
        threading.Thread(target=claim, args=(x,))
        for x in (account.account_id, other_account.account_id)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["exists", "ok"]


def test_summary_counts_and_credential_facts(store: Store, account: Account) -> None:
    a = account.account_id
    before = store.account_summary_counts(a)
    store.create_user(a, "u1")
    store.create_login_profile(a, "u1", "Passw0rd-one")
    store.create_access_key(a, "u1")
    store.create_virtual_mfa_device(a, "d1")
    store.create_saml_provider(a, "s", "<md/>", None)
    after = store.account_summary_counts(a)
    assert after["Users"] == before["Users"] + 1
    assert after["MFADevices"] == before["MFADevices"] + 1
    assert after["MFADevicesInUse"] == before["MFADevicesInUse"]
    assert after["Providers"] == before["Providers"] + 1
    assert after["AccountPasswordPresent"] == 1 and after["AccountMFAEnabled"] == 0

    facts = store.credential_report_facts(a)
    assert facts[0].is_root and facts[0].user == "<root_account>"
    [u1] = [f for f in facts if f.user == "u1"]
    assert u1.password_enabled and not u1.mfa_active and len(u1.keys) == 1
    assert u1.keys[0].active and u1.keys[0].last_used_at is None


def test_authorization_details_kinds(store: Store, account: Account) -> None:
    a = account.account_id
    store.create_user(a, "zed", "/p/")
    store.create_user(a, "amy")
    entries = store.authorization_details(a, ["User"])
    names = [e["UserName"] for e in entries]
    assert names == sorted(names, key=str.lower) and {"amy", "zed"} <= set(names)
    assert all(e["_kind"] == "User" for e in entries)
    assert store.authorization_details(a, ["Group"]) == []
