"""A long eval run shows its progress on stderr even when stderr is not a terminal (CI logs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def eval_run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBESMITH, "eval", "--suite", "builtin", "--limit", "2", "-j", "1", *extra],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )


def test_each_task_is_reported_on_stderr(tmp_path: Path) -> None:
    proc = eval_run(tmp_path, "--output-dir", str(tmp_path / "run"))
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("eval ")]
    assert [ln.split()[1] for ln in lines] == ["1/2", "2/2"]
    assert "report:" in proc.stdout


def test_json_mode_keeps_stdout_one_object(tmp_path: Path) -> None:
    proc = eval_run(tmp_path, "--output-dir", str(tmp_path / "run"), "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tasks"] == 2
