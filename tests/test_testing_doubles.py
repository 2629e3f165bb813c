"""kubesmith.testing.InMemoryForge honours the forge contract, so users can test with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesmith.agent.loop import open_agent
from kubesmith.errors import ForgeError
from kubesmith.model import Outcome
from kubesmith.testing import InMemoryForge
from kubesmith.tools.forges.base import Forge


def test_in_memory_forge_with_the_real_agent(example_repo: Path) -> None:
    forge = InMemoryForge()
    assert isinstance(forge, Forge)
    agent = open_agent(example_repo, planner="offline")
    agent.forge = forge
    p = agent.propose("scale checkout to 3")
    assert p.pr is not None and p.pr.forge == "memory"
    stored = forge.pull_requests[p.pr.id]
    assert stored["branch"] == p.branch and "scale checkout to 3" in stored["body"]
    forge.comment(p.pr.id, "looks good")
    assert stored["comments"] == ["looks good"]
    forge.record(Outcome(p.id, p.pr, "accepted"))
    assert [o.status for o in forge.outcomes()] == ["accepted"]
    with pytest.raises(ForgeError):
        forge.comment("404", "nobody")


def test_opening_the_same_branch_twice_updates_one_pull_request(example_repo: Path) -> None:
    forge = InMemoryForge()
    agent = open_agent(example_repo, planner="offline")
    agent.forge = None
    p = agent.propose("scale checkout to 3")
    first = forge.open_pr(p, title="one", body="b1")
    second = forge.open_pr(p, title="two", body="b2")
    assert first.id == second.id and forge.opened == 1
    assert forge.pull_requests[first.id]["title"] == "two"
