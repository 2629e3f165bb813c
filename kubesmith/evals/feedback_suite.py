"""The ``feedback`` eval suite: does kubesmith learn a team's conventions from review?

It runs the product, not a copy of it. A sequence of intents is proposed with the real agent
(:class:`~kubesmith.agent.loop.Agent`: planner context, the offline planner, approved rules,
the refusal of rejected changes, the validators the repository's settings name, repair rounds,
a commit on a new branch) into a real git repository in a temporary folder, each proposal opened
as a pull request on the local forge's review queue. A simulated reviewer reads each pull
request as the branch has it and answers through the same code as ``kubesmith review
accept|reject``: it accepts, rejects with a reason in words, or commits its own fix to the branch
and accepts (the merge records the fix as the follow-up diff). Accepted changes are merged, so
the repository evolves as a team's does. After each review that taught something, kubesmith
mines candidate rules from the store and a simulated maintainer approves the candidates that
match what the team meant (``kubesmith rules approve|reject`` does the same).

The control run is the same sequence on a fresh copy with learning off: the agent is given no
feedback store (no context, no rules, no refusals), while the forge still records every review.

Reported: acceptance (accepted untouched) over the first and the last 10 reviewed proposals,
how many feedback events (rejections and edits) it took and when the last one came, and the
control run's acceptance.

The reviewer is a plug-in (:class:`Reviewer`): any callable that reads a submitted pull request
and returns a :class:`Verdict`; :func:`simulated` adapts :mod:`kubesmith.evals.reviewer`.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kubesmith.agent.conventions import refresh_rules
from kubesmith.agent.factory import build_planner, open_validators
from kubesmith.agent.learning import PreviouslyRejected
from kubesmith.agent.loop import Agent
from kubesmith.config import Settings, load_settings
from kubesmith.errors import KubesmithError
from kubesmith.evals.reviewer import HIDDEN_CONVENTIONS, Convention, SimulatedReviewer
from kubesmith.evals.runner import EXAMPLE_REPO, git_init
from kubesmith.model import ChangeSet, Edit, Proposal
from kubesmith.store import Store
from kubesmith.store.records import Rule
from kubesmith.tools.forges.local import LocalForge
from kubesmith.tools.git import GitRepo
from kubesmith.workspace import GitTreeSource, Workspace

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
_REVIEWER = ["-c", "user.name=Reviewer", "-c", "user.email=reviewer@example.com"]


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


# --------------------------------------------------------------------------- the reviewer


@dataclass(frozen=True)
class Submitted:
    """A pull request as a reviewer sees it.

    Attributes:
        proposal: what kubesmith proposed (intent, changes, diff, findings, rationale).
        workspace: the manifests on the pull request's branch.
    """

    proposal: Proposal
    workspace: Workspace


@dataclass(frozen=True)
class Verdict:
    """A reviewer's answer to one pull request.

    Attributes:
        accepted: merge it (after ``fixes``, if any) or reject it.
        reason: why it is rejected, in the reviewer's own words.
        fixes: edits the reviewer commits to the branch before accepting.
        violated: the conventions it broke, for the log (never shown to kubesmith).
    """

    accepted: bool
    reason: str = ""
    fixes: tuple[Edit, ...] = ()
    violated: tuple[str, ...] = ()


class Reviewer(Protocol):
    """Reads a submitted pull request and answers with a verdict."""

    def __call__(self, submitted: Submitted) -> Verdict: ...


Maintainer = Callable[[Store, list[Rule]], None]
"""Decides candidate rules after mining (``kubesmith rules approve|reject``)."""


def simulated(reviewer: SimulatedReviewer | None = None) -> Reviewer:
    """The simulated reviewer of :mod:`kubesmith.evals.reviewer` as a :class:`Reviewer`."""
    judge = reviewer or SimulatedReviewer()

    def review(submitted: Submitted) -> Verdict:
        r = judge.review(submitted.workspace, submitted.proposal.changes)
        return Verdict(r.verdict == "accepted", r.reason, tuple(r.fixes), tuple(r.violated))

    return review


def maintainer_for(meant: Sequence[Convention] = HIDDEN_CONVENTIONS) -> Maintainer:
    """Approves candidates matching a convention the team meant (kind and identity), rejects the
    rest."""

    def decide(store: Store, rules: list[Rule]) -> None:
        for rule in rules:
            if rule.status != "candidate":
                continue
            match = any(c.matches(rule.kind, rule.params) for c in meant)
            store.set_rule_status(rule.id, "approved" if match else "rejected")

    return decide


# --------------------------------------------------------------------------- one run


def _commit_fix(
    git: GitRepo, settings: Settings, proposal: Proposal, fixes: Sequence[Edit]
) -> None:
    """Commit the reviewer's own edit on top of the pull request's branch, as a person would:
    check the branch out, change the files, commit, go back to the base."""
    assert proposal.branch is not None
    assert proposal.commit is not None
    ws = Workspace.load(git.root, settings, GitTreeSource(git.root, proposal.commit))
    ws.apply(ChangeSet("reviewer's fix", tuple(fixes)))
    git.run("switch", "-q", proposal.branch)
    try:
        for path, text in ws.modified_files().items():
            target = git.root / path
            if text is None:
                target.unlink()
            else:
                target.write_text(text, encoding="utf-8")
        git.run(*_REVIEWER, "commit", "-q", "-am", "Follow the team's conventions")
    finally:
        git.run("switch", "-q", proposal.base)


def _review(
    agent: Agent,
    forge: LocalForge,
    proposal: Proposal,
    reviewer: Reviewer,
    entry: dict[str, Any],
) -> bool:
    """Have ``reviewer`` answer the proposal's pull request through the review queue; True when
    the answer taught something (a rejection or an edit)."""
    assert proposal.pr is not None
    assert proposal.commit is not None
    git = forge.git
    branch = Workspace.load(git.root, agent.settings, GitTreeSource(git.root, proposal.commit))
    verdict = reviewer(Submitted(proposal, branch))
    entry.update(pr=proposal.pr.id, violated=list(verdict.violated), edits=len(proposal.changes))
    if not verdict.accepted:
        forge.reject(proposal.pr.id, verdict.reason or "rejected")
        entry.update(result="rejected", reason=verdict.reason)
        return True
    if verdict.fixes:
        _commit_fix(git, agent.settings, proposal, verdict.fixes)
    forge.accept(proposal.pr.id)
    entry["result"] = "edited" if verdict.fixes else "accepted"
    return bool(verdict.fixes)


def _run(
    repo: Path,
    store: Store,
    sequence: Sequence[str],
    *,
    learn: bool,
    reviewer: Reviewer,
    maintainer: Maintainer,
    on_entry: Callable[[dict[str, Any]], None],
) -> list[dict[str, Any]]:
    """Propose, review and (when ``learn``) learn from every intent of ``sequence`` in turn."""
    settings = load_settings(repo)
    forge = LocalForge(repo, store)
    log: list[dict[str, Any]] = []
    with open_validators(settings, repo) as validators:
        agent = Agent(
            repo=repo,
            settings=settings,
            planner=build_planner("offline", settings),
            validators=validators,
            forge=forge,
            store=store if learn else None,
            recorder=store,  # the review queue needs every pull request, learning or not
        )
        for n, intent in enumerate(sequence, 1):
            entry: dict[str, Any] = {"n": n, "intent": intent}
            log.append(entry)
            if _propose_and_review(agent, forge, intent, reviewer, entry) and learn:
                maintainer(store, refresh_rules(store))
            if not learn:
                entry["control"] = True
            on_entry(entry)
    return log


def _propose_and_review(
    agent: Agent, forge: LocalForge, intent: str, reviewer: Reviewer, entry: dict[str, Any]
) -> bool:
    """Propose ``intent`` and have it reviewed; True when the review taught something."""
    try:
        proposal = agent.propose(intent)
    except PreviouslyRejected as e:
        entry.update(result="refused", reason=str(e))
        return False
    except KubesmithError as e:
        entry.update(result="error", reason=str(e))
        return False
    if not proposal.changes:
        entry.update(result="unchanged", reason=proposal.rationale)
        return False
    if proposal.pr is None:
        errors = [f.message for f in proposal.findings if f.severity == "error"]
        entry.update(result="blocked", reason="; ".join(errors))
        return False
    return _review(agent, forge, proposal, reviewer, entry)


# --------------------------------------------------------------------------- the report

REVIEWED = ("accepted", "edited", "rejected")
"""Results of proposals that reached the reviewer; acceptance is measured over these."""


def _rate(entries: list[dict[str, Any]]) -> float:
    return (
        round(sum(e["result"] == "accepted" for e in entries) / len(entries), 3) if entries else 0.0
    )


def _ignore(_: dict[str, Any]) -> None:
    return None


def _copy(source: Path, into: Path) -> Path:
    """A committed copy of ``source`` as a git repository on ``main``."""
    shutil.copytree(source, into, ignore=shutil.ignore_patterns(".git"))
    git_init(into)
    return into


def run_feedback_suite(
    count: int = 40,
    seed: int = 0,
    repo: Path | None = None,
    store_url: str | None = None,
    control: bool = True,
    *,
    sequence: Sequence[str] | None = None,
    reviewer: Reviewer | None = None,
    maintainer: Maintainer | None = None,
    on_entry: Callable[[dict[str, Any]], None] | None = None,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Run the suite; returns the report the eval CLI prints.

    Args:
        count: proposals in the sequence (at least 20, so first and last 10 do not overlap).
        seed: shuffles the intent sequence reproducibly.
        repo: the manifests folder to copy (default: examples/manifests); its
            ``.kubesmith.yaml`` names the validators.
        store_url: a store to use for the learning run (default: the copy's own SQLite store);
            it must be empty, or earlier runs leak into this one.
        control: also run the same sequence without learning, for comparison.
        sequence: the intents to propose (default: :func:`intents` of ``count`` and ``seed``).
        reviewer: who reviews (default: :func:`simulated`).
        maintainer: who decides candidate rules (default: :func:`maintainer_for`).
        on_entry: called with each proposal's log entry when it is done (for progress).
        workdir: an empty or missing folder to keep the runs' repositories in (``learning/`` and
            ``control/``), to inspect them afterwards (``kubesmith review list --repo
            DIR/learning``); by default they are made in a temporary folder and removed.
    """
    if sequence is None:
        if count < 20:
            raise ValueError("the feedback suite needs at least 20 proposals")
        sequence = intents(count, seed)
    review = reviewer or simulated()
    decide = maintainer or maintainer_for()
    opts: dict[str, Any] = {
        "reviewer": review,
        "maintainer": decide,
        "on_entry": on_entry or _ignore,
    }
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        tmp = workdir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="kubesmith-feedback-"))
        )
        work = _copy(repo or EXAMPLE_REPO, Path(tmp) / "learning")
        with Store.open(store_url, work) as store:
            log = _run(work, store, sequence, learn=True, **opts)
            rules = store.list_rules()
        baseline: list[dict[str, Any]] = []
        if control:
            work = _copy(repo or EXAMPLE_REPO, Path(tmp) / "control")
            with Store.open(None, work) as store:
                baseline = _run(work, store, sequence, learn=False, **opts)
    reviewed = [e for e in log if e["result"] in REVIEWED]
    events = [e for e in log if e["result"] in ("rejected", "edited")]
    report: dict[str, Any] = {
        "suite": "feedback",
        "proposals": len(log),
        "reviewed": len(reviewed),
        "hidden_conventions": len(HIDDEN_CONVENTIONS),
        "hidden_convention_kinds": sorted({c.kind for c in HIDDEN_CONVENTIONS}),
        "first10_acceptance": _rate(reviewed[:10]),
        "last10_acceptance": _rate(reviewed[-10:]),
        "feedback_events": len(events),
        "last_feedback_at": max((e["n"] for e in events), default=0),
        "refused_as_rejected_before": sum(e["result"] == "refused" for e in log),
        "blocked": sum(e["result"] == "blocked" for e in log),
        "unchanged": sum(e["result"] == "unchanged" for e in log),
        "errors": sum(e["result"] == "error" for e in log),
        "rules_approved": [f"{r.id} {r.kind}" for r in rules if r.status == "approved"],
        "rules_rejected": [f"{r.id} {r.kind}" for r in rules if r.status == "rejected"],
        "seconds": round(time.perf_counter() - started, 2),
        "log": log,
    }
    if control:
        control_reviewed = [e for e in baseline if e["result"] in REVIEWED]
        report["control_first10_acceptance"] = _rate(control_reviewed[:10])
        report["control_last10_acceptance"] = _rate(control_reviewed[-10:])
        report["control_feedback_events"] = sum(
            e["result"] in ("rejected", "edited") for e in baseline
        )
    return report
