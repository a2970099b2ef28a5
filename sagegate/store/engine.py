"""Database engines and migrations.

SQLite (the default, one file in the data folder) runs in WAL mode with `foreign_keys=ON` and a
`busy_timeout`, and the store controls transactions itself: write transactions start with
`BEGIN IMMEDIATE` so two writers queue on the lock instead of failing on a lock upgrade.
PostgreSQL is reached through psycopg 3 (`postgresql+psycopg://`; `postgresql://` and
`postgres://` URLs are rewritten to it).

`migrate` runs the Alembic revisions shipped in `sagegate/store/alembic` to head, inside one
transaction that first takes a lock every starting process waits on (a transaction-scoped
advisory lock on PostgreSQL, the SQLite write lock), so concurrent starts are safe and
running it again is a no-op.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

ALEMBIC_DIR = Path(__file__).parent / "alembic"
BUSY_TIMEOUT_MS = 10_000
# pg_advisory_xact_lock key: "sagegate" as a 63-bit integer.
MIGRATION_LOCK_KEY = int.from_bytes(b"sagegate", "big") & 0x7FFF_FFFF_FFFF_FFFF
BEGIN_OPTION = "sagegate_sqlite_begin"


def normalize_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    sa_url = make_url(normalize_url(url))
    if sa_url.get_backend_name() == "sqlite":
        engine = create_engine(
            sa_url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(sa_url, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Autocommit at the driver level: the "begin" hook below issues BEGIN itself, so DDL
        # and DML share one real transaction (pysqlite would otherwise commit around DDL).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def write_engine(engine: Engine) -> Engine:
    """The same pool, with SQLite write transactions taking the write lock up front."""
    return engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Upgrade the schema to head, holding a cross-process lock; idempotent."""
    with write_engine(engine).connect() as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
