"""Proposing the same change twice says which open pull request already has it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def propose(repo: Path, intent: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBESMITH, "propose", intent, "--repo", str(repo), *extra],
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_second_identical_proposal_names_the_open_one(example_repo: Path) -> None:
    first = propose(example_repo, "scale cart to 4", "-o", "json")
    assert first.returncode == 0, first.stderr
    first_id = json.loads(first.stdout)["pr"]["id"]
    again = propose(example_repo, "set cart replicas to 4")  # other words, same change
    assert again.returncode == 0, again.stderr
    assert f"pull request {first_id} (open) already proposes this exact change" in again.stderr


def test_a_different_change_gets_no_such_note(example_repo: Path) -> None:
    assert propose(example_repo, "scale cart to 4").returncode == 0
    other = propose(example_repo, "scale cart to 5")
    assert other.returncode == 0, other.stderr
    assert "already proposes" not in other.stderr
