"""Where the store lives and how it is opened: URL resolution, SQLite tuning, migrations.

Public because the store's database is shared: the bot's job queue
(:mod:`kubesmith.bot.queue`) keeps its table in it and opens it with :func:`open_engine`, writing
through transactions flagged with :data:`WRITE_FLAG`.

The default store is a SQLite file under the repository's *common* git directory
(``.git/kubesmith/store.db``): never committed, shared by every worktree of the repository, so a
proposal made in a kubesmith worktree is visible from the main checkout. A team or a bot with
several replicas points ``store_url`` (or ``KUBESMITH_STORE_URL``) at PostgreSQL instead.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import StaticPool

from kubesmith.errors import ConfigError, RunError, UsageError

SQLITE_BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another process's write lock before giving up."""

VERSION_TABLE = "kubesmith_alembic_version"
"""Alembic's version table (named so it cannot clash with an application's own)."""

WRITE_FLAG = "kubesmith_write"
"""Connection-info key: the next transaction on this connection writes (``BEGIN IMMEDIATE``)."""


def default_sqlite_path(repo: Path) -> Path:
    """``<common git dir>/kubesmith/store.db`` for the repository (or worktree) at ``repo``.

    Raises:
        UsageError: when ``repo`` is not inside a git repository.
    """
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=repo,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        raise UsageError(
            f"{repo} is not a git repository; kubesmith keeps its store under .git "
            "(or set KUBESMITH_STORE_URL)"
        ) from e
    return Path(out) / "kubesmith" / "store.db"


def resolve_url(url: str | None, repo: Path | None) -> str:
    """The SQLAlchemy URL to open: the argument, then settings/environment, then the default.

    ``postgresql://`` and ``postgres://`` URLs are pointed at the psycopg (3) driver, the one the
    ``store`` extra installs.
    """
    if url is None:
        if repo is not None:
            from kubesmith.config import load_settings

            url = load_settings(repo).store_url
        else:
            url = os.environ.get("KUBESMITH_STORE_URL") or None
    if url is None:
        path = default_sqlite_path(repo if repo is not None else Path.cwd())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(_not_writable(path.parent)) from e
        return f"sqlite:///{path}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def open_engine(url: str | None = None, repo: Path | None = None) -> Engine:
    """An engine on the store's database, migrated to the newest revision.

    Args:
        url: as for :func:`resolve_url` (None: settings, environment, then the default).
        repo: the repository whose default store is meant.

    Raises:
        UsageError: when no URL is given and ``repo`` is not a git repository.
        ConfigError: when the URL names an unknown database or driver.
        RunError: when the database cannot be reached or migrated.
    """
    engine = make_engine(resolve_url(url, repo))
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def make_engine(url: str) -> Engine:
    """Create the engine; for SQLite, WAL mode, a busy timeout and explicit transactions.

    pysqlite's own transaction handling begins transactions late and never for DDL; it is switched
    off and SQLAlchemy emits ``BEGIN`` itself, ``BEGIN IMMEDIATE`` for writers so that two
    processes updating the store queue on the busy timeout instead of failing on a lock upgrade.
    """
    try:
        if url.startswith("sqlite") and _in_memory(url):
            # One shared connection, or every pooled connection would see its own empty database;
            # so an in-memory store (for tests) serves one thread at a time.
            engine = create_engine(
                url, connect_args={"check_same_thread": False}, poolclass=StaticPool
            )
            _tune_sqlite(engine)
        elif url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
            _tune_sqlite(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except Exception as e:  # any driver/URL problem is a configuration problem
        raise ConfigError(f"cannot use store URL {_safe(url)}: {e}") from e
    return engine


def _in_memory(url: str) -> bool:
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    return not database or database == ":memory:"


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get(WRITE_FLAG) else "BEGIN")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is current).

    Runs in one write transaction, so two processes opening a new store at once do not both
    create the tables: the second waits, then finds the schema current.

    Raises:
        RunError: when a migration fails (the transaction is rolled back).
    """
    if _current_revision(engine) == head_revision():
        return  # the common case: nothing to do, and alembic need not even be imported
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    try:
        with engine.connect() as conn:
            conn.info[WRITE_FLAG] = True
            if engine.dialect.name == "postgresql":
                with conn.begin():
                    # One migrator at a time across every replica sharing the database.
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(72657130)")
                    config.attributes["connection"] = conn
                    command.upgrade(config, "head")
            else:
                with conn.begin():
                    config.attributes["connection"] = conn
                    command.upgrade(config, "head")
            conn.info[WRITE_FLAG] = False
    except Exception as e:
        unwritable = _unwritable_sqlite(engine)
        if unwritable is not None:
            raise UsageError(_not_writable(unwritable)) from e
        cause = getattr(e, "orig", None) or e  # the driver's words, without SQLAlchemy's links
        hint = (
            "; if the file is damaged, move it aside and kubesmith starts an empty store"
            if engine.dialect.name == "sqlite"
            else ""
        )
        raise RunError(
            f"cannot migrate the kubesmith store at {_safe(str(engine.url))}: {cause}{hint}"
        ) from e


_REVISION = re.compile(r'^(down_)?revision\s*(?::[^=]*)?=\s*["\']?([\w-]+|None)["\']?', re.M)


def head_revision() -> str | None:
    """The newest migration's id, read from the shipped revision files without alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for f in (Path(__file__).parent / "migrations" / "versions").glob("*.py"):
        for down, rev in _REVISION.findall(f.read_text(encoding="utf-8")):
            (parents if down else revisions).add(rev)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _current_revision(engine: Engine) -> str | None:
    """The database's alembic revision, or None (no table yet, or not readable)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    except SQLAlchemyError:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def _unwritable_sqlite(engine: Engine) -> Path | None:
    """The SQLite file or its folder when this process cannot write it, else None."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    path = Path(engine.url.database)
    if path.exists() and not os.access(path, os.W_OK):
        return path
    if path.parent.exists() and not os.access(path.parent, os.W_OK):
        return path.parent  # SQLite writes its journal (WAL) beside the file
    return None


def _not_writable(path: Path) -> str:
    return (
        f"cannot write to {path}: kubesmith keeps its feedback store there (and commits "
        "proposals in the repository's .git), so it must be writable by you — check its owner, "
        "permissions or a read-only mount — or point KUBESMITH_STORE_URL at a store elsewhere"
    )


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a URL that does not even parse is shown as given
        return url
