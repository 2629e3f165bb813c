"""Fixtures for the store tests: a real SQLite file and a real PostgreSQL server.

The PostgreSQL server comes from ``KUBESMITH_TEST_PG_URL`` when set; otherwise this session
starts one with ``scripts/postgres.sh`` (which installs Debian's package when missing) and stops
it at the end. Tests are skipped only when PostgreSQL is absent and apt-get cannot install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kubesmith.store import Store

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "postgres.sh"


def _pg_available() -> bool:
    have_server = any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or bool(
        shutil.which("initdb")
    )
    return have_server or shutil.which("apt-get") is not None


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """The URL of a PostgreSQL server for this test session (admin database ``kubesmith``)."""
    pytest.importorskip(
        "psycopg", reason="psycopg is in the store extra: pip install -e '.[store]'"
    )
    given = os.environ.get("KUBESMITH_TEST_PG_URL")
    if given:
        yield given
        return
    if not _pg_available():
        pytest.skip("PostgreSQL is not installed and apt-get is not available to install it")
    workdir = tempfile.mkdtemp(prefix="kubesmith-pg-")
    try:
        result = subprocess.run(
            ["bash", str(SCRIPT), "start", workdir],
            check=False,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            pytest.fail(f"scripts/postgres.sh could not start PostgreSQL:\n{result.stderr}")
        yield result.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(
            ["bash", str(SCRIPT), "stop", workdir], check=False, capture_output=True, timeout=120
        )
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty database on the session's server; dropped after the test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = pg_server_url.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)],
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store on each backend the store supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def open_store(store_url: str) -> Iterator[Callable[[], Store]]:
    """Factory opening the test's store (several times if a test wants), closing them all."""
    opened: list[Store] = []

    def factory() -> Store:
        s = Store.open(store_url)
        opened.append(s)
        return s

    yield factory
    for s in opened:
        s.close()
