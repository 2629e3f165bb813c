"""A cache of parsed YAML files, keyed by git blob id, kept between runs.

Parsing is most of the cost of loading a large repository, and between two proposals almost
every file is unchanged. Reading a commit, the blob id of each file is known before its content
is read, so a cached file is neither read nor parsed again. The cache lives under the common git
directory (never committed) and is invalidated whenever the parser's code changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

from kubesmith.workspace.yamledit import YamlFile

_PARSER_MODULES = ("yamledit", "yamlnodes", "yamlrender", "yamldata", "yamlpos", "yamlpath")


def _parser_fingerprint() -> str:
    """Changes whenever the parser's code (or the Python version) does."""
    digest = hashlib.sha256(sys.version.encode())
    here = Path(__file__).parent
    for name in _PARSER_MODULES:
        with contextlib.suppress(OSError):
            digest.update((here / f"{name}.py").read_bytes())
    return digest.hexdigest()[:16]


class ParseCache:
    """Parsed files by (blob id, path); loaded once, saved once per workspace load."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / f"parse-cache-{_parser_fingerprint()}.pickle"
        self._entries: dict[tuple[str, str], YamlFile] = {}
        self._dirty = False
        try:
            with self.path.open("rb") as fh:
                loaded = pickle.load(fh)
            if isinstance(loaded, dict):
                self._entries = loaded
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            self._entries = {}  # missing or unreadable: start afresh

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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for old in self.path.parent.glob("parse-cache-*.pickle"):
            if old != self.path:
                old.unlink(missing_ok=True)  # made by another parser version
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".parse-cache-")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(entries, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)  # a cache that cannot be written is only slower
