"""Chat sessions: command parsing, merging turns, a conversation ending in a local PR, and the
agent's steps in chat (learned rules, rejected changes, repair rounds)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from kubesmith.agent.conventions import refresh_rules
from kubesmith.agent.learning import PreviouslyRejected
from kubesmith.agent.loop import Agent, open_agent
from kubesmith.agent.offline import OfflinePlanner
from kubesmith.agent.session import ChatSession, merge_edits, parse_command
from kubesmith.config import Settings
from kubesmith.errors import UsageError
from kubesmith.model import ChangeSet, Finding, Manifest, ResourceRef, SetField
from kubesmith.store import Store
from kubesmith.tools.forges.local import LocalForge
from tests.conftest import git

CHECKOUT = ResourceRef("apps/v1", "Deployment", "checkout")
# Not patched by an overlay: an edit to it shows where it is deployed.
PAYMENTS = ResourceRef("apps/v1", "Deployment", "payments")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/pr", ("/pr", "")),
        ("/pr  Bump checkout ", ("/pr", "Bump checkout")),
        ("/QUIT", ("/quit", "")),
        ("/exit", ("/quit", "")),
        ("/?", ("/help", "")),
        ("/feedback we always set limits", ("/feedback", "we always set limits")),
        ("scale checkout to 3", None),
        ("  ", None),
    ],
)
def test_parse_command(line: str, expected: tuple[str, str] | None) -> None:
    assert parse_command(line) == expected


def test_unknown_command_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"unknown command /frobnicate.*/diff"):
        parse_command("/frobnicate")


def test_a_later_edit_to_the_same_field_replaces_the_earlier_one() -> None:
    three = SetField(CHECKOUT, "spec.replicas", 3)
    four = SetField(CHECKOUT, "spec.replicas", 4)
    label = SetField(CHECKOUT, "metadata.labels.team", "orders")
    assert merge_edits((three, label), (four,)) == (label, four)


@pytest.mark.slow
def test_conversation_refines_one_change_then_opens_a_pr(example_repo: Path) -> None:
    session = ChatSession(open_agent(example_repo, planner="offline"))
    first = session.turn("scale payments to 3")
    assert [c.new for c in first.changes] == [3]
    second = session.turn("set its memory limit to 512Mi")  # no resource named: the focus is used
    assert {c.path for c in second.changes} == {
        "spec.replicas",
        "spec.template.spec.containers[name=payments].resources.limits.memory",
    }
    session.turn("scale payments to 4")
    assert sorted(str(c.new) for c in session.changes) == ["4", "512Mi"]
    assert session.undo()
    assert sorted(str(c.new) for c in session.changes) == ["3", "512Mi"]
    with pytest.raises(UsageError):
        session.turn("frobnicate the flux capacitor")
    assert len(session.changes) == 2  # a failed turn changes nothing
    assert git(example_repo, "branch").strip() == "* main"  # nothing written before /pr
    proposal = session.open_pr()
    assert proposal.pr is not None and proposal.branch
    assert proposal.intent == "scale payments to 3; set its memory limit to 512Mi"
    shown = git(example_repo, "show", f"{proposal.branch}:base/payments.yaml")
    assert "replicas: 3" in shown and "memory: 512Mi" in shown
    assert session.changes == [] and session.turns == []
    with pytest.raises(UsageError, match="nothing to propose"):
        session.open_pr()


# ---------------------------------------------------------------- chat runs the agent's steps


def _store_agent(repo: Path, planner: object | None = None, *validators: object) -> Agent:
    store = Store.open(repo=repo)
    return Agent(
        repo=repo,
        settings=Settings(),
        planner=planner or OfflinePlanner(),  # type: ignore[arg-type]
        validators=list(validators),  # type: ignore[arg-type]
        forge=LocalForge(repo, store),
        store=store,
    )


@pytest.mark.slow
def test_a_rule_reviewers_taught_shapes_a_chat_proposal(example_repo: Path) -> None:
    # A reviewer rejects a proposal in words; the rule mined from it is approved.
    agent = _store_agent(example_repo)
    first = agent.propose("scale cart to 3")
    assert isinstance(agent.forge, LocalForge) and first.pr is not None
    agent.forge.reject(first.pr.id, "needs label team=payments")
    assert agent.store is not None
    mined = [r for r in refresh_rules(agent.store) if r.kind == "required_label"]
    assert [r.params for r in mined] == [{"key": "team", "value": "payments"}]
    agent.store.set_rule_status(mined[0].id, "approved")

    session = ChatSession(_store_agent(example_repo))
    result = session.turn("scale payments to 3")
    assert ("metadata.labels.team", "payments") in {(c.path, c.new) for c in result.changes}
    assert "Team convention" in result.rationale
    proposal = session.open_pr()
    assert proposal.branch is not None
    shown = git(example_repo, "show", f"{proposal.branch}:base/payments.yaml")
    assert "team: payments" in shown and "replicas: 3" in shown


@pytest.mark.slow
def test_chat_refuses_a_change_reviewers_rejected_unless_kept(example_repo: Path) -> None:
    agent = _store_agent(example_repo)
    first = agent.propose("scale payments to 7")
    assert isinstance(agent.forge, LocalForge) and first.pr is not None
    agent.forge.reject(first.pr.id, "we never run 7 replicas")

    session = ChatSession(_store_agent(example_repo))
    with pytest.raises(PreviouslyRejected, match="we never run 7 replicas"):
        session.turn("payments to 7 replicas please")
    assert (session.edits, session.diff(), session.changes) == ((), "", [])
    session.turn("set the memory limit of cart to 256Mi")
    before = (session.edits, session.diff())
    # a turn that fails leaves the pending change as it was
    with pytest.raises(UsageError):
        session.turn("frobnicate the flux capacitor")
    assert (session.edits, session.diff()) == before
    # merged with a pending edit it is another change (as in propose): not refused
    kept = session.turn("scale payments to 7")
    assert {c.new for c in kept.changes} == {7, "256Mi"}

    alone = ChatSession(_store_agent(example_repo))
    with pytest.raises(PreviouslyRejected):
        alone.turn("scale payments to 7")
    alone.turn("scale payments to 7", force=True)  # the user insists
    proposal = alone.open_pr()  # publish does not refuse what the user chose to keep
    assert proposal.pr is not None and proposal.fingerprint == first.fingerprint


class MaxReplicas:
    """Flags replicas above 10."""

    name = "max-replicas"

    def validate(self, manifests: Sequence[Manifest]) -> list[Finding]:
        return [
            Finding(self.name, "error", "at most 10 replicas", m.file, 1, m.ref)
            for m in manifests
            if m.obj.get("spec", {}).get("replicas", 0) > 10
        ]


class Repairs:
    """Plans 50 replicas; asked to repair, plans 10. Records what each round was given."""

    name = "scripted"

    def __init__(self) -> None:
        self.rounds: list[tuple[str, ...]] = []

    def plan(self, intent: str, workspace: object, **kw: Any) -> ChangeSet:
        self.rounds.append(tuple(f.message for f in kw.get("findings", ())))
        n = 10 if kw.get("previous") is not None else 50
        return ChangeSet(intent, (SetField(PAYMENTS, "spec.replicas", n),), planner=self.name)


@pytest.mark.slow
def test_a_validation_error_in_chat_triggers_a_repair_round(example_repo: Path) -> None:
    planner = Repairs()
    session = ChatSession(_store_agent(example_repo, planner, MaxReplicas()))
    result = session.turn("scale payments way up")
    # the error (in the base file, and where overlays render it) went back to the planner
    assert [set(r) for r in planner.rounds] == [set(), {"at most 10 replicas"}]
    assert result.rounds == 2
    assert [c.new for c in result.changes] == [10]
    assert not any(f.severity == "error" for f in result.findings)
    assert session.edits == (SetField(PAYMENTS, "spec.replicas", 10),)
