"""A content-addressed cache of verdicts, so unchanged documents are not validated twice.

The key hashes everything a verdict depends on: the schema set (Kubernetes version and the CRD
set's fingerprint), strictness, the engine, and the document's content. A change to any of them
is a miss; nothing is ever invalidated by time. One SQLite file under the tool cache holds all of
it, so a re-run reads tens of thousands of verdicts in one query instead of opening as many files.

The cache is an optimisation only: when the file cannot be opened or written (a read-only home,
a locked database), validation runs uncached rather than failing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

_CHUNK = 500
RACY_S = 2.0
"""A file stamp is trusted only when the file was already this old when it was hashed (a file
written in the same clock tick as its hashing could change without changing its stamp)."""

Stamp = tuple[int, int, str, bool]
"""(size, mtime_ns, sha256 of the content, holds a CustomResourceDefinition)."""
MAX_ROWS = 2_000_000
"""Beyond this many verdicts, the oldest are dropped on the next write."""


def cache_key(context: str, content: bytes | str) -> str:
    """The key of one verdict: a hash of the validation context and the content."""
    h = hashlib.sha256(context.encode())
    h.update(b"\0")
    h.update(content.encode() if isinstance(content, str) else content)
    return h.hexdigest()


class VerdictCache:
    """Verdicts (any JSON value) by key, and file stamps, in ``<cache>/verdicts.sqlite3``.

    Each operation opens and closes its own connection: a validator may live as long as a chat
    session or a bot, and nothing is left open between runs (or across a fork).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._broken = False
        self._ready: Path | None = None

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection | None]:
        if self._broken:
            yield None
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10)
        except (sqlite3.Error, OSError):
            self._broken = True
            yield None
            return
        try:
            # a cache: losing the last writes to a power cut is fine, waiting for the disk is not
            db.execute("PRAGMA synchronous=NORMAL")
            if self._ready != self.path:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS verdicts "
                    "(key TEXT PRIMARY KEY, value TEXT NOT NULL, at REAL NOT NULL)"
                )
                db.execute(
                    "CREATE TABLE IF NOT EXISTS stamps (path TEXT PRIMARY KEY, size INTEGER, "
                    "mtime_ns INTEGER, digest TEXT, crd INTEGER, at REAL)"
                )
                self._ready = self.path
        except sqlite3.Error:
            self._broken = True
            db.close()
            yield None
            return
        try:
            yield db
        finally:
            db.close()

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The cached values of ``keys`` that are present."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, Any] = {}
        if not wanted:
            return found
        with self._connect() as db:
            if db is None:
                return found
            try:
                for i in range(0, len(wanted), _CHUNK):
                    chunk = wanted[i : i + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    query = f"SELECT key, value FROM verdicts WHERE key IN ({marks})"
                    for k, v in db.execute(query, chunk):
                        found[k] = [] if v == "[]" else json.loads(v)
            except (sqlite3.Error, ValueError):
                return found
        return found

    def put_many(self, items: Mapping[str, Any]) -> None:
        """Store ``items`` (key → JSON value)."""
        if not items:
            return
        now = time.time()
        rows = [
            (k, "[]" if v == [] else json.dumps(v, separators=(",", ":")), now)
            for k, v in items.items()
        ]
        with self._connect() as db:
            if db is None:
                return
            try:
                with db:
                    db.executemany(
                        "INSERT OR REPLACE INTO verdicts (key, value, at) VALUES (?, ?, ?)", rows
                    )
                    # distinct rowids: their span bounds the count, without a full-table count
                    (span,) = db.execute(
                        "SELECT MAX(rowid) - MIN(rowid) + 1 FROM verdicts"
                    ).fetchone()
                    (count,) = (
                        db.execute("SELECT COUNT(*) FROM verdicts").fetchone()
                        if span > MAX_ROWS
                        else (0,)
                    )
                    if count > MAX_ROWS:
                        db.execute(
                            "DELETE FROM verdicts WHERE key IN "
                            "(SELECT key FROM verdicts ORDER BY at LIMIT ?)",
                            (count - MAX_ROWS,),
                        )
            except sqlite3.Error:
                return

    def stamps(self, paths: Iterable[str]) -> dict[str, Stamp]:
        """Trusted stamps of files hashed before (see :data:`RACY_S`), by absolute path.

        Lets a re-run skip reading and hashing files whose size and mtime did not change — the
        same trade-off git's index makes.
        """
        wanted = list(paths)
        found: dict[str, Stamp] = {}
        with self._connect() as db:
            if db is None:
                return found
            try:
                for i in range(0, len(wanted), _CHUNK):
                    chunk = wanted[i : i + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    query = (
                        "SELECT path, size, mtime_ns, digest, crd, at FROM stamps "
                        f"WHERE path IN ({marks})"
                    )
                    for path, size, mtime_ns, digest, crd, at in db.execute(query, chunk):
                        if at - mtime_ns / 1e9 > RACY_S:
                            found[path] = (size, mtime_ns, digest, bool(crd))
            except sqlite3.Error:
                return found
        return found

    def put_stamps(self, stamps: Mapping[str, Stamp]) -> None:
        """Remember files' stamps (taken now)."""
        if not stamps:
            return
        now = time.time()
        rows = [(p, s[0], s[1], s[2], int(s[3]), now) for p, s in stamps.items()]
        with self._connect() as db:
            if db is None:
                return
            try:
                with db:
                    db.executemany("INSERT OR REPLACE INTO stamps VALUES (?, ?, ?, ?, ?, ?)", rows)
            except sqlite3.Error:
                return
