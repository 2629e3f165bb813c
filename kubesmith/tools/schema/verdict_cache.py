"""A content-addressed cache of verdicts, so unchanged documents are not validated twice.

The key hashes everything a verdict depends on: the schema set (Kubernetes version and the CRD
set's fingerprint), strictness, the engine, and the document's content. A change to any of them
is a miss; nothing is ever invalidated by time. One SQLite file under the tool cache holds all of
it, so a re-run reads tens of thousands of verdicts in one query instead of opening as many files.

The cache is an optimisation only: when the file cannot be opened or written (a read-only home,
a locked database), validation runs uncached rather than failing.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Mapping
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
    """Verdicts (any JSON value) by key, in ``<cache>/verdicts.sqlite3``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def _conn(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=10)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS verdicts "
                    "(key TEXT PRIMARY KEY, value TEXT NOT NULL, at REAL NOT NULL)"
                )
                db.execute(
                    "CREATE TABLE IF NOT EXISTS stamps (path TEXT PRIMARY KEY, size INTEGER, "
                    "mtime_ns INTEGER, digest TEXT, crd INTEGER, at REAL)"
                )
                self._db = db
            except (sqlite3.Error, OSError):
                self._broken = True
        return self._db

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The cached values of ``keys`` that are present."""
        db = self._conn()
        wanted = list(dict.fromkeys(keys))
        if db is None or not wanted:
            return {}
        found: dict[str, Any] = {}
        try:
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(f"SELECT key, value FROM verdicts WHERE key IN ({marks})", chunk)
                found.update((k, [] if v == "[]" else json.loads(v)) for k, v in rows)
        except (sqlite3.Error, ValueError):
            return found
        return found

    def put_many(self, items: Mapping[str, Any]) -> None:
        """Store ``items`` (key → JSON value)."""
        db = self._conn()
        if db is None or not items:
            return
        now = time.time()
        try:
            with db:
                db.executemany(
                    "INSERT OR REPLACE INTO verdicts (key, value, at) VALUES (?, ?, ?)",
                    [(k, json.dumps(v, separators=(",", ":")), now) for k, v in items.items()],
                )
                (count,) = db.execute("SELECT COUNT(*) FROM verdicts").fetchone()
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
        db = self._conn()
        wanted = list(paths)
        found: dict[str, Stamp] = {}
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
        db = self._conn()
        if db is None or not stamps:
            return
        now = time.time()
        try:
            with db:
                db.executemany(
                    "INSERT OR REPLACE INTO stamps VALUES (?, ?, ?, ?, ?, ?)",
                    [(p, s[0], s[1], s[2], int(s[3]), now) for p, s in stamps.items()],
                )
        except sqlite3.Error:
            return

    def close(self) -> None:
        """Close the database (the object can be used again; it reopens)."""
        if self._db is not None:
            self._db.close()
            self._db = None
