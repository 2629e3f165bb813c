"""Rollback intents as ordinary proposals: typed edits from the field-level difference.

"revert PR 42", "undo proposal 3f2a", "roll back the last change to checkout", "restore
checkout's memory limit to what it was last week", "put checkout back as it was at v1.2": each
is planned here, before the configured planner, into a :class:`~kubesmith.model.ChangeSet` of
``SetField``/``RemoveField``/``AddResource``/``DeleteResource`` edits. So a rollback is applied,
rendered, validated, proven and reviewed like every other change, and never written straight
to the base branch.

Undoing a commit keeps later work: when a field the commit changed was changed again since,
the rollback is refused (``RollbackConflict``) naming the later commit, and nothing is planned.
Restoring a resource or a field to a point in time is explicit, so it sets what was there then.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubesmith.agent.fielddiff import FieldChange, diff_fields, field_matches
from kubesmith.agent.history import locate, parse_resource, resource_history
from kubesmith.errors import KubesmithError, UsageError
from kubesmith.kinds import pod_spec_path
from kubesmith.model import AddResource, ChangeSet, DeleteResource, Edit, RemoveField, SetField
from kubesmith.reading import decode, load_all
from kubesmith.tools.git import TRAILER

if TYPE_CHECKING:
    from kubesmith.store import Store
    from kubesmith.workspace import Workspace

PLANNER = "rollback"

_VERB = r"(?:revert|undo|roll\s*back|rollback)"
_PR = re.compile(rf"^{_VERB}\s+(?:the\s+)?(?:pr|pull\s+request)\s*#?\s*(?P<id>[\w.-]+)$", re.I)
_PROPOSAL = re.compile(rf"^{_VERB}\s+(?:the\s+)?proposal\s+(?P<id>[0-9a-f]{{4,40}})$", re.I)
_COMMIT = re.compile(rf"^{_VERB}\s+(?:the\s+)?commit\s+(?P<rev>[0-9a-f]{{7,40}})$", re.I)
_LAST = re.compile(
    rf"^{_VERB}\s+(?:the\s+)?(?:last|latest|most\s+recent)\s+change\s+(?:to|of|on)\s+(?P<res>\S+)$",
    re.I,
)
_FIELD = re.compile(
    r"^(?:restore|reset|put\s+back)\s+(?P<res>[\w./-]+?)(?:'s)?\s+(?P<field>.+?)\s+to\s+"
    r"(?:what|how)\s+it\s+was\s+(?:at\s+|on\s+|in\s+)?(?P<when>.+)$",
    re.I,
)
_WHOLE = re.compile(
    r"^(?:put|bring|restore|roll\s*back|revert)\s+(?P<res>[\w./-]+)\s+(?:back\s+)?"
    r"(?:as|to\s+how|to\s+what)\s+it\s+was\s+(?:at\s+|on\s+|in\s+)?(?P<when>.+)$",
    re.I,
)
_FIELD_WORDS = {
    "memory limit": "resources.limits.memory",
    "cpu limit": "resources.limits.cpu",
    "memory request": "resources.requests.memory",
    "cpu request": "resources.requests.cpu",
    "image": "image",
    "env": "env",
    "resources": "resources",
}


class RollbackConflict(UsageError):
    """A rollback would overwrite later changes: nothing is planned (the reason says which)."""


@dataclass(frozen=True)
class _Target:
    """What to undo: a commit (optionally only one resource), or a resource as of a commit."""

    commit: str
    undo: bool
    resource: str | None = None
    field: str | None = None
    what: str = ""


def is_rollback(intent: str) -> bool:
    """True when ``intent`` is one of the rollback forms this module plans."""
    text = " ".join(intent.split()).rstrip(".")
    return any(p.match(text) for p in (_PR, _PROPOSAL, _COMMIT, _LAST, _FIELD, _WHOLE))


def plan_rollback(
    intent: str, repo: Path, base: str, ws: Workspace, store: Store | None
) -> ChangeSet | None:
    """The edits that roll back what ``intent`` names on ``ws`` (base commit ``base``), or None
    when ``intent`` is not a rollback.

    Raises:
        UsageError: the change, resource or time named is unknown (or never merged).
        RollbackConflict: undoing would overwrite a later change to the same field.
    """
    text = " ".join(intent.split()).rstrip(".")
    target = _target(text, repo, base, ws, store)
    if target is None:
        return None
    edits = _undo(repo, base, ws, target) if target.undo else _restore(repo, base, ws, target)
    subject = _git(repo, "log", "-1", "--format=%h %s", target.commit).strip()
    return ChangeSet(
        intent,
        tuple(edits),
        planner=PLANNER,
        rationale=f"Rolls back {target.what or subject}: commit {subject}.",
    )


def _target(text: str, repo: Path, base: str, ws: Workspace, store: Store | None) -> _Target | None:
    if m := _PR.match(text):
        if store is None:
            raise UsageError("reverting a pull request needs the feedback store")
        record = store.get_pull_request(m["id"])
        p = store.get_proposal(record.proposal_id)
        what = f"{record.pr.forge} pull request {record.pr.id} ({record.pr.url}, proposal {p.id})"
        return _Target(_merged(repo, base, p.id, p.commit), True, what=what)
    if m := _PROPOSAL.match(text):
        if store is None:
            raise UsageError("undoing a proposal needs the feedback store")
        p = store.get_proposal(m["id"])
        pr = f", pull request {p.pr.forge}:{p.pr.id} {p.pr.url}" if p.pr else ""
        return _Target(_merged(repo, base, p.id, p.commit), True, what=f"proposal {p.id}{pr}")
    if m := _COMMIT.match(text):
        return _Target(_revision(repo, base, m["rev"]), True)
    if m := _LAST.match(text):
        ref, _ = locate(ws, m["res"])
        h = resource_history(repo, m["res"], settings=ws.settings, rev=base)
        if not h.entries:
            raise UsageError(f"no commit changed {ref}")
        return _Target(
            h.entries[0].commit, True, resource=m["res"], what=f"the last change to {ref}"
        )
    if m := _FIELD.match(text):
        ref, _ = locate(ws, m["res"])
        words = m["field"].strip().lower()
        inner = _FIELD_WORDS.get(words)
        if inner is not None:
            field = f"{pod_spec_path(ref.kind)}.containers.{inner}"
        elif words in ("replicas", "replica count", "scale"):
            field = "spec.replicas"
        else:
            field = words
        when = _revision(repo, base, m["when"])
        return _Target(when, False, resource=m["res"], field=field, what=f"{ref} {field}")
    if m := _WHOLE.match(text):
        ref, _ = locate(ws, m["res"])
        return _Target(_revision(repo, base, m["when"]), False, resource=m["res"], what=str(ref))
    return None


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], check=False, cwd=repo, capture_output=True, text=True)
    if proc.returncode != 0:
        raise UsageError(f"git {args[0]}: {proc.stderr.strip()}")
    return proc.stdout


_DATE_WORDS = {"last week": "1 week ago", "last month": "1 month ago", "last year": "1 year ago"}
_DATE = re.compile(r"^(?:\d{4}-\d{2}-\d{2}.*|yesterday|\d+\s+\w+\s+ago|last\s+\w+)$", re.I)


def _revision(repo: Path, base: str, when: str) -> str:
    """The commit ``when`` names: a commit or tag, else the base's last commit before a date."""
    when = when.strip().rstrip(".")
    proc = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{when}^{{commit}}"],
        check=False, cwd=repo, capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode == 0 and when.lower() not in _DATE_WORDS:
        return proc.stdout.strip()
    if not _DATE.match(when):
        raise UsageError(f"{when!r} is neither a commit, a tag nor a date (e.g. 2026-11-01)")
    before = _DATE_WORDS.get(when.lower(), when)
    sha = _git(repo, "rev-list", "-1", f"--before={before}", base).strip()
    if not sha:
        raise UsageError(f"the base branch has no commit before {when!r}")
    return sha


def _merged(repo: Path, base: str, proposal_id: str, commit: str | None) -> str:
    """The base-branch commit that brought a proposal in (its trailer, or its own commit)."""
    found = _git(
        repo, "log", "-1", "--format=%H", f"--grep=^{TRAILER}: {proposal_id}", base
    ).strip()
    if found:
        return found
    if (
        commit
        and subprocess.run(
            ["git", "merge-base", "--is-ancestor", commit, base],
            check=False,
            cwd=repo,
            capture_output=True,
        ).returncode
        == 0
    ):
        return commit
    raise UsageError(
        f"proposal {proposal_id} was never merged into the base branch: nothing to undo"
    )


def _docs(repo: Path, rev: str, file: str) -> list[Mapping[str, Any]]:
    proc = subprocess.run(
        ["git", "show", f"{rev}:{file}"], check=False, cwd=repo, capture_output=True
    )
    if proc.returncode != 0:
        return []
    try:
        return [d for d in load_all(decode(proc.stdout, file).text, file) if isinstance(d, Mapping)]
    except KubesmithError:
        return []


def _key(doc: Mapping[str, Any]) -> tuple[str, str]:
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    return str(doc.get("kind", "")), str(name or "")


def _by_key(docs: list[Mapping[str, Any]]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {_key(d): d for d in docs}


def _undo(repo: Path, base: str, ws: Workspace, t: _Target) -> list[Edit]:
    """Edits undoing commit ``t.commit`` (on ``t.resource`` only, when named), keeping later
    changes: a field changed again since is a conflict."""
    files = _git(repo, "diff-tree", "--no-commit-id", "-r", "--name-only", "-m",
                 "--first-parent", t.commit).split("\n")  # fmt: skip
    only: set[tuple[str, str]] | None = None
    if t.resource is not None:
        ref, _ = locate(ws, t.resource)
        only = {(ref.kind, ref.name)}
    edits: list[Edit] = []
    conflicts: list[str] = []
    for file in sorted({f for f in files if f}):
        before = _by_key(_docs(repo, f"{t.commit}^", file))
        after = _by_key(_docs(repo, t.commit, file))
        now = _by_key(_docs(repo, base, file))
        for key in [*before, *(k for k in after if k not in before)]:
            if (only is not None and key not in only) or before.get(key) == after.get(key):
                continue
            old, new, cur = before.get(key), after.get(key), now.get(key)
            since = diff_fields(new, cur)
            for change in diff_fields(new, old):
                later = [s for s in since if _overlaps(s.path, change.path)]
                if later:
                    conflicts.append(_explain(repo, base, ws, t.commit, file, key, later[0]))
                    continue
                edits.append(_edit(ws, file, key, change, old))
    if conflicts:
        raise RollbackConflict(
            "cannot roll back without overwriting later changes (nothing was written):\n  - "
            + "\n  - ".join(conflicts)
        )
    if not edits:
        raise UsageError(f"commit {t.commit[:7]} changed no manifest this rollback can undo")
    return edits


def _overlaps(a: str, b: str) -> bool:
    """True when field paths ``a`` and ``b`` are the same field or one holds the other."""
    return not a or not b or field_matches(a, b)


def _explain(
    repo: Path, base: str, ws: Workspace, commit: str, file: str, key: tuple[str, str],
    later: FieldChange,
) -> str:  # fmt: skip
    path = later.path or "(the whole resource)"
    who = ""
    if later.path:
        try:
            h = resource_history(repo, f"{key[0]}/{key[1]}", settings=ws.settings, rev=base,
                                 field_path=later.path)  # fmt: skip
        except UsageError:
            h = None
        newer = [e for e in (h.entries if h else ()) if e.commit != commit and e.file == file]
        if newer:
            e = newer[0]
            who = f" by {e.commit[:7]} ({e.author}, {e.date[:10]}: {e.subject!r})"
    return (f"{key[0]}/{key[1]} {path} in {file} was changed again{who} "
            f"(now {later.after!r}, the rolled-back commit set {later.before!r})")  # fmt: skip


def _edit(
    ws: Workspace, file: str, key: tuple[str, str], change: FieldChange,
    whole_then: Mapping[str, Any] | None,
) -> Edit:  # fmt: skip
    """The edit that turns ``change.before`` (now) back into ``change.after`` (then)."""
    if not change.path:  # the whole resource appears or disappears
        if whole_then is not None:
            return AddResource(file, dict(whole_then))
        doc = _doc(ws, file, key)
        return DeleteResource(doc.ref, file)
    ref = _doc(ws, file, key).ref
    if change.kind == "removed":
        return RemoveField(ref, change.path, file)
    return SetField(ref, change.path, change.after, file)


def _doc(ws: Workspace, file: str, key: tuple[str, str]) -> Any:
    docs = ws.find(kind=key[0], name=key[1], file=file, patches=True)
    if not docs:
        raise UsageError(f"{key[0]}/{key[1]} is no longer in {file}; roll back by hand")
    return docs[0]


def _restore(repo: Path, base: str, ws: Workspace, t: _Target) -> list[Edit]:
    """Edits putting ``t.resource`` (or its ``t.field``) back as it was at ``t.commit``."""
    assert t.resource is not None
    ref, docs = locate(ws, t.resource)
    key = (ref.kind, ref.name)
    edits: list[Edit] = []
    for file in sorted({d.file for d in docs}):
        then = _by_key(_docs(repo, t.commit, file)).get(key)
        now = _by_key(_docs(repo, base, file)).get(key)
        for change in diff_fields(now, then):
            if t.field is not None and not (change.path and field_matches(change.path, t.field)):
                continue
            edits.append(_edit(ws, file, key, change, then))
    if not edits:
        raise UsageError(
            f"{t.what or parse_resource(t.resource)[2]} is already as it was at {t.commit[:7]}"
        )
    return edits
