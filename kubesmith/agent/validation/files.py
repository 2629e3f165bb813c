"""Which files to validate, where the repository root is, and what must not be read.

``kubesmith validate PATH`` works from any folder, as kubeconform does: the root is the git top
level holding PATH (or PATH itself when it is a plain folder), so Kustomize patches, overlays and
CRDs around PATH are understood and findings name files relative to that root.

Everything is read inside the root only. A symbolic link that leaves it (to ``/etc/passwd``, to
``../../secret``) is never followed: it is an error finding, so a pull request cannot make the
validator read and quote a file of the machine it runs on.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kubesmith.config import Settings
from kubesmith.errors import UsageError
from kubesmith.model import Finding
from kubesmith.reading import display_name

SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
"""kubesmith.workspace.kustomize's names, repeated: importing that package is slow."""
VALIDATOR = "files"
RULE_SYMLINK = "symlink-outside"


@dataclass(frozen=True)
class Discovered:
    """The files to validate, (name as findings show it, path on disk), and the links refused."""

    files: tuple[tuple[str, Path], ...]
    refused: tuple[Finding, ...] = ()

    @property
    def names(self) -> list[str]:
        """The checked files' names."""
        return [rel for rel, _ in self.files]


def find_root(paths: Sequence[Path], repo: Path | None = None) -> Path:
    """The repository root for ``paths``: ``repo`` when given, else the git top level holding
    the first path (or that path itself when it is a folder outside git, its folder for a file).

    Raises:
        UsageError: when a path is outside the root (validate each repository on its own).
    """
    if repo is not None:
        root = repo.resolve()
    elif not paths:
        root = _git_top(Path.cwd()) or Path.cwd().resolve()
    else:
        first = place(paths[0])
        folder = first if first.is_dir() else first.parent
        folder = folder.resolve()
        root = _git_top(folder) or folder
    for p in paths:
        if not _inside(place(p), root):
            raise UsageError(
                f"{p} is not inside the repository {root}; validate each repository on its own "
                "(or name the root with --repo)"
            )
    return root


def place(path: Path) -> Path:
    """``path`` made absolute with its folders' links resolved, but not its own last part (so a
    link named on the command line is still seen as a link)."""
    absolute = os.path.abspath(path)
    return Path(os.path.realpath(os.path.dirname(absolute))) / os.path.basename(absolute)


def _git_top(folder: Path) -> Path | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=folder, capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    top = done.stdout.strip()
    return Path(top).resolve() if done.returncode == 0 and top else None


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def leaves_root(path: Path, root: Path) -> bool:
    """True when ``path`` (a link, or a file under a linked folder) resolves outside ``root``."""
    try:
        target = path.resolve(strict=False)
    except (OSError, RuntimeError):  # a link loop
        return True
    return not _inside(target, root)


def refused_link(rel: str, what: str = "file") -> Finding:
    """The error finding for a link that leaves the repository (it is never read)."""
    return Finding(
        VALIDATOR, "error",
        f"symbolic link to a {what} outside the repository: not read (a manifest must be a "
        "regular file inside the repository)",
        file=rel, rule=RULE_SYMLINK,
    )  # fmt: skip


def _globs(patterns: Sequence[str]) -> re.Pattern[str]:
    """One regex for glob ``patterns``, as the workspace reads them (``**/`` also matches top)."""
    parts = [fnmatch.translate(p) for p in patterns]
    parts += [fnmatch.translate(p[3:]) for p in patterns if p.startswith("**/")]
    return re.compile("|".join(parts) or "(?!)")


def walk(root: Path, start: Path | None = None) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every entry under ``start`` (default: ``root``) as (root-relative name, entry), sorted,
    ``.git`` left out; linked folders are listed but never entered."""
    stack = [(start or root)]
    base = str(root)
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for e in entries:
            if e.name == ".git":
                continue
            # A name that is not UTF-8 is spelled escaped (the schema validator reports it).
            rel = display_name(e.path[len(base) + 1 :].replace(os.sep, "/"))
            yield rel, e
            if e.is_dir(follow_symlinks=False):
                subdirs.append(Path(e.path))
        stack.extend(reversed(subdirs))


def discover(
    root: Path,
    settings: Settings,
    paths: Sequence[Path] = (),
    only: Collection[str] | None = None,
) -> Discovered:
    """The manifest files to check under ``paths`` (default: the whole root), sorted.

    Folders are walked with the workspace's include/exclude globs; files named explicitly are
    always checked. ``only`` keeps just those root-relative names (a pull request's changed
    files). Links that leave the root are refused with a finding, never read.
    """
    cfg = settings.workspace
    include, exclude = _globs(cfg.include), _globs(cfg.exclude)
    root = root.resolve()
    found: dict[str, Path] = {}
    refused: dict[str, Finding] = {}

    def wanted(rel: str) -> bool:
        return (only is None or rel in only) and bool(include.match(rel)) and not exclude.match(rel)

    for start in paths or [root]:
        absolute = place(start)
        if not absolute.is_dir() or absolute.is_symlink():
            rel = absolute.relative_to(root).as_posix()
            if only is not None and rel not in only:
                continue
            if leaves_root(absolute, root):
                refused[rel] = refused_link(rel, "folder" if absolute.is_dir() else "file")
            elif absolute.is_file():
                found[rel] = absolute
            continue
        if leaves_root(absolute, root):
            rel = absolute.relative_to(root).as_posix()
            refused[rel] = refused_link(rel, "folder")
            continue
        for rel, e in walk(root, absolute):
            name = e.name
            is_link = e.is_symlink()
            if e.is_dir(follow_symlinks=False):
                continue
            if is_link and leaves_root(Path(e.path), root):
                linked_dir = os.path.isdir(e.path)
                if wanted(rel) or (linked_dir and (only is None or rel in only)):
                    refused[rel] = refused_link(rel, "folder" if linked_dir else "file")
                continue
            if not (name.endswith(SUFFIXES) or name == "Kustomization") or not wanted(rel):
                continue
            if not os.path.isfile(e.path):
                continue
            found[rel] = Path(e.path)
    return Discovered(tuple(sorted(found.items())), tuple(refused[r] for r in sorted(refused)))


def escaping_links(root: Path) -> list[str]:
    """Root-relative names of every link under ``root`` that resolves outside it (or dangles)."""
    root = root.resolve()
    out = []
    for rel, e in walk(root):
        if e.is_symlink() and (leaves_root(Path(e.path), root) or not os.path.exists(e.path)):
            out.append(rel)
    return out
