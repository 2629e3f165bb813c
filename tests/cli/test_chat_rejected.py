"""Piped chat: a change reviewers rejected is kept only when the user says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kubesmith.agent.loop import open_agent
from kubesmith.tools.forges.local import LocalForge
from tests.conftest import git

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))

# Starts the kubesmith CLI (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def chat(repo: Path, lines: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBESMITH, "chat", "--repo", str(repo)],
        input=lines,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_rejected_change_asks_before_it_is_kept(example_repo: Path) -> None:
    agent = open_agent(example_repo, planner="offline")
    first = agent.propose("scale payments to 7")
    assert isinstance(agent.forge, LocalForge) and first.pr is not None
    agent.forge.reject(first.pr.id, "we never run 7 replicas")
    branches = git(example_repo, "branch")

    refused = chat(example_repo, "scale payments to 7\nn\n/pr\ny\n")
    assert refused.returncode == 0, refused.stderr
    assert "we never run 7 replicas" in refused.stderr
    assert "Keep this change anyway?" in refused.stdout and "Not kept" in refused.stdout
    assert "Nothing to propose yet" in refused.stdout
    assert git(example_repo, "branch") == branches

    kept = chat(example_repo, "scale payments to 7\ny\n/pr\ny\n")
    assert kept.returncode == 0, kept.stderr
    assert "Opened pull request" in kept.stdout
    assert git(example_repo, "branch") != branches
