"""A check the user asked for that could not run is shown, never folded into "already there"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def test_propose_shows_a_dry_run_that_did_not_happen(example_repo: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            KUBESMITH,
            "propose",
            "scale payments to 3",
            "--repo",
            str(example_repo),
            "--no-pr",
            "--dry-run",
            "server",
            "--kubeconfig",
            str(tmp_path / "missing-kubeconfig"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    summary = proc.stdout.split("replicas: 3", 1)[1]
    assert "dry-run not performed" in summary
    assert "missing-kubeconfig" in summary
