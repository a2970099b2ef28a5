"""Fixtures: one live server per database backend per test module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Deployment, fresh_postgres_database

BACKENDS = ["sqlite", "postgres"]


def make_deployment(backend: str, tmp: Path) -> Deployment:
    url = None
    if backend == "postgres":
        base = os.environ.get("SAGEGATE_TEST_POSTGRES_URL")
        if not base:
            pytest.skip("SAGEGATE_TEST_POSTGRES_URL is not set")
        url = fresh_postgres_database(base)
    return Deployment(data_dir=tmp, database_url=url)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def deployment(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """A bootstrapped account and a running server, shared by the tests of one module."""
    d = make_deployment(backend, tmp_path_factory.mktemp(f"sg-{backend}"))
    d.init()
    d.start()
    yield d
    if d.proc is not None:
        d.stop()


@pytest.fixture
def fresh(backend: str, tmp_path: Path) -> Iterator[Deployment]:
    """A deployment of the test's own (not started), for bootstrap and restart tests."""
    d = make_deployment(backend, tmp_path)
    yield d
    if d.proc is not None:
        d.stop()
