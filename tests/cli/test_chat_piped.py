"""Piped chat: a question left without an answer says what happened instead of ending silently."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def chat(repo: Path, lines: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBESMITH, "chat", "--repo", str(repo)],
        input=lines,
        capture_output=True,
        text=True,
        check=False,
    )


def test_pr_without_an_answer_says_it_was_not_opened(example_repo: Path) -> None:
    proc = chat(example_repo, "scale cart to 4\n/pr\n")
    assert proc.returncode == 0, proc.stderr
    assert "Open a pull request for 1 change(s)?" in proc.stdout  # the question is shown
    assert "Not opened" in proc.stdout
    assert "kubesmith/" not in git(example_repo, "branch")


def test_pr_answered_yes_opens_it(example_repo: Path) -> None:
    proc = chat(example_repo, "scale cart to 4\n/pr\ny\n")
    assert proc.returncode == 0, proc.stderr
    assert "Opened pull request" in proc.stdout
    assert "kubesmith/" in git(example_repo, "branch")
