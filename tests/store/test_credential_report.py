"""Credential reports are stored snapshots, good for four hours (IAM User Guide, *Getting
credential reports for your AWS account*: "If the most recent report for the account is older
than four hours, or if there are no previous reports for the account, IAM generates ... a new
report")."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta

import pytest

from sagegate.store import Account, NotFound, Store
from sagegate.store.credential_report import REPORT_COLUMNS, REPORT_LIFETIME, is_current

T0 = datetime(2026, 11, 28, 9, 30, 15, 250_000, tzinfo=UTC)


def rows(store: Store, account_id: str) -> dict[str, dict[str, str]]:
    text = store.get_credential_report(account_id).content
    assert text.split("\n", 1)[0] == ",".join(REPORT_COLUMNS)
    return {r["user"]: r for r in csv.DictReader(io.StringIO(text))}


def test_no_report_until_generated(store: Store, account: Account) -> None:
    with pytest.raises(NotFound) as e:
        store.get_credential_report(account.account_id)
    assert e.value.entity == "credential_report"
    with pytest.raises(NotFound):
        store.generate_credential_report("999999999999", T0)


def test_report_is_a_snapshot_kept_for_four_hours(store: Store, account: Account) -> None:
    a = account.account_id
    store.create_user(a, "early")
    key, _ = store.create_access_key(a, "early")
    store.create_login_profile(a, "early", "Early-Passw0rd")
    store.update_password_policy(a, MaxPasswordAge=30)

    assert store.generate_credential_report(a, T0) is True
    report = store.get_credential_report(a)
    assert report.generated_at == T0.replace(microsecond=0)  # whole seconds, as AWS's
    first = rows(store, a)
    assert list(first) == ["<root_account>", "early"]
    assert first["<root_account>"]["arn"] == f"arn:aws:iam::{a}:root"
    assert first["<root_account>"]["password_enabled"] == "not_supported"
    early = first["early"]
    assert early["password_enabled"] == "true" and early["password_last_used"] == "no_information"
    changed = datetime.fromisoformat(early["password_last_changed"])
    assert datetime.fromisoformat(early["password_next_rotation"]) == changed + timedelta(days=30)
    assert early["access_key_1_active"] == "true" and early["access_key_2_active"] == "false"

    # Changes after the generation are not in the stored report...
    store.create_user(a, "late")
    store.update_access_key(a, "early", key.access_key_id, "Inactive")
    # ...and generating again within four hours keeps it (AWS: COMPLETE).
    for later in (T0 + timedelta(minutes=1), T0 + REPORT_LIFETIME - timedelta(seconds=1)):
        assert store.generate_credential_report(a, later) is False
    assert store.get_credential_report(a) == report
    assert "late" not in rows(store, a)

    # Four hours on, the next generation takes a new snapshot.
    t1 = T0.replace(microsecond=0) + REPORT_LIFETIME
    assert not is_current(report.generated_at, t1)
    assert store.generate_credential_report(a, t1) is True
    second = rows(store, a)
    assert list(second) == ["<root_account>", "early", "late"]
    assert second["early"]["access_key_1_active"] == "false"
    assert second["late"]["password_enabled"] == "false"
    assert store.get_credential_report(a).generated_at == t1


def test_reports_are_per_account(store: Store, account: Account, other_account: Account) -> None:
    store.create_user(account.account_id, "mine")
    store.create_user(other_account.account_id, "theirs")
    assert store.generate_credential_report(account.account_id, T0)
    with pytest.raises(NotFound):
        store.get_credential_report(other_account.account_id)
    assert store.generate_credential_report(other_account.account_id, T0)
    assert "mine" in rows(store, account.account_id)
    assert "mine" not in rows(store, other_account.account_id)
    assert "theirs" in rows(store, other_account.account_id)


def test_concurrent_generations_start_one_report(store: Store, account: Account) -> None:
    results: list[bool] = []
    errors: list[BaseException] = []

    def generate() -> None:
        try:
            results.append(store.generate_credential_report(account.account_id, T0))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=generate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == [False, False, False, True]
