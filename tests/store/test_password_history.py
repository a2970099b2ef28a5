"""The password reuse history table (`password_history`, see sagegate/store/password_history.py),
and revision 0004 moving the history out of the password-policy JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select, text

from sagegate.store import Account, Keyring, PasswordPolicyViolation, Store
from sagegate.store.engine import alembic_config, write_engine
from sagegate.store.schema import PasswordHistoryRow, UserRow

H = PasswordHistoryRow.__table__


def history(store: Store, account_id: str, user: str) -> list[tuple[int, str]]:
    """(position, hash) of the user's history rows, oldest first."""
    with store.engine.connect() as conn:
        return [
            (p, h)
            for p, h in conn.execute(
                select(H.c.position, H.c.password_hash)
                .join(UserRow, UserRow.user_id == H.c.user_id)
                .where(UserRow.account_id == account_id, UserRow.name_lower == user.lower())
                .order_by(H.c.position)
            )
        ]


def count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(H)).scalar_one())


def test_history_keeps_the_newest_hashes(
    store: Store, account: Account, password_hasher: PasswordHasher
) -> None:
    a = account.account_id
    store.create_user(a, "hal")
    store.create_login_profile(a, "hal", "before-policy-1")  # no policy yet: not recorded
    assert history(store, a, "hal") == []
    store.update_password_policy(a, PasswordReusePrevention=3)
    passwords = [f"pass-number-{i}" for i in range(5)]
    store.update_login_profile(a, "hal", password=passwords[0])
    for old, new in zip(passwords, passwords[1:], strict=False):
        assert store.change_password(a, "hal", old, new)
    rows = history(store, a, "hal")
    assert [p for p, _ in rows] == [3, 4, 5]  # the three newest of five
    for (_, h), password in zip(rows, passwords[2:], strict=True):
        assert h.startswith("$argon2id$") and password not in h
        assert password_hasher.verify(h, password)
    with pytest.raises(PasswordPolicyViolation):  # one of the last three
        store.change_password(a, "hal", passwords[4], passwords[2])
    assert len(history(store, a, "hal")) == 3  # a refused password is not recorded
    assert store.change_password(a, "hal", passwords[4], passwords[1])  # four back: allowed
    assert [p for p, _ in history(store, a, "hal")] == [4, 5, 6]


def test_policy_changes_trim_the_account_histories(
    store: Store, account: Account, other_account: Account
) -> None:
    a, b = account.account_id, other_account.account_id
    for acct in (a, b):
        store.update_password_policy(acct, PasswordReusePrevention=24)
        for user in ("ivy", "jon"):
            store.create_user(acct, user)
            store.create_login_profile(acct, user, f"{user}-first-1")
            for i in range(3):
                store.update_login_profile(acct, user, password=f"{user}-next-{i}")
    assert len(history(store, a, "ivy")) == 4
    store.update_password_policy(a, PasswordReusePrevention=2)
    assert [p for p, _ in history(store, a, "ivy")] == [3, 4]
    assert [p for p, _ in history(store, a, "jon")] == [3, 4]
    assert len(history(store, b, "ivy")) == 4  # another account's: untouched
    store.update_login_profile(a, "ivy", password="ivy-first-1")  # trimmed away: reusable
    store.update_password_policy(a, MinimumPasswordLength=8)  # no reuse prevention any more
    assert history(store, a, "ivy") == [] and history(store, a, "jon") == []
    store.delete_password_policy(b)
    assert count(store) == 0


def test_history_goes_with_the_login_profile_and_the_user(
    store: Store, account: Account, password_hasher: PasswordHasher
) -> None:
    a = account.account_id
    store.update_password_policy(a, PasswordReusePrevention=5)
    store.create_user(a, "kim")
    store.create_login_profile(a, "kim", "kim-password-1")
    store.update_login_profile(a, "kim", password="kim-password-2")
    assert len(history(store, a, "kim")) == 2
    store.delete_login_profile(a, "kim")
    assert history(store, a, "kim") == []
    store.create_login_profile(a, "kim", "kim-password-1")  # a new profile, a new history
    assert len(history(store, a, "kim")) == 1
    store.delete_login_profile(a, "kim")
    store.delete_user(a, "kim")
    assert count(store) == 0

    # Rows left without a login profile (restored data, say) do not block DeleteUser.
    lee = store.create_user(a, "lee")
    with store.engine.begin() as conn:
        conn.execute(
            H.insert().values(
                user_id=lee.user_id,
                position=1,
                password_hash=password_hasher.hash("x"),
                created_at=datetime.now(UTC),
            )
        )
    store.delete_user(a, "lee")
    assert count(store) == 0


# -- revision 0004's data migration ------------------------------------------------------------


def _alembic(engine: Engine, action: str, revision: str) -> None:
    with write_engine(engine).connect() as conn, conn.begin():
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


def _settings(engine: Engine, account_id: str) -> dict[str, object]:
    with engine.connect() as conn:
        raw = conn.execute(
            text("SELECT settings FROM account_password_policies WHERE account_id = :a"),
            {"a": account_id},
        ).scalar_one()
    return dict(json.loads(raw))


def _report_marks(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT key, value FROM meta WHERE key LIKE 'credential_report/%'")
        )
        return {k: int(v) for k, v in rows}


def test_revision_0004_moves_the_history_out_of_the_policy(
    store_url: str, tmp_path: Path, keyring: Keyring, password_hasher: PasswordHasher
) -> None:
    store = Store.open(store_url, tmp_path, keyring, password_hasher=password_hasher)
    try:
        engine = store.engine
        _alembic(engine, "upgrade", "0003")
        a = store.create_account("root@example.com", "root-password").account_id
        with_profile = store.create_user(a, "mia")
        without_profile = store.create_user(a, "ned")
        store.create_login_profile(a, "mia", "Mia-Passw0rd-3")
        hashes = [password_hasher.hash(f"Mia-Passw0rd-{i}") for i in range(4)]
        settings = {
            "MinimumPasswordLength": 6,
            "PasswordReusePrevention": 3,
            "_history": {
                with_profile.user_id: hashes,  # one more than the policy keeps
                without_profile.user_id: [password_hasher.hash("gone")],
                "AIDADELETEDUSER0000000": [password_hasher.hash("gone")],
            },
        }
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO account_password_policies VALUES (:a, :s)"),
                {"a": a, "s": json.dumps(settings)},
            )
            conn.execute(
                text("INSERT INTO meta (key, value) VALUES (:k, 1764322215)"),
                {"k": f"credential_report/{a}"},
            )

        store.migrate()  # 0003 -> 0004 (head)
        assert _settings(engine, a) == {"MinimumPasswordLength": 6, "PasswordReusePrevention": 3}
        assert [h for _, h in history(store, a, "mia")] == hashes[-3:]
        assert [p for p, _ in history(store, a, "mia")] == [1, 2, 3]
        assert count(store) == 3  # ned's (no login profile) and the deleted user's are dropped
        assert _report_marks(engine) == {}  # a time without a report: no report
        with pytest.raises(PasswordPolicyViolation):  # the moved hashes still count
            store.change_password(a, "mia", "Mia-Passw0rd-3", "Mia-Passw0rd-1")
        assert store.change_password(a, "mia", "Mia-Passw0rd-3", "Mia-Passw0rd-0")

        when = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
        assert store.generate_credential_report(a, when)
        _alembic(engine, "downgrade", "0003")
        moved_back = _settings(engine, a)["_history"]
        assert isinstance(moved_back, dict) and list(moved_back) == [with_profile.user_id]
        assert moved_back[with_profile.user_id][:2] == hashes[-2:]
        assert _report_marks(engine) == {f"credential_report/{a}": int(when.timestamp())}
    finally:
        store.close()
