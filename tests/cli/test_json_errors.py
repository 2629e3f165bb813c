"""A platform engineer's scripts parse ``-o json``: every failure must still be one JSON object.

Usage errors are raised by click before a command runs (a missing argument, a bad choice, an
unknown option), so they are checked here through the real entry point.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KUBESMITH, *args], capture_output=True, text=True, check=False, cwd=cwd)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("propose", "-o", "json"), "INTENT"),
        (("propose", "scale x to 3", "--planner", "bogus", "--output", "json"), "--planner"),
        (("review", "show", "--output=json"), "PR_ID"),
        (("review", "reject", "abc", "-o", "json"), "--reason"),
        (("validate", "no-such-file.yaml", "-o", "json"), "does not exist"),
        (("eval", "--suite", "bogus", "-ojson"), "--suite"),
        (("rules", "list", "--no-such-flag", "-o", "json"), "--no-such-flag"),
    ],
)
def test_usage_errors_print_one_json_object(
    tmp_path: Path, args: tuple[str, ...], needle: str
) -> None:
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    assert data["error"] == "UsageError"
    assert needle in data["message"]
    assert "Usage:" in proc.stderr  # people still get click's usage text


def test_usage_errors_without_json_keep_stdout_empty(tmp_path: Path) -> None:
    proc = run("propose", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Missing argument" in proc.stderr


def test_an_unknown_command_with_json_is_json(tmp_path: Path) -> None:
    proc = run("frobnicate", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 2
    assert "frobnicate" in json.loads(proc.stdout)["message"]


def test_shell_completion_still_completes_commands(tmp_path: Path) -> None:
    env = {"COMP_WORDS": "kubesmith rev", "COMP_CWORD": "1", "_KUBESMITH_COMPLETE": "bash_complete"}
    proc = subprocess.run(
        [KUBESMITH], capture_output=True, text=True, check=False, cwd=tmp_path, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "plain,review" in proc.stdout.splitlines()


def test_sandbox_refuses_a_timeout_it_cannot_meet(tmp_path: Path) -> None:
    proc = run("sandbox", "up", "--dir", str(tmp_path / "sb"), "--timeout", "0", "-o", "json")
    assert proc.returncode == 2
    assert "--timeout" in json.loads(proc.stdout)["message"]
    assert not (tmp_path / "sb").exists()  # nothing started, nothing written
