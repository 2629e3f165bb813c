"""A path the system refuses (a missing folder, a file where a folder should be) is a message,
never a traceback, and still one JSON object with ``-o json``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "args",
    [
        ("feedback", "export", "--file", "{blocker}/out.json"),
        ("rules", "policy", "--write", "{blocker}/learned.yaml"),
    ],
)
def test_unwritable_output_paths(example_repo: Path, tmp_path: Path, args: tuple[str, ...]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    argv = [a.format(blocker=blocker) for a in args]
    proc = subprocess.run(
        [KUBESMITH, *argv, "--repo", str(example_repo), "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    data = json.loads(proc.stdout)
    assert str(blocker) in data["message"]
    assert "error:" in proc.stderr


def test_a_damaged_store_says_what_to_do(example_repo: Path) -> None:
    store = example_repo / ".git" / "kubesmith" / "store.db"
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text("not a database\n")
    proc = subprocess.run(
        [KUBESMITH, "review", "list", "--repo", str(example_repo), "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    message = json.loads(proc.stdout)["message"]
    assert "file is not a database" in message
    assert "sqlalche.me" not in message and "\n" not in message
    assert "move it aside" in message
