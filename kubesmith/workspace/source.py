"""Where manifest files come from: a directory on disk, or a commit in a git repository.

Reading a proposal's base straight from git objects means kubesmith never needs to touch the
user's checkout (current branch, uncommitted work) to plan, apply and commit a change.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kubesmith.errors import GitError
from kubesmith.reading import display_name, name_problem


@dataclass(frozen=True)
class SourceFile:
    """A candidate manifest file: repository-relative posix path and size in bytes."""

    path: str
    size: int
    blob: str | None = None
    """The git blob id, when the file comes from a commit (a content id for caching)."""
    problem: str | None = None
    """Why the file cannot be read at all (a name that is not UTF-8: ``path`` is then its
    escaped spelling); such a file is reported, never read or silently left out."""


class FileSource(Protocol):
    """Lists files and reads their bytes."""

    def files(self) -> Iterator[SourceFile]:
        """Every regular file (links that leave the repository are not listed)."""
        ...

    def read(self, paths: Sequence[str]) -> dict[str, bytes]:
        """The contents of ``paths``."""
        ...


def matches(path: str, patterns: Sequence[str]) -> bool:
    """True when ``path`` matches one of the glob ``patterns`` (``**/`` also matches top level)."""
    for pattern in patterns:
        if fnmatch.fnmatch(path, pattern):
            return True
        if pattern.startswith("**/") and fnmatch.fnmatch(path, pattern[3:]):
            return True
    return False


class DirectorySource:
    """Files under a directory, as they are on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def files(self) -> Iterator[SourceFile]:
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            base = Path(dirpath)
            for name in sorted(filenames):
                full = base / name
                if full.is_symlink():
                    target = full.resolve()
                    if not target.is_relative_to(self.root) or not target.is_file():
                        continue
                if not full.is_file():  # a FIFO or a device: reading it could block forever
                    continue
                try:
                    size = full.stat().st_size
                except OSError:
                    continue
                rel = full.relative_to(self.root).as_posix()
                problem = name_problem(rel)
                yield SourceFile(display_name(rel) if problem else rel, size, problem=problem)

    def read(self, paths: Sequence[str]) -> dict[str, bytes]:
        return {p: (self.root / p).read_bytes() for p in paths}


class GitTreeSource:
    """Files of one commit, read from git objects (the working tree is not consulted)."""

    def __init__(self, repo: Path, rev: str) -> None:
        self.repo = repo
        self.rev = rev
        self._blobs: dict[str, str] = {}

    def _git(self, *args: str, data: bytes | None = None) -> bytes:
        try:
            return subprocess.run(
                ["git", *args], cwd=self.repo, input=data, capture_output=True, check=True
            ).stdout
        except subprocess.CalledProcessError as e:
            msg = e.stderr.decode(errors="replace").strip()
            raise GitError(f"git {' '.join(args)} failed: {msg}") from e

    def files(self) -> Iterator[SourceFile]:
        out = self._git("ls-tree", "-r", "-z", "--long", self.rev)
        for entry in out.split(b"\0"):
            if not entry:
                continue
            meta, _, path_b = entry.partition(b"\t")
            mode, kind, sha, size = meta.split()
            # Symlinks (120000) and submodules are not manifests; skip them like outside links.
            if kind != b"blob" or mode == b"120000":
                continue
            problem = name_problem(path_b)
            if problem is not None:
                yield SourceFile(display_name(path_b), int(size), problem=problem)
                continue
            path = path_b.decode()
            self._blobs[path] = sha.decode()
            yield SourceFile(path, int(size), sha.decode())

    def read(self, paths: Sequence[str]) -> dict[str, bytes]:
        if not paths:
            return {}
        if not self._blobs:
            for _ in self.files():
                pass
        request = b"".join(self._blobs[p].encode() + b"\n" for p in paths)
        out = self._git("cat-file", "--batch", data=request)
        result: dict[str, bytes] = {}
        pos = 0
        for path in paths:
            header_end = out.index(b"\n", pos)
            size = int(out[pos:header_end].split()[2])
            start = header_end + 1
            result[path] = out[start : start + size]
            pos = start + size + 1
        return result
