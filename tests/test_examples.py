"""The examples run in the test suite, so they never rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, git

# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def test_library_example_runs_end_to_end(example_repo: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "library.py"), str(example_repo)],
        capture_output=True, text=True, check=False, cwd=ROOT / "examples",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "deployments" in proc.stdout and "accepted and merged" in proc.stdout
    assert "memory: 256Mi" in (example_repo / "base" / "cart" / "deployment.yaml").read_text()
    assert "Merge kubesmith/" in git(example_repo, "log", "-1", "--format=%s")


def test_make_run_demo_proposes_and_opens_a_local_pr(example_repo: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "run_demo.py"), "--repo", str(example_repo)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "+  replicas: 3" in proc.stdout
    assert "pull request" in proc.stdout and "open" in proc.stdout
    assert git(example_repo, "branch", "--list", "kubesmith/*").strip()
