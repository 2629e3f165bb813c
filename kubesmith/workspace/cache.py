"""A cache of parsed YAML files, keyed by git blob id, kept between runs.

Parsing is most of the cost of loading a large repository, and between two proposals almost
every file is unchanged. Reading a commit, the blob id of each file is known before its content
is read, so a cached file is neither read nor parsed again. The cache lives under the common git
directory (never committed) and is invalidated whenever the parser's code changes.

A cache is only ever a shortcut: the file carries a checksum of its content, so a damaged one
(a crash mid-write on a file system without atomic rename, a disk error, an edit by hand) is
recognised *before* it is unpickled, ignored and written afresh — never a crash, and never the
unbounded allocation a corrupt pickle can ask for.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

from kubesmith.workspace.yamledit import YamlFile

_PARSER_MODULES = ("yamledit", "yamlnodes", "yamlrender", "yamldata", "yamlpos", "yamlpath")
_READING_MODULES = ("limits", "loading", "decoding", "goyaml")
_MAGIC = b"kubesmith-parse-cache\n"


def _parser_fingerprint() -> str:
    """Changes whenever the parser's code, its reading limits (or the Python version) do."""
    digest = hashlib.sha256(sys.version.encode())
    here = Path(__file__).parent
    sources = [here / f"{name}.py" for name in _PARSER_MODULES]
    sources += [here.parent / "reading" / f"{name}.py" for name in _READING_MODULES]
    for source in sources:
        with contextlib.suppress(OSError):
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def _read(path: Path) -> dict[tuple[str, str], YamlFile]:
    """The entries of a cache file; ``{}`` when it is missing, damaged or not ours."""
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    head = len(_MAGIC) + 32
    if (
        not data.startswith(_MAGIC)
        or hashlib.sha256(data[head:]).digest() != data[len(_MAGIC) : head]
    ):
        return {}
    try:
        loaded: Any = pickle.loads(data[head:])  # our own file: its checksum was verified
    except Exception:  # a pickle made by other code (a class that changed shape): start afresh
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {
        k: v
        for k, v in loaded.items()
        if isinstance(k, tuple)
        and len(k) == 2
        and all(isinstance(x, str) for x in k)
        and isinstance(v, YamlFile)
    }


class ParseCache:
    """Parsed files by (blob id, path); loaded once, saved once per workspace load."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / f"parse-cache-{_parser_fingerprint()}.pickle"
        self._entries: dict[tuple[str, str], YamlFile] = _read(self.path)
        self._dirty = False

    def get(self, blob: str, path: str) -> YamlFile | None:
        """The parsed file, when this exact content was parsed before."""
        return self._entries.get((blob, path))

    def put(self, blob: str, path: str, parsed: YamlFile) -> None:
        """Remember a freshly parsed file."""
        self._entries[(blob, path)] = parsed
        self._dirty = True

    def save(self, keep: set[tuple[str, str]]) -> None:
        """Write the cache (only entries in ``keep``, so it never outgrows the repository)."""
        stale = self._entries.keys() - keep
        if not self._dirty and not stale:
            return
        entries = {k: v for k, v in self._entries.items() if k in keep}
        payload = pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
        tmp: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for old in self.path.parent.glob("parse-cache-*.pickle"):
                if old != self.path:
                    old.unlink(missing_ok=True)  # made by another parser version
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".parse-cache-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, self.path)
        except OSError:  # a cache that cannot be written (read-only .git) is only slower
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
