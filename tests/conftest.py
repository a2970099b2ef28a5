"""Shared fixtures.

Database fixtures: `store_url` is parametrised over "sqlite" (a file in the test's tmp_path)
and "postgres" (a fresh database per test on the server named by env
`SAGEGATE_TEST_POSTGRES_URL`, e.g. from `scripts/pg-cluster.sh start`; skipped when unset).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_ENV = "SAGEGATE_TEST_POSTGRES_URL"


def _libpq_url(sa_url: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(sa_url.replace("postgres://", "postgresql://", 1))
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL of an empty database of the parametrised kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sagegate.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set (see scripts/pg-cluster.sh)")
    import psycopg
    from sqlalchemy.engine import make_url

    name = "sagegate_t_" + secrets.token_hex(6)
    with psycopg.connect(_libpq_url(base), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(base.replace("postgres://", "postgresql://", 1))
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq_url(base), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
