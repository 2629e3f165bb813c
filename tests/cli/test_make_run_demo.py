"""`make run` ends with commands that can be pasted as they are: the real pull request id."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def test_next_steps_name_the_pull_request(example_repo: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "run_demo.py"), "--repo", str(example_repo)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    listed = subprocess.run(
        [KUBESMITH, "review", "list", "--repo", str(example_repo), "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    [pr] = json.loads(listed.stdout)["pull_requests"]
    next_steps = proc.stdout.split("Next:", 1)[1]
    assert f"review show {pr['id']} --repo" in next_steps
    assert f"review accept {pr['id']} --repo" in next_steps
    assert " ID " not in next_steps
