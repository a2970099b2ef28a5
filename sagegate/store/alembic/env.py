"""Alembic environment for sagegate.store.

Normally run through `sagegate.store.engine.migrate`, which passes an open connection (already
inside a transaction holding the migration lock) in `config.attributes["connection"]`. For
development, `alembic -c sagegate/store/alembic/alembic.ini` with `sqlalchemy.url` set works too.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from sagegate.store.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    from sagegate.store.engine import make_engine

    engine = make_engine(url) if url else create_engine("sqlite://")
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


run()
