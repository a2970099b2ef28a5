from __future__ import annotations

import stat
import subprocess
import sys
import textwrap
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from sagegate.store import Keyring, Store
from sagegate.store.engine import head_revision, make_engine, migrate
from sagegate.store.schema import Base

EXPECTED_TABLES = {
    "accounts",
    "root_users",
    "users",
    "roles",
    "access_keys",
    "user_inline_policies",
    "managed_policies",
    "policy_versions",
    "user_policy_attachments",
    "tags",
    "meta",
    "alembic_version",
    # revision 0002
    "groups",
    "group_memberships",
    "group_inline_policies",
    "group_policy_attachments",
    "role_inline_policies",
    "role_policy_attachments",
    "role_usage",
    "instance_profiles",
    "instance_profile_roles",
    "login_profiles",
    "account_password_policies",
    "mfa_devices",
    "oidc_providers",
    "saml_providers",
    "account_aliases",
    "sagemaker_resources",
    # revision 0004
    "credential_reports",
    "password_history",
}


def test_migrate_creates_schema_and_is_idempotent(store_url: str, tmp_path: Path) -> None:
    store = Store.open(store_url, tmp_path, Keyring.generate())
    try:
        assert store.schema_revision() is None
        store.migrate()
        assert store.schema_revision() == head_revision()
        assert set(inspect(store.engine).get_table_names()) == EXPECTED_TABLES
        acct = store.create_account("a@example.com", "pw")
        epoch = store.epoch()
        store.migrate()
        store.migrate()
        assert store.schema_revision() == head_revision()
        assert store.get_account(acct.account_id) == acct  # data survives
        assert store.epoch() == epoch  # not re-seeded
    finally:
        store.close()


def test_migrations_match_the_models(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sagegate.store import Keyring, Store
    store = Store.open(sys.argv[1], Path(sys.argv[2]), Keyring.generate())
    store.migrate()
    print(store.schema_revision(), store.epoch())
    store.close()
    """
)


def test_concurrent_migrations_from_several_processes(store_url: str, tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, store_url, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
        assert out.split() == [head_revision(), "0"]
    engine = make_engine(store_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM meta")).scalar() == 2  # the two epochs
    finally:
        engine.dispose()


def test_default_is_sqlite_file_in_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store.open(None, data, Keyring.generate())
    try:
        store.migrate()
        store.create_account("a@example.com", "pw")
        db = data / "sagegate.db"
        assert db.is_file()
        assert stat.S_IMODE(db.stat().st_mode) & 0o077 == 0
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        store.close()


def test_postgres_url_forms_are_normalised() -> None:
    from sagegate.store.engine import normalize_url

    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"
