"""History as an overlay renders it: each commit's build, rendered with the pinned kustomize.

A base file's history misses what an overlay does to it (an ``images:`` tag, a patch) and shows
changes the overlay hides. Rendering the overlay at every commit that touched its tree answers
what the environment received. It costs one ``kustomize build`` per commit, so it is the opt-in
(``--overlay``), not the default; git still picks the commits (``git log -- FOLDERS``).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubesmith.agent.fielddiff import diff_fields, field_matches
from kubesmith.agent.history import (
    History,
    HistoryEntry,
    log_commits,
    open_resource,
    proposal_info,
)
from kubesmith.agent.validation.rendering import render
from kubesmith.config import Settings
from kubesmith.errors import GitError, ToolError, UsageError
from kubesmith.model import ResourceRef
from kubesmith.tools.git import GitRepo

if TYPE_CHECKING:
    from kubesmith.store import Store


def rendered_history(
    repo: Path,
    resource: str,
    overlay: str,
    *,
    settings: Settings,
    field_path: str | None = None,
    since: str | None = None,
    rev: str | None = None,
    store: Store | None = None,
) -> History:
    """Every commit that changed ``resource`` as the kustomization in ``overlay`` renders it.

    Raises:
        UsageError: unknown resource, revision, or no kustomization in ``overlay``.
        ToolError: kustomize failed on the newest commit.
    """
    git, start, ref, docs = open_resource(repo, resource, settings, rev)
    folders = sorted({overlay.strip("/"), *(str(Path(d.file).parent) for d in docs)})
    commits = log_commits(git, start, folders, since, first_parent=True)
    if not commits:
        return History(ref, tuple(folders), field_path, (), 0)
    parent = _parent(git, commits[-1].sha)
    objects = {c.sha: _rendered(git.root, c.sha, overlay, ref) for c in commits}
    if parent is not None:
        objects[parent] = _rendered(git.root, parent, overlay, ref)
    entries = []
    for i, c in enumerate(commits):
        before_sha = commits[i + 1].sha if i + 1 < len(commits) else parent
        before = objects.get(before_sha) if before_sha else None
        changes = diff_fields(before, objects[c.sha])
        if field_path is not None:
            changes = [ch for ch in changes if ch.path and field_matches(ch.path, field_path)]
        if changes:
            info = proposal_info(store, c.proposal) if c.proposal else None
            entries.append(HistoryEntry(c.sha, c.date, c.author, c.subject,
                                        f"{overlay} (rendered)", tuple(changes), info))  # fmt: skip
    return History(ref, tuple(folders), field_path, tuple(entries), len(commits))


def _parent(git: GitRepo, sha: str) -> str | None:
    try:
        return git.run("rev-parse", "--verify", "--quiet", f"{sha}^")
    except GitError:
        return None


def _rendered(root: Path, sha: str, overlay: str, ref: ResourceRef) -> Any:
    """The object of ``ref`` in ``overlay``'s build at commit ``sha`` (None: absent or no build)."""
    data = subprocess.run(["git", "archive", "--format=tar", sha], cwd=root, check=True,
                          capture_output=True).stdout  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="kubesmith-history-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(tmp, filter="data")
        try:
            built = render(Path(tmp), overlay.strip("/"))
        except (ToolError, UsageError):  # a commit whose build fails: the resource is absent
            return None
    same = [m for m in built if m.ref.kind == ref.kind and m.ref.name == ref.name]
    # a namePrefix/nameSuffix renames it: then the one rendered name that contains it
    named = same or [m for m in built if m.ref.kind == ref.kind and ref.name in m.ref.name]
    return dict(named[0].obj) if len(named) == 1 else None
