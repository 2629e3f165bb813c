"""What changed one resource, commit by commit, read from git and the feedback store.

Git is the record: every change to a manifest is a commit, and a change kubesmith proposed
carries a ``Kubesmith-Proposal:`` trailer that leads to the store's proposal, its planner, its
pull request and the reviewer's verdict. This module answers "what changed checkout, and why?"
from both.

It stays fast on long histories by letting git do the work it is good at: ``git log -- PATHS``
walks only commits that touched the files defining the resource (base files and overlay patches
that target it), ``--raw`` names the blob of each file before and after, and all those blobs are
read in one ``git cat-file --batch`` process. Each distinct blob is parsed once (a commit's
"after" is the next one's "before"). See benchmarks/bench_history.py for how it scales.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubesmith.agent.fielddiff import ChangeKind, FieldChange, diff_fields, field_matches, leaves
from kubesmith.config import Settings
from kubesmith.errors import GitError, KubesmithError, UsageError
from kubesmith.kinds import KIND_ALIASES, WORKLOAD_KINDS
from kubesmith.model import ResourceRef, parse_path
from kubesmith.reading import decode, load_all
from kubesmith.tools.git import TRAILER, GitRepo
from kubesmith.workspace import Document, GitTreeSource, Workspace

if TYPE_CHECKING:
    from kubesmith.store import Store

_NULL = "0" * 40


@dataclass(frozen=True)
class ProposalInfo:
    """Where a commit came from when kubesmith proposed it (from the store, when it has it).

    Attributes:
        id: the proposal id from the commit's ``Kubesmith-Proposal:`` trailer.
        known: False when the store has no such proposal (another machine's store, or none).
        intent, planner: what was asked and who planned it.
        pr: the pull request (``forge:id``), its URL, and the reviewer's verdict and reason.
    """

    id: str
    known: bool = False
    intent: str = ""
    planner: str = ""
    pr: str = ""
    pr_url: str = ""
    verdict: str = ""
    reason: str = ""


@dataclass(frozen=True)
class HistoryEntry:
    """One commit that changed the resource.

    Attributes:
        commit: the full commit id.
        date: the author date (ISO 8601).
        author: ``Name <email>``.
        subject: the commit's first line.
        file: the file whose change this is (a base file or an overlay patch).
        changes: the field-level changes to the resource in that file.
        proposal: set when the commit came from a kubesmith proposal.
    """

    commit: str
    date: str
    author: str
    subject: str
    file: str
    changes: tuple[FieldChange, ...]
    proposal: ProposalInfo | None = None


@dataclass(frozen=True)
class History:
    """Every commit that changed a resource (or one field of it), newest first."""

    resource: ResourceRef
    files: tuple[str, ...]
    field: str | None
    entries: tuple[HistoryEntry, ...] = ()
    commits_scanned: int = 0


def parse_resource(text: str) -> tuple[str | None, str | None, str]:
    """``[kind/][namespace/]name`` as (kind, namespace, name)."""
    parts = [p for p in text.strip().split("/") if p]
    if not parts or len(parts) > 3:
        raise UsageError(f"name a resource as NAME, KIND/NAME or KIND/NAMESPACE/NAME, not {text!r}")
    if len(parts) == 1:
        return None, None, parts[0]
    if len(parts) == 2:
        return parts[0], None, parts[1]
    return parts[0], parts[1], parts[2]


def locate(ws: Workspace, resource: str) -> tuple[ResourceRef, list[Document]]:
    """The one resource ``resource`` names and every document defining it (patches included).

    Raises:
        UsageError: nothing, or more than one resource, matches.
    """
    kind, namespace, name = parse_resource(resource)
    kind = KIND_ALIASES.get(kind.lower(), kind) if kind else None
    full = ws.find(kind=kind, name=name, namespace=namespace)
    if kind is None and any(d.ref.kind in WORKLOAD_KINDS for d in full):
        # "checkout" means the workload when a Service and a ConfigMap share its name
        full = [d for d in full if d.ref.kind in WORKLOAD_KINDS]
    refs = sorted({(d.ref.kind, d.ref.namespace or "", d.ref.name) for d in full})
    if not refs:
        raise UsageError(f"no resource {resource!r} in the repository")
    if len(refs) > 1:
        names = ", ".join(f"{k}/{ns + '/' if ns else ''}{n}" for k, ns, n in refs)
        raise UsageError(f"{resource!r} is ambiguous: {names}; name it as KIND/NAME")
    ref = next(d.ref for d in full)
    docs = ws.find(kind=ref.kind, name=ref.name, patches=True)
    return ref, [d for d in docs if (not d.is_patch and d.ref == ref) or d.is_patch]


def resource_history(
    repo: Path,
    resource: str,
    *,
    settings: Settings,
    field_path: str | None = None,
    since: str | None = None,
    rev: str | None = None,
    store: Store | None = None,
) -> History:
    """Every commit reachable from ``rev`` (the base branch) that changed ``resource``.

    Args:
        repo: the repository.
        resource: ``NAME``, ``KIND/NAME`` or ``KIND/NAMESPACE/NAME`` as it is at ``rev``.
        settings: the repository's settings (how manifests are found).
        field_path: only commits that changed this field (or a field inside it).
        since: only commits after this date (anything ``git log --since`` reads).
        rev: where to start (default: the configured base branch, else the checkout's branch).
        store: the feedback store, to say where a kubesmith commit came from.

    Raises:
        UsageError: an unknown resource, revision or field path.
        GitError: git failed.
    """
    if field_path is not None:
        parse_path(field_path)  # a clear error for a malformed path, before any work
    git, start, ref, docs = open_resource(repo, resource, settings, rev)
    files = tuple(sorted({d.file for d in docs}))
    commits = log_commits(git, start, files, since)
    blobs = read_blobs(
        git.root, {sha for c in commits for _, old, new in c.files for sha in (old, new)}
    )
    parsed: dict[tuple[str, str], Any] = {}

    def obj(sha: str, file: str) -> Any:
        if sha == _NULL:
            return None
        if (sha, file) not in parsed:
            parsed[(sha, file)] = _find(blobs.get(sha, b""), file, ref)
        return parsed[(sha, file)]

    entries: list[HistoryEntry] = []
    for c in commits:
        for file, old, new in c.files:
            before, after = obj(old, file), obj(new, file)
            changes = diff_fields(before, after)
            if field_path is not None:
                # a resource added or removed whole still counts for the fields it holds
                if before is None or after is None:
                    whole = after if before is None else before
                    kind: ChangeKind = "added" if before is None else "removed"
                    changes = [
                        FieldChange(
                            p, kind, None if before is None else v, v if before is None else None
                        )
                        for p, v in leaves(whole)
                    ]
                changes = [ch for ch in changes if ch.path and field_matches(ch.path, field_path)]
            if changes:
                info = proposal_info(store, c.proposal) if c.proposal else None
                entries.append(
                    HistoryEntry(c.sha, c.date, c.author, c.subject, file, tuple(changes), info)
                )
    return History(ref, files, field_path, tuple(entries), len(commits))


@dataclass(frozen=True)
class _Commit:
    sha: str
    date: str
    author: str
    subject: str
    proposal: str
    files: tuple[tuple[str, str, str], ...]


_SEP, _REC = "\x1f", "\x1e"
LOG_FORMAT = _SEP.join(
    ["%H", "%aI", "%an <%ae>", "%s", f"%(trailers:key={TRAILER},valueonly,separator=%x2c)"]
)
"""``git log --format`` fields: commit, date, author, subject, the proposal trailer."""


def open_resource(
    repo: Path, resource: str, settings: Settings, rev: str | None
) -> tuple[GitRepo, str, ResourceRef, list[Document]]:
    """The repository, the commit history starts from (``rev``, else the base branch), and the
    resource with the documents defining it there."""
    git = GitRepo(repo)
    start = git.resolve(rev or settings.forge.base_branch or git.current_branch() or "HEAD")
    ws = Workspace.load(git.root, settings, GitTreeSource(git.root, start))
    ref, docs = locate(ws, resource)
    return git, start, ref, docs


def log_commits(
    git: GitRepo, start: str, paths: Sequence[str], since: str | None, *, first_parent: bool = False
) -> list[_Commit]:
    """Commits touching ``paths`` from ``start``, newest first, with the blobs of each of
    ``paths`` (files) it changed."""
    args = ["-c", "core.quotePath=off", "log", "--no-renames", "--raw", "--no-abbrev"]
    if since:
        args.append(f"--since={since}")
    if first_parent:
        args.append("--first-parent")
    out = git.run(*args, f"--format={_REC}{LOG_FORMAT}", start, "--", *paths)
    wanted = set(paths)
    commits = []
    # (git.run strips the output, and str.strip counts \x1e as whitespace: skip empty records)
    for record in filter(None, out.split(_REC)):
        header, _, raw = record.partition("\n")
        sha, date, author, subject, trailer = (header.split(_SEP) + [""] * 5)[:5]
        changed = []
        for line in raw.split("\n"):
            if not line.startswith(":"):
                continue
            meta, _, path = line.partition("\t")
            parts = meta.split()
            if path in wanted and len(parts) >= 4:
                changed.append((path, parts[2], parts[3]))
        proposal = trailer.split(",")[-1].strip()
        commits.append(_Commit(sha, date, author, subject, proposal, tuple(changed)))
    return commits


def read_blobs(repo: Path, shas: Iterable[str]) -> dict[str, bytes]:
    """The contents of many blobs from one ``git cat-file --batch`` process."""
    wanted = sorted(s for s in set(shas) if s != _NULL)
    if not wanted:
        return {}
    try:
        proc = subprocess.run(
            ["git", "cat-file", "--batch"], cwd=repo, check=True, capture_output=True,
            input="".join(f"{s}\n" for s in wanted).encode(),
        )  # fmt: skip
    except subprocess.CalledProcessError as e:
        raise GitError(f"git cat-file failed: {e.stderr.decode(errors='replace')}") from e
    out, pos, blobs = proc.stdout, 0, {}
    while pos < len(out):
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3:  # "<sha> missing"
            continue
        size = int(header[2])
        blobs[header[0].decode()] = out[pos : pos + size]
        pos += size + 1
    return blobs


def _find(raw: bytes, file: str, ref: ResourceRef) -> Any:
    """The document of ``ref`` in one version of ``file`` (None when absent or unreadable)."""
    try:
        docs = load_all(decode(raw, file).text, file)
    except KubesmithError:
        return None
    for doc in docs:
        if not isinstance(doc, Mapping):
            continue
        meta = doc.get("metadata")
        if not isinstance(meta, Mapping) or meta.get("name") != ref.name:
            continue
        if str(doc.get("kind", "")) != ref.kind:
            continue
        ns = meta.get("namespace")
        if ns is not None and ref.namespace is not None and ns != ref.namespace:
            continue
        return doc
    return None


def proposal_info(store: Store | None, proposal_id: str) -> ProposalInfo:
    """What the store knows about the proposal behind a commit."""
    if store is None:
        return ProposalInfo(proposal_id)
    try:
        p = store.get_proposal(proposal_id)
    except UsageError:
        return ProposalInfo(proposal_id)
    outcomes = store.outcomes(proposal_id=p.id)
    pr = p.pr or (outcomes[-1].pr if outcomes else None)
    verdict = outcomes[-1].status if outcomes else (pr.status if pr else "")
    return ProposalInfo(
        id=p.id,
        known=True,
        intent=p.intent,
        planner=p.planner,
        pr=f"{pr.forge}:{pr.id}" if pr else "",
        pr_url=pr.url if pr else "",
        verdict=verdict,
        reason=outcomes[-1].reason if outcomes else "",
    )
