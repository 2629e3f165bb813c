"""The ``feedback`` eval suite: does kubesmith learn a team's conventions from review?

A simulated reviewer (:mod:`kubesmith.evals.reviewer`) with hidden conventions reviews a sequence
of offline-planner proposals on a copy of the example repository. It accepts, rejects with a
reason, or fixes the change and merges it. Everything it does goes into a real feedback store;
kubesmith mines candidate rules after each review, a simulated maintainer approves the
candidates that match what the team meant (and rejects the others), and the next proposals are
planned with the approved rules applied and rejected changes refused.

Reported: the acceptance rate over the first and the last 10 proposals, how many feedback events
(rejections and edits) it took, and the same run with learning switched off as a control.
"""

from __future__ import annotations

import difflib
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kubesmith.agent.conventions import refresh_rules
from kubesmith.agent.learning import PreviouslyRejected, apply_rules, check_not_rejected
from kubesmith.errors import KubesmithError
from kubesmith.evals.reviewer import HIDDEN_CONVENTIONS, Convention, SimulatedReviewer
from kubesmith.model import ChangeSet, Outcome, Proposal, PullRequest
from kubesmith.store import Store
from kubesmith.store.records import Rule

EXAMPLE_REPO = Path(__file__).resolve().parents[2] / "examples" / "manifests"

_DEPLOYS = ("checkout", "cart", "catalog", "payments")
_TEMPLATES = (
    "scale {d} to {n}",
    "set the memory limit of {d} to {m}",
    "set {d} cpu request to {c}",
    "add label release={r} to {d}",
    "set env LOG_FORMAT={f} on {d}",
    "set the memory request of {d} to {m}",
)
_EXTRA = (
    "scale redis to 3",
    "set the memory limit of redis to 512Mi",
    "set cart image to docker.io/shop/cart:2.1.0",
    "set checkout image to docker.io/shop/checkout:1.5.0",
    "set catalog image to nginx:1.25",
    "set the memory limit of cart cleanup to 96Mi",
    "add label release=canary to redis",
    "set payments image to docker.io/shop/payments:1.0.0",
)


def intents(count: int = 40, seed: int = 0) -> list[str]:
    """A shuffled, reproducible sequence of intents the offline planner understands."""
    rng = random.Random(seed)
    pool = list(_EXTRA)
    for t in _TEMPLATES:
        for d in _DEPLOYS:
            pool.append(
                t.format(
                    d=d,
                    n=rng.choice((2, 3, 4)),
                    m=rng.choice(("256Mi", "384Mi", "512Mi")),
                    c=rng.choice(("100m", "150m", "200m")),
                    r=rng.choice(("stable", "beta")),
                    f=rng.choice(("json", "text")),
                )
            )
    rng.shuffle(pool)
    while len(pool) < count:
        pool += pool[: count - len(pool)]
    return pool[:count]


def _maintainer_decides(store: Store, rules: list[Rule], meant: Sequence[Convention]) -> None:
    """Approve candidates that match a hidden convention's kind and identity; reject the rest."""
    for rule in rules:
        if rule.status != "candidate":
            continue
        match = any(
            c.kind == rule.kind
            and all(rule.params.get(k) == c.params.get(k) for k in ("key", "registry"))
            for c in meant
        )
        store.set_rule_status(rule.id, "approved" if match else "rejected")


def _follow_up(before: dict[str, str | None], after: dict[str, str | None]) -> str:
    """The reviewer's own edit as a git-style diff with generous context."""
    chunks = []
    for path, new in after.items():
        old = before.get(path) or ""
        if new == old:
            continue
        lines = difflib.unified_diff(
            old.splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            f"a/{path}",
            f"b/{path}",
            n=12,
        )
        chunks.append(f"diff --git a/{path} b/{path}\n" + "".join(lines))
    return "".join(chunks)


def _run(repo: Path, store: Store, sequence: list[str], learn: bool) -> list[dict[str, Any]]:
    from kubesmith.agent.learning import plan_context
    from kubesmith.agent.offline import OfflinePlanner
    from kubesmith.workspace import Workspace

    planner = OfflinePlanner()
    reviewer = SimulatedReviewer()
    log: list[dict[str, Any]] = []
    for i, intent in enumerate(sequence):
        ws = Workspace.load(repo)
        entry: dict[str, Any] = {"n": i + 1, "intent": intent}
        try:
            context = plan_context(store, intent) if learn else None
            changeset: ChangeSet = planner.plan(intent, ws, context=context)
            if learn:
                changeset = apply_rules(changeset, ws, store.list_rules(status="approved"))
            fp = check_not_rejected(store, changeset) if learn else ""
            changes = ws.apply(changeset)
        except PreviouslyRejected as e:
            entry.update(result="refused", reason=str(e))
            log.append(entry)
            continue
        except KubesmithError as e:
            entry.update(result="error", reason=str(e))
            log.append(entry)
            continue
        pid = uuid.uuid4().hex[:12]
        proposal = Proposal(
            pid, intent, planner.name, "main", f"kubesmith/eval-{pid}", None,
            tuple(changes), ws.diff(), fingerprint=fp,
        )  # fmt: skip
        store.save_proposal(proposal)
        review = reviewer.review(ws, changes)
        follow_up = ""
        if review.fixes:
            before = ws.modified_files()
            ws.apply(ChangeSet("reviewer's fix", review.fixes))
            follow_up = _follow_up(before, ws.modified_files())
        pr = PullRequest("eval", pid, "", review.verdict)
        store.record_outcome(Outcome(pid, pr, review.verdict, review.reason, (), follow_up))
        clean = review.verdict == "accepted" and not review.fixes
        entry.update(
            result="accepted"
            if clean
            else ("edited" if review.verdict == "accepted" else "rejected"),
            reason=review.reason,
            violated=list(review.violated),
            edits=len(changeset.edits),
        )
        log.append(entry)
        if learn and review.feedback:
            _maintainer_decides(store, refresh_rules(store), HIDDEN_CONVENTIONS)
    return log


def _rate(entries: list[dict[str, Any]]) -> float:
    return (
        round(sum(e["result"] == "accepted" for e in entries) / len(entries), 3) if entries else 0.0
    )


def run_feedback_suite(
    count: int = 40,
    seed: int = 0,
    repo: Path | None = None,
    store_url: str | None = None,
    control: bool = True,
) -> dict[str, Any]:
    """Run the suite; returns the report the eval CLI prints.

    Args:
        count: proposals in the sequence (at least 20, so first and last 10 do not overlap).
        seed: shuffles the intent sequence reproducibly.
        repo: the manifests repository to copy (default: examples/manifests).
        store_url: a store to use (default: a fresh SQLite file in a temporary folder); it must
            be empty, or earlier runs leak into this one.
        control: also run the same sequence without learning, for comparison.
    """
    if count < 20:
        raise ValueError("the feedback suite needs at least 20 proposals")
    source = repo or EXAMPLE_REPO
    sequence = intents(count, seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kubesmith-feedback-") as tmp:
        work = Path(tmp) / "repo"
        shutil.copytree(source, work)
        with Store.open(store_url or f"sqlite:///{Path(tmp) / 'store.db'}") as store:
            log = _run(work, store, sequence, learn=True)
            rules = store.list_rules()
        baseline: list[dict[str, Any]] = []
        if control:
            with Store.open(f"sqlite:///{Path(tmp) / 'control.db'}") as store:
                baseline = _run(work, store, sequence, learn=False)
    events = [e for e in log if e["result"] in ("rejected", "edited")]
    last_event = max((e["n"] for e in events), default=0)
    report: dict[str, Any] = {
        "suite": "feedback",
        "proposals": len(log),
        "hidden_conventions": len(HIDDEN_CONVENTIONS),
        "hidden_convention_kinds": sorted({c.kind for c in HIDDEN_CONVENTIONS}),
        "first10_acceptance": _rate(log[:10]),
        "last10_acceptance": _rate(log[-10:]),
        "feedback_events": len(events),
        "last_feedback_at": last_event,
        "refused_as_rejected_before": sum(e["result"] == "refused" for e in log),
        "errors": sum(e["result"] == "error" for e in log),
        "rules_approved": [f"{r.id} {r.kind}" for r in rules if r.status == "approved"],
        "rules_rejected": [f"{r.id} {r.kind}" for r in rules if r.status == "rejected"],
        "seconds": round(time.perf_counter() - started, 2),
        "log": log,
    }
    if control:
        report["control_first10_acceptance"] = _rate(baseline[:10])
        report["control_last10_acceptance"] = _rate(baseline[-10:])
    return report
