"""A workspace's files written out as a folder, so a change is validated exactly like a checkout.

``propose`` works on git objects and edits in memory; ``kubesmith validate`` and the bot work on
folders. Writing the proposal's tree out (``git archive`` of the base commit, the edited files
over it) lets all three share one validation path, and lets kustomize read every file a build
needs (generator inputs are not YAML). Links that would leave the folder are not written.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from kubesmith.errors import GitError

if TYPE_CHECKING:
    from kubesmith.workspace import Workspace


def _inside_only(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's ``data`` filter, skipping (not failing on) links that leave ``dest``."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


def _archive(repo: Path, rev: str, into: Path) -> None:
    """Extract commit ``rev`` of ``repo`` into ``into`` (links that leave it are skipped).

    Raises:
        GitError: when the commit cannot be archived.
    """
    done = subprocess.run(
        ["git", "archive", "--format=tar", rev, "--"],
        cwd=repo, capture_output=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise GitError(f"git archive {rev} failed: {message}")
    tar_path = into / ".kubesmith-tree.tar"
    tar_path.write_bytes(done.stdout)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into, filter=_inside_only)
    tar_path.unlink()


@contextlib.contextmanager
def revision(repo: Path, rev: str) -> Iterator[Path]:
    """Commit ``rev`` of the git repository ``repo`` as a temporary folder.

    Raises:
        GitError: when ``rev`` is not a commit of ``repo``.
    """
    if rev.startswith("-"):
        raise GitError(f"{rev!r} is not a revision")
    with tempfile.TemporaryDirectory(prefix="kubesmith-base-") as tmp:
        _archive(repo, rev, Path(tmp))
        yield Path(tmp)


def materialize(ws: Workspace, into: Path, *, proposed: bool = True) -> Path:
    """Write the workspace's tree, edits included unless ``proposed`` is False, into ``into``.

    Raises:
        GitError: when the commit cannot be archived.
    """
    from kubesmith.workspace import GitTreeSource

    source = ws.source
    if isinstance(source, GitTreeSource):
        _archive(source.repo, source.rev, into)
    else:  # a folder: copy it whole, so generator inputs and other non-YAML files are there
        shutil.copytree(
            ws.root, into, symlinks=True, ignore=shutil.ignore_patterns(".git"), dirs_exist_ok=True
        )
    for rel, text in (ws.modified_files() if proposed else {}).items():
        target = into / rel
        if text is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return into


@contextlib.contextmanager
def written(ws: Workspace, *, proposed: bool = True) -> Iterator[Path]:
    """The workspace's tree in a temporary folder, removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="kubesmith-tree-") as tmp:
        yield materialize(ws, Path(tmp), proposed=proposed)
