"""Scores one task: propose it with the real agent, then check the branch it made."""

from __future__ import annotations

import fnmatch
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubesmith.agent.loop import open_agent
from kubesmith.config import load_settings
from kubesmith.errors import IntentNotUnderstood, KubesmithError
from kubesmith.evals.score import (
    get_value,
    kv_wildcard_score,
    load_candidate,
    present,
    side_edits,
    values_match,
)
from kubesmith.evals.tasks import Expectation, Task
from kubesmith.model import Proposal
from kubesmith.workspace import GitTreeSource, Workspace

if TYPE_CHECKING:
    from kubesmith.evals.runner import RunConfig


def _parse_ref(ref: str) -> tuple[str, str | None, str]:
    parts = ref.split("/")
    if len(parts) == 2:
        return parts[0], None, parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    raise ValueError(f"expectation ref {ref!r} is not Kind/name or Kind/namespace/name")


def check_expectation(ws: Workspace, e: Expectation) -> tuple[bool, str, float | None]:
    """Does ``e`` hold in ``ws``? Returns (ok, explanation, kv score when one was computed).

    ``ref: file:PATH`` addresses the first document of a file that is not a Kubernetes object
    (a kustomization, say).
    """
    if e.ref.startswith("file:"):
        yf = ws.files.get(e.ref[5:])
        data = yf.documents[0].data if yf is not None and yf.documents else None
        value = get_value(data, e.path) if e.path else data
        if not e.exists:
            return not present(value), f"{e.ref} {e.path} absent: {not present(value)}", None
        ok = present(value) and (e.equals is None or values_match(e.equals, value))
        return ok, f"{e.ref} {e.path} = {value if present(value) else 'missing'!r}", None
    if e.kv_match is not None:
        # The candidate is every document of the repository, as the benchmark scores a whole
        # answer; a file that does not parse scores 0.
        candidate = load_candidate([ws.files[f].text for f in sorted(ws.files)])
        if candidate is None or ws.errors:
            return False, "key-value match 0.00 (a file does not parse)", 0.0
        score = kv_wildcard_score(str(e.kv_match["reference"]), candidate)
        return score >= 1.0, f"key-value wildcard match {score:.2f}", score
    kind, ns, name = _parse_ref(e.ref)
    docs = ws.find(kind=kind, name=name, namespace=ns, file=e.file, patches=e.file is not None)
    if not docs:
        return (not e.exists), f"{e.ref} {'missing' if e.exists else 'absent'}", None
    if e.path is None:
        return e.exists, f"{e.ref} {'exists' if e.exists else 'still exists'}", None
    value = get_value(docs[0].obj, e.path)
    if not e.exists:
        return (
            not present(value),
            f"{e.ref} {e.path} {'absent' if not present(value) else 'present'}",
            None,
        )
    if not present(value):
        return False, f"{e.ref} {e.path} missing", None
    ok = e.equals is None or values_match(e.equals, value)
    return ok, f"{e.ref} {e.path} = {value!r}" + ("" if ok else f" (expected {e.equals!r})"), None


def _why(proposal: Proposal, success: bool) -> dict[str, str]:
    """A short reason for a failed proposal: its blocking findings, or why nothing changed."""
    if success:
        return {}
    if proposal.blocked:
        errors = [f for f in proposal.findings if f.severity == "error"]
        text = "; ".join(f"{f.validator}: {f.message}" for f in errors[:3])
        return {"message": f"blocked by {text}"[:300]}
    if not proposal.changes:
        first = proposal.rationale.strip().splitlines()[:1]
        return {"message": (first[0] if first else "no change proposed")[:300]}
    return {}


def score_task(task: Task, repo: Path, config: RunConfig) -> dict[str, Any]:
    """Propose ``task.intent`` on ``repo`` and score the result."""
    settings = load_settings(repo).merged(
        **{"llm.model": config.model, "llm.max_iterations": task.max_iterations}
    )
    agent = open_agent(
        repo, planner="offline" if config.replay else config.planner, settings=settings
    )
    agent.forge = None  # the branch is scored; no pull request is needed
    try:
        with ExitStack() as stack:
            if config.replay:
                from kubesmith.evals.replay import ReplaySource, replay_planner, replay_server

                server = stack.enter_context(replay_server(task, ReplaySource.parse(config.replay)))
                agent.planner = replay_planner(config.planner, settings, server.base_url)
            proposal = agent.propose(task.intent, open_pr=False)
    except IntentNotUnderstood as e:
        return {"status": "unsupported", "success": False, "message": str(e).splitlines()[0]}
    except KubesmithError as e:
        return {"status": "fail", "success": False, "message": str(e).splitlines()[0]}
    base_sha = agent.load_base().sha
    head = Workspace.load(repo, settings, GitTreeSource(repo, proposal.commit or base_sha))
    base = Workspace.load(repo, settings, GitTreeSource(repo, base_sha))
    checks = [check_expectation(head, e) for e in task.expect]
    fields_ok = all(ok for ok, _, _ in checks)
    allowed = [
        (e.ref.split("/")[0] + "/" + e.ref.split("/")[-1], e.allow or e.path) for e in task.expect
    ]
    # A reference answer (CloudEval) is the whole desired output: what else changed is part of
    # its key-value score, not a side edit.
    kv_task = any(e.kv_match is not None for e in task.expect)
    sides = [] if kv_task else side_edits(base, head, allowed)
    changed = {c.file for c in proposal.changes}
    if task.may_change is not None:
        sides += [
            f"{f}: file may not change"
            for f in sorted(changed)
            if not any(fnmatch.fnmatch(f, g) for g in task.may_change)
        ]
    valid = {
        v: not any(f.validator == v and f.severity == "error" for f in proposal.findings)
        for v in task.validators
    }
    success = fields_ok and not sides and all(valid.values()) and not proposal.blocked
    kv = [score for _, _, score in checks if score is not None]
    return {
        "status": "success" if success else "fail",
        "success": success,
        "handled_by": proposal.planner,
        "fields_ok": fields_ok,
        "side_edit_free": not sides,
        "side_edits": sides[:10],
        "valid": valid,
        "blocked": proposal.blocked,
        # effect proof (kubesmith.agent.effect): an edit that does not show where it is deployed
        "effect_errors": sum(
            f.validator == "effect" and f.severity == "error" for f in proposal.findings
        ),
        "iterations": proposal.iterations,
        "tokens_in": proposal.usage.tokens_in,
        "tokens_out": proposal.usage.tokens_out,
        "cost_usd": proposal.usage.cost_usd,
        "model_calls": proposal.usage.calls,
        "changes": len(proposal.changes),
        "checks": [text for _, text, _ in checks],
        **_why(proposal, success),
        **({"kv_score": sum(kv) / len(kv)} if kv else {}),
    }
