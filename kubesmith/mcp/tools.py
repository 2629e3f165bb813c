"""What the MCP server's tools do, as plain synchronous calls on :class:`Workbench`.

Every tool goes through the agent's named steps (:class:`kubesmith.agent.loop.Agent`) and the
one validation path, so a change planned from a coding agent is planned, applied, proven and
validated exactly as ``kubesmith propose`` does it. Nothing here writes to a cluster. The only
write, :meth:`Workbench.open_pr`, publishes a proposal planned earlier in the same server, through
``Agent.publish``; asking the user first is the server's job (:mod:`kubesmith.mcp.confirmation`).

What goes back to the client is redacted as the CLI's output is (Secret values masked), and text
that comes from the repository (diffs, rendered objects, files) is fenced as untrusted data with
the LLM path's fence, so a manifest cannot speak to the client's model as kubesmith.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kubesmith.agent.attempt import Attempt
from kubesmith.agent.effect import prove
from kubesmith.agent.factory import open_validators
from kubesmith.agent.llm.context import RepoView
from kubesmith.agent.llm.safety import Redactor, delimit
from kubesmith.agent.loop import Agent, Base, open_agent
from kubesmith.config import Settings, load_settings
from kubesmith.errors import UsageError
from kubesmith.model import Proposal, to_json
from kubesmith.store import PullRequestRecord, Store
from kubesmith.store.redact import redact_proposal

JSONObject = dict[str, Any]

KEEP = 64
"""Planned proposals kept per server; the oldest is forgotten first (a long-running HTTP server
must not grow without bound). A forgotten id is refused by ``open_pr`` like an unknown one."""


@dataclass(frozen=True)
class Planned:
    """A change planned by ``propose_change`` and kept (uncommitted) until ``open_pr``."""

    id: str
    agent: Agent
    base: Base
    intent: str
    attempt: Attempt

    @property
    def blocked(self) -> bool:
        """True when an error finding stands: such a change becomes no pull request (the rule
        of ``Proposal.blocked``, which ``Agent.publish`` applies)."""
        return any(f.severity == "error" for f in self.attempt.findings)


def _fence(text: str, label: str) -> str:
    return delimit(text, label) if text else ""


def _tidy(intent: str) -> str:
    """Spaces tidied within each line; lines stay apart (each is its own request), as propose."""
    return "\n".join(" ".join(line.split()) for line in intent.splitlines() if line.strip())


class Workbench:
    """One repository served over MCP, and the proposals planned in this server's lifetime.

    Args:
        repo: the repository's git working tree (never modified: proposals are committed
            straight into git objects, on a new branch, by ``open_pr`` only).
        settings: the repository's settings (read from it when not given).
    """

    def __init__(self, repo: Path, settings: Settings | None = None) -> None:
        self.repo = repo.resolve()
        self.settings = settings if settings is not None else load_settings(self.repo)
        self._planned: OrderedDict[str, Planned] = OrderedDict()
        self._lock = threading.Lock()  # tools run in worker threads

    # ------------------------------------------------------------------ helpers

    def _settings_for(self, repo: Path) -> Settings:
        return self.settings if repo == self.repo else load_settings(repo)

    @contextlib.contextmanager
    def _agent(self, repo: Path | None = None) -> Iterator[Agent]:
        where = self.repo if repo is None else repo.resolve()
        settings = self._settings_for(where)
        with open_validators(settings, where) as validators:
            yield open_agent(where, settings=settings, validators=validators)

    def _store(self) -> Store:
        return Store.open(self.settings.store_url, self.repo)

    # ------------------------------------------------------------------ tools

    def propose_change(self, intent: str, repo: str | None = None) -> JSONObject:
        """Plan, apply, prove and validate ``intent``; commit nothing, keep it by id."""
        intent = _tidy(intent)
        if not intent:
            raise UsageError("the intent is empty; say what to change, e.g. 'scale checkout to 3'")
        where = Path(repo).expanduser() if repo else None
        with self._agent(where) as agent:
            base = agent.load_base()
            attempt = agent.plan_and_repair(intent, base, context=agent.gather_context(intent))
        planned = Planned(uuid.uuid4().hex[:12], agent, base, intent, attempt)
        changes = attempt.changes
        proposal = Proposal(
            id=planned.id,
            intent=intent,
            planner=attempt.changeset.planner,
            base=base.name,
            branch=None,
            commit=None,
            changes=changes,
            diff=base.workspace.diff() if changes else "",
            findings=attempt.findings,
            usage=attempt.changeset.usage,
            rationale=attempt.changeset.rationale,
            iterations=attempt.rounds,
            questions=attempt.changeset.questions,
            rendered_diff=prove(base.workspace, changes).rendered_diff if changes else "",
        )
        if changes:
            with self._lock:
                self._planned[planned.id] = planned
                while len(self._planned) > KEEP:
                    self._planned.popitem(last=False)
        public = redact_proposal(proposal)
        return {
            "proposal_id": planned.id if changes else None,
            "intent": public.intent,
            "planner": public.planner,
            "base": public.base,
            "blocked": planned.blocked,
            "can_open_pr": bool(changes) and not planned.blocked,
            "rationale": public.rationale,
            "questions": list(public.questions),
            "changes": [to_json(c) for c in public.changes],
            "diff": _fence(public.diff, "diff"),
            "rendered_diff": _fence(public.rendered_diff, "rendered diff"),
            "findings": [to_json(f) for f in public.findings],
        }

    def planned(self, proposal_id: str) -> Planned:
        """The change ``propose_change`` planned under ``proposal_id``.

        Raises:
            UsageError: no such proposal in this server (unknown, or its pull request is open).
        """
        with self._lock:
            found = self._planned.get(proposal_id)
        if found is None:
            raise UsageError(
                f"no proposal {proposal_id!r} in this server: call propose_change first and pass "
                "the proposal_id it returns (each proposal opens one pull request)"
            )
        if found.blocked:
            raise UsageError(
                f"proposal {proposal_id} has error findings and cannot become a pull request; "
                "change the intent and call propose_change again"
            )
        return found

    def open_pr(self, proposal_id: str) -> JSONObject:
        """Commit the planned change to a new branch and open its pull request (the write)."""
        with self._lock:
            planned = self._planned.pop(proposal_id, None)
        if planned is None:
            raise UsageError(f"no proposal {proposal_id!r} in this server (or already opened)")
        a = planned.attempt
        try:
            proposal = planned.agent.publish(
                planned.base, planned.intent, a.changeset, a.changes, a.findings,
                iterations=a.rounds, open_pr=True,
            )  # fmt: skip
        except BaseException:
            with self._lock:  # nothing was published: it may be tried again
                self._planned.setdefault(proposal_id, planned)
            raise
        public = redact_proposal(proposal)
        pr = public.pr
        return {
            "proposal_id": proposal_id,
            "branch": public.branch,
            "commit": public.commit,
            "pull_request": None if pr is None else to_json(pr),
            "review": None if pr is None else f"kubesmith review show {pr.id}",
        }

    def validate(self, paths: list[str] | None = None) -> JSONObject:
        """The one validation path on the checkout (or ``paths`` in it): findings as JSON."""
        from kubesmith.agent.validation import validate
        from kubesmith.agent.validation.report import render_json

        targets = [self._inside(p) for p in paths or []]
        with open_validators(self.settings, self.repo) as validators:
            report = validate(self.repo, validators, self.settings, paths=targets)
        return render_json(list(report.findings), files=len(report.files))

    def render(self, overlay: str | None = None) -> JSONObject:
        """What the kustomization in ``overlay`` (a folder; default the repository root)
        renders, one fenced YAML document per object, secrets masked."""
        import yaml

        from kubesmith.agent.validation.rendering import render

        folder = self._inside(overlay or ".").relative_to(self.repo).as_posix()
        manifests = render(self.repo, "" if folder == "." else folder)
        redactor = Redactor()
        objects = []
        for m in manifests:
            text = yaml.safe_dump(redactor.scan(m.obj), sort_keys=False, allow_unicode=True)
            objects.append({"resource": str(m.ref), "yaml": delimit(text, str(m.ref))})
        return {"overlay": folder, "objects": objects}

    def explain(self, intent: str) -> JSONObject:
        """What ``intent`` would touch — resources, files, fields — with nothing validated or
        written (the edits are applied to an in-memory copy only, to locate them)."""
        intent = _tidy(intent)
        if not intent:
            raise UsageError("the intent is empty; say what to change, e.g. 'scale checkout to 3'")
        agent = open_agent(self.repo, settings=self.settings, validators=[])
        base = agent.load_base()
        changeset = agent.apply_learned_rules(
            agent.plan(intent, base, context=agent.gather_context(intent)), base
        )
        changes = base.workspace.apply(changeset)
        touched = [
            {"file": c.file, "resource": str(c.ref) if c.ref else None,
             "operation": c.operation, "field": c.path}
            for c in changes
        ]  # fmt: skip
        return {
            "intent": intent,
            "planner": changeset.planner,
            "rationale": changeset.rationale,
            "questions": list(changeset.questions),
            "touches": touched,
            "files": sorted({c.file for c in changes}),
        }

    def review_list(self, status: str = "all") -> JSONObject:
        """The local review queue, newest first."""
        records = self._store().list_pull_requests(None if status == "all" else status)
        return {"pull_requests": [_record(r) for r in records]}

    def review_show(self, pr_id: str) -> JSONObject:
        """One pull request of the review queue: its record, body and (fenced) diff."""
        store = self._store()
        record = store.get_pull_request(pr_id)
        proposal = redact_proposal(store.get_proposal(record.proposal_id))
        return {
            **_record(record),
            "body": delimit(record.body, "pull request body"),
            "diff": _fence(proposal.diff, "diff"),
            "findings": [to_json(f) for f in proposal.findings],
        }

    def history(self, resource: str, field: str | None = None) -> JSONObject:
        """Every commit that changed ``resource`` (optionally one field), newest first."""
        from kubesmith.agent.history import resource_history

        h = resource_history(
            self.repo, resource, settings=self.settings, field_path=field, store=self._store()
        )
        return {
            "resource": str(h.resource),
            "files": list(h.files),
            "field": h.field,
            "entries": [_history_entry(asdict(e)) for e in h.entries],
        }

    # ------------------------------------------------------------------ resources

    def manifest_files(self) -> list[str]:
        """The repository's manifest and kustomization files at the base branch."""
        return _manifest_files(self._base_workspace())

    def manifest_text(self, path: str) -> str:
        """One manifest file as the base branch has it, secrets masked, fenced."""
        ws = self._base_workspace()
        if path not in _manifest_files(ws):
            raise UsageError(f"no manifest {path!r} in the repository")
        return delimit(RepoView(ws, Redactor()).file_text(path), path)

    def _base_workspace(self) -> Any:
        return open_agent(self.repo, settings=self.settings, validators=[]).load_base().workspace

    def _inside(self, path: str) -> Path:
        """``path`` (relative to the repository) resolved, refusing anything outside it."""
        full = (self.repo / path).resolve()
        if full != self.repo and self.repo not in full.parents:
            raise UsageError(f"{path!r} is outside the repository {self.repo}")
        if not full.exists():
            raise UsageError(f"{path!r} does not exist in the repository")
        return full


def _manifest_files(ws: Any) -> list[str]:
    return sorted({*(d.file for d in ws.documents), *(k.file for k in ws.kustomizations)})


def _record(r: PullRequestRecord) -> JSONObject:
    return {
        "id": r.pr.id, "forge": r.pr.forge, "status": r.pr.status, "title": r.title,
        "url": r.pr.url, "proposal_id": r.proposal_id, "base": r.base, "branch": r.branch,
        "reason": r.reason, "created_at": r.created_at, "updated_at": r.updated_at,
    }  # fmt: skip


def _history_entry(entry: JSONObject) -> JSONObject:
    """A history entry with its commit subject fenced (commit messages are repository text)."""
    return {**entry, "subject": delimit(str(entry.get("subject", "")), "commit subject")}


__all__ = ["Planned", "Workbench"]
