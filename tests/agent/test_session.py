"""Chat sessions: command parsing, merging turns, and a conversation ending in a local PR."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesmith.agent.loop import open_agent
from kubesmith.agent.session import ChatSession, merge_edits, parse_command
from kubesmith.errors import UsageError
from kubesmith.model import ResourceRef, SetField
from tests.conftest import git

CHECKOUT = ResourceRef("apps/v1", "Deployment", "checkout")


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


def test_conversation_refines_one_change_then_opens_a_pr(example_repo: Path) -> None:
    session = ChatSession(open_agent(example_repo, planner="offline"))
    first = session.turn("scale checkout to 3")
    assert [c.new for c in first.changes] == [3]
    second = session.turn("set its memory limit to 512Mi")  # no resource named: the focus is used
    assert {c.path for c in second.changes} == {
        "spec.replicas",
        "spec.template.spec.containers[name=checkout].resources.limits.memory",
    }
    session.turn("scale checkout to 4")
    assert sorted(str(c.new) for c in session.changes) == ["4", "512Mi"]
    assert session.undo()
    assert sorted(str(c.new) for c in session.changes) == ["3", "512Mi"]
    with pytest.raises(UsageError):
        session.turn("frobnicate the flux capacitor")
    assert len(session.changes) == 2  # a failed turn changes nothing
    assert git(example_repo, "branch").strip() == "* main"  # nothing written before /pr
    proposal = session.open_pr()
    assert proposal.pr is not None and proposal.branch
    assert proposal.intent == "scale checkout to 3; set its memory limit to 512Mi"
    shown = git(example_repo, "show", f"{proposal.branch}:base/checkout.yaml")
    assert "replicas: 3" in shown and "memory: 512Mi" in shown
    assert session.changes == [] and session.turns == []
    with pytest.raises(UsageError, match="nothing to propose"):
        session.open_pr()
