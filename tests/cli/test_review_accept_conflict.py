"""Accepting a proposal that conflicts with its checked-out base leaves the checkout as it was."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def kubesmith(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBESMITH, *args, "--repo", str(repo), "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )


def pr_id(repo: Path, intent: str) -> str:
    proc = kubesmith(repo, "propose", intent)
    assert proc.returncode == 0, proc.stderr
    return str(json.loads(proc.stdout)["pr"]["id"])


def test_conflicting_accept_touches_nothing(example_repo: Path) -> None:
    first, second = pr_id(example_repo, "scale cart to 4"), pr_id(example_repo, "scale cart to 5")
    assert kubesmith(example_repo, "review", "accept", first).returncode == 0
    head = git(example_repo, "rev-parse", "HEAD")
    proc = kubesmith(example_repo, "review", "accept", second)
    assert proc.returncode == 1
    message = json.loads(proc.stdout)["message"]
    assert "conflicts" in message and "nothing was merged" in message
    assert "in base/cart/deployment.yaml;" in message
    assert git(example_repo, "status", "--porcelain") == ""  # no half-done merge left behind
    assert git(example_repo, "rev-parse", "HEAD") == head
    assert not (example_repo / ".git" / "MERGE_HEAD").exists()
    listed = json.loads(kubesmith(example_repo, "review", "list").stdout)["pull_requests"]
    assert {p["id"]: p["status"] for p in listed}[second] == "open"
