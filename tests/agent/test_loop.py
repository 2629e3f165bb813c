"""The agent loop on real git repositories, with the real local forge and store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from kubesmith.agent.loop import Agent
from kubesmith.config import Settings
from kubesmith.errors import ForgeError, GitError, UsageError
from kubesmith.model import (
    ChangeSet,
    Finding,
    Manifest,
    Proposal,
    PullRequest,
    ResourceRef,
    SetField,
)
from kubesmith.store import Store
from kubesmith.tools.forges.local import LocalForge
from tests.conftest import git

PAYMENTS = ResourceRef("apps/v1", "Deployment", "payments")


class FixedPlanner:
    """Plans the same edits whatever the intent (the loop is under test, not planning)."""

    name = "fixed"

    def __init__(self, *edits: Any) -> None:
        self.edits = edits
        self.calls = 0

    def plan(self, intent: str, workspace: Any, **_: Any) -> ChangeSet:
        self.calls += 1
        return ChangeSet(intent, tuple(self.edits), planner=self.name, rationale="because")


class MaxReplicas:
    """Flags replicas above a bound: enough to exercise blocking."""

    name = "max-replicas"

    def validate(self, manifests: Sequence[Manifest]) -> list[Finding]:
        return [
            Finding(
                self.name, "error", "too many replicas", m.file, m.line_of("spec.replicas"), m.ref
            )
            for m in manifests
            if m.obj.get("spec", {}).get("replicas", 0) > 10
        ]


def agent(repo: Path, *edits: Any, forge: bool = True) -> Agent:
    store = Store.open(repo=repo)
    return Agent(
        repo=repo,
        settings=Settings(),
        planner=FixedPlanner(*edits),
        validators=[MaxReplicas()],
        forge=LocalForge(repo, store) if forge else None,
        store=store,
    )


@pytest.mark.slow
def test_proposal_makes_a_branch_and_a_local_pull_request(example_repo: Path) -> None:
    (example_repo / "base" / "cart" / "service.yaml").write_text("mine: true\n")  # dirty checkout
    head = git(example_repo, "rev-parse", "HEAD")
    p = agent(example_repo, SetField(PAYMENTS, "spec.replicas", 3)).propose("scale payments to 3")
    assert p.branch and p.branch.startswith("kubesmith/scale-payments-to-3-")
    assert p.commit and p.pr is not None and p.pr.status == "open"
    assert [(c.file, c.path, c.old, c.new) for c in p.changes] == [
        ("base/payments.yaml", "spec.replicas", 2, 3)
    ]
    assert "-  replicas: 2\n+  replicas: 3" in p.diff
    message = git(example_repo, "log", "-1", "--format=%B", p.branch)
    assert message.startswith("scale payments to 3\n")
    assert f"Kubesmith-Proposal: {p.id}" in message
    assert git(example_repo, "rev-parse", "HEAD") == head
    assert (example_repo / "base" / "cart" / "service.yaml").read_text() == "mine: true\n"
    assert git(example_repo, "diff", "--stat", "main", p.branch).count("|") == 1
    stored = Store.open(repo=example_repo).get_pull_request(p.pr.id)
    assert stored.branch == p.branch and "scale payments to 3" in stored.body


@pytest.mark.slow
def test_error_findings_block_the_proposal(example_repo: Path) -> None:
    branches = git(example_repo, "branch")
    p = agent(example_repo, SetField(PAYMENTS, "spec.replicas", 50)).propose("scale payments to 50")
    assert p.blocked and p.branch is None and p.pr is None
    assert p.findings[0].file == "base/payments.yaml" and p.findings[0].line
    assert git(example_repo, "branch") == branches


@pytest.mark.slow
def test_forced_proposal_opens_a_pull_request_marked_failing(example_repo: Path) -> None:
    p = agent(example_repo, SetField(PAYMENTS, "spec.replicas", 50)).propose(
        "scale payments to 50", force=True
    )
    assert p.blocked and p.pr is not None
    record = Store.open(repo=example_repo).get_pull_request(p.pr.id)
    assert record.title.startswith("[failing validation]")


def test_nothing_to_change_makes_no_branch(example_repo: Path) -> None:
    p = agent(example_repo, SetField(PAYMENTS, "spec.replicas", 2)).propose("scale payments to 2")
    assert p.changes == () and p.branch is None and p.pr is None


def test_empty_intent_is_refused(example_repo: Path) -> None:
    with pytest.raises(UsageError, match="empty"):
        agent(example_repo).propose("   ")


class BrokenForge:
    name = "broken"
    repository = ""

    def open_pr(self, proposal: Proposal, *, title: str, body: str) -> PullRequest:
        raise ForgeError("forge down")

    def comment(self, pr_id: str, body: str) -> None:
        raise ForgeError("forge down")

    def outcomes(self) -> list[Any]:
        return []


@pytest.mark.slow
def test_a_failing_forge_leaves_no_branch_behind(example_repo: Path) -> None:
    a = agent(example_repo, SetField(PAYMENTS, "spec.replicas", 3), forge=False)
    a.forge = BrokenForge()
    with pytest.raises(ForgeError):
        a.propose("scale payments to 3")
    assert "kubesmith/" not in git(example_repo, "branch")


@pytest.mark.slow
def test_accept_merges_and_reject_keeps_the_branch(example_repo: Path) -> None:
    a = agent(example_repo, SetField(PAYMENTS, "spec.replicas", 3))
    first = a.propose("scale payments to 3")
    assert isinstance(a.forge, LocalForge) and first.pr
    record = a.forge.accept(first.pr.id)
    assert record.pr.status == "accepted"
    assert "replicas: 3" in (example_repo / "base" / "payments.yaml").read_text()
    with pytest.raises(UsageError, match="already accepted"):
        a.forge.accept(first.pr.id)
    b = agent(example_repo, SetField(PAYMENTS, "spec.replicas", 4))
    second = b.propose("scale payments to 4")
    assert isinstance(b.forge, LocalForge) and second.pr and second.branch
    with pytest.raises(UsageError, match="reason"):
        b.forge.reject(second.pr.id, " ")
    rejected = b.forge.reject(second.pr.id, "we scale with the HPA")
    assert rejected.pr.status == "rejected" and rejected.reason == "we scale with the HPA"
    assert second.branch in git(example_repo, "branch")
    outcomes = {o.status: o for o in b.forge.outcomes()}
    assert outcomes["rejected"].reason == "we scale with the HPA"
    assert "accepted" in outcomes


@pytest.mark.slow
def test_accept_refuses_a_dirty_checkout(example_repo: Path) -> None:
    a = agent(example_repo, SetField(PAYMENTS, "spec.replicas", 3))
    p = a.propose("scale payments to 3")
    (example_repo / "base" / "payments.yaml").write_text("mine\n")
    assert isinstance(a.forge, LocalForge) and p.pr
    with pytest.raises(GitError, match="uncommitted"):
        a.forge.accept(p.pr.id)
    assert (example_repo / "base" / "payments.yaml").read_text() == "mine\n"
    assert a.forge.get(p.pr.id).pr.status == "open"


@pytest.mark.slow
def test_findings_the_base_already_had_do_not_block(example_repo: Path) -> None:
    path = example_repo / "base" / "payments.yaml"
    path.write_text(path.read_text().replace("replicas: 2", "replicas: 20"))
    git(example_repo, "commit", "-qam", "too many replicas already")
    p = agent(example_repo, SetField(PAYMENTS, "metadata.annotations.owner", "orders")).propose(
        "annotate payments with owner=orders"
    )
    assert not p.blocked and p.pr is not None
    # (the same finding in the base file and where the overlays render it)
    assert {(f.severity, f.message, f.preexisting) for f in p.findings} == {
        ("warning", "too many replicas", True)
    }
    worse = agent(example_repo, SetField(PAYMENTS, "spec.replicas", 30)).propose("scale to 30")
    assert not worse.blocked  # same finding as before: the change did not cause it


@pytest.mark.slow
def test_a_rejected_change_is_not_proposed_again_unless_forced(example_repo: Path) -> None:
    a = agent(example_repo, SetField(PAYMENTS, "spec.replicas", 7))
    first = a.propose("scale payments to 7")
    assert isinstance(a.forge, LocalForge) and first.pr and first.fingerprint
    a.forge.reject(first.pr.id, "we never run 7 replicas")
    branches = git(example_repo, "branch")
    with pytest.raises(UsageError, match="we never run 7 replicas"):
        agent(example_repo, SetField(PAYMENTS, "spec.replicas", 7)).propose("payments to 7 please")
    assert git(example_repo, "branch") == branches
    forced = agent(example_repo, SetField(PAYMENTS, "spec.replicas", 7)).propose(
        "scale payments to 7", force=True
    )
    assert forced.pr is not None and forced.fingerprint == first.fingerprint


class GivesUp:
    """First plans a change that fails validation, then returns no edits on the repair round."""

    name = "gives-up"

    def plan(self, intent: str, workspace: Any, **kw: Any) -> ChangeSet:
        if kw.get("previous") is None:
            return ChangeSet(intent, (SetField(PAYMENTS, "spec.replicas", 50),), planner=self.name)
        return ChangeSet(intent, (), planner=self.name, rationale="I give up")


@pytest.mark.slow
def test_a_planner_giving_up_on_repair_leaves_the_blocked_attempt(example_repo: Path) -> None:
    a = agent(example_repo)
    a.planner = GivesUp()
    p = a.propose("scale payments to 50")
    assert p.blocked and p.changes and p.branch is None
    assert any(f.message == "too many replicas" for f in p.findings)


@pytest.mark.slow
def test_the_same_change_proposed_again_is_the_open_pull_request(example_repo: Path) -> None:
    first = agent(example_repo, SetField(PAYMENTS, "spec.replicas", 5)).propose(
        "scale payments to 5"
    )
    branches = git(example_repo, "branch")
    again = agent(example_repo, SetField(PAYMENTS, "spec.replicas", 5)).propose(
        "payments: 5 replicas"
    )
    assert again.pr is not None and first.pr is not None
    assert (again.pr.id, again.branch, again.commit) == (first.pr.id, first.branch, first.commit)
    assert git(example_repo, "branch") == branches
    assert len(Store.open(repo=example_repo).list_pull_requests(status="open")) == 1
