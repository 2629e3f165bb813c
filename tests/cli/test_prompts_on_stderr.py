"""Questions the CLI asks go to stderr, so ``-o json`` output stays one parseable object."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def test_forget_all_asks_on_stderr_and_keeps_json_clean(example_repo: Path) -> None:
    proc = subprocess.run(
        [KUBESMITH, "feedback", "forget", "--all", "--repo", str(example_repo), "-o", "json"],
        input="n\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Forget the whole review history?" in proc.stderr
    data = json.loads(proc.stdout)
    assert "--yes" in data["message"]  # says how to go ahead without the question
