"""Compiled CEL programs kept on disk, so each process does not type-check the packs again.

Compiling (parse + type-check) the packs' expressions costs most of building a validator, in
every process (a pre-commit hook, each ``kubesmith validate``); loading a serialized checked
program is about 25 times faster. The cache is one file per environment fingerprint (engine
version, declared functions, extensions) under ``<tool cache>/cel/``, read once, and written back
at exit when something was added — to a temporary file renamed into place, so processes running
at the same time never see a half-written file (the last one to finish wins; an entry lost that
way is compiled again next time). ``KUBESMITH_CEL_CACHE=off`` turns it off; a damaged file is
ignored. :func:`cached_json` keeps the built-in packs' parsed documents the same way (parsing
their YAML is the other large part of building a validator).
"""

from __future__ import annotations

import atexit
import json
import marshal
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

Entry = tuple[bytes, int, int]
"""A serialized checked program, its comprehension depth and longest list literal."""

_FORMAT = 1


def cache_dir() -> Path | None:
    """Where program caches live, or ``None`` when caching is off."""
    if os.environ.get("KUBESMITH_CEL_CACHE", "").lower() in ("off", "0", "false", "no"):
        return None
    from kubesmith.tools.binaries.cache import default_cache_dir

    return default_cache_dir() / "cel"


class ProgramCache:
    """Serialized programs by source text for one environment fingerprint."""

    def __init__(self, fingerprint: str, folder: Path | None = None) -> None:
        self.path = (folder or cache_dir() or Path()) / f"programs-{fingerprint}.bin"
        self.enabled = folder is not None or cache_dir() is not None
        self._entries: dict[str, Entry] | None = None
        self._added: dict[str, Entry] = {}
        self._lock = threading.Lock()
        self._registered = False

    def _load(self) -> dict[str, Entry]:
        if self._entries is None:
            self._entries = _read(self.path) if self.enabled else {}
        return self._entries

    def get(self, source: str) -> Entry | None:
        """The cached program for ``source``, if any."""
        with self._lock:
            return self._load().get(source)

    def put(self, source: str, entry: Entry) -> None:
        """Remember a newly compiled program (written at exit, or by :meth:`save`)."""
        if not self.enabled:
            return
        with self._lock:
            self._load()[source] = entry
            self._added[source] = entry
            if not self._registered:
                atexit.register(self.save)
                self._registered = True

    def save(self) -> None:
        """Merge what this process added into the file (best effort: a cache never fails a run)."""
        with self._lock:
            if not self._added:
                return
            merged = {**_read(self.path), **self._added}
            self._added = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".programs-")
            with os.fdopen(fd, "wb") as f:
                marshal.dump((_FORMAT, merged), f)
            os.replace(tmp, self.path)
        except OSError:
            return


def _read(path: Path) -> dict[str, Entry]:
    try:
        with path.open("rb") as f:
            version, entries = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if version != _FORMAT or not isinstance(entries, dict):
        return {}
    return entries


def cached_json(name: str, build: Callable[[], Any]) -> Any:
    """``build()``'s JSON-able result, kept as ``<cache>/<name>.json`` (``name`` must say
    everything the result depends on, e.g. a hash of the input). Built again when missing or
    unreadable; a cache that cannot be written only costs the time to build."""
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    value = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(value, f)
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):
        pass
    return value
