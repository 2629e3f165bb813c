"""`kubesmith chat` in a real pseudo-terminal, and with piped input, ending in a local PR."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import git

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def test_two_turns_diff_and_pr_in_a_terminal(example_repo: Path) -> None:
    env = {**os.environ, "TERM": "dumb", "PROMPT_TOOLKIT_NO_CPR": "1", "NO_COLOR": "1"}
    child = pexpect.spawn(
        KUBESMITH, ["chat", "--repo", str(example_repo)], env=env, encoding="utf-8", timeout=60
    )
    try:
        child.expect("kubesmith chat on")
        child.expect("kubesmith> ")
        child.sendline("scale payments to 3")
        child.expect("1 pending change")
        child.expect("kubesmith> ")
        child.sendline("set its memory limit to 512Mi")
        child.expect("2 pending change")
        child.expect("kubesmith> ")
        child.sendline("/diff")
        child.expect(r"\+\s+memory: 512Mi")
        child.expect("kubesmith> ")
        child.sendline("/pr")
        child.expect(r"Open a pull request for 2 change\(s\)\? \[y/N\]")
        child.sendline("y")
        child.expect(r"Opened pull request (\w+) on the local forge")
        pr_id = child.match.group(1)
        child.expect("kubesmith> ")
        child.sendline("/quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    listed = subprocess.run(
        [KUBESMITH, "review", "list", "--repo", str(example_repo), "-o", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert [p["id"] for p in json.loads(listed.stdout)["pull_requests"]] == [pr_id]
    history = Path(git(example_repo, "rev-parse", "--git-common-dir").strip())
    history = history if history.is_absolute() else example_repo / history
    assert "scale payments to 3" in (history / "kubesmith" / "chat_history").read_text()


def test_piped_conversation(example_repo: Path) -> None:
    script = "scale cart to 5\n/frobnicate\n/pr\nn\n/pr Scale cart\nyes\n"
    proc = subprocess.run(
        [KUBESMITH, "chat", "--repo", str(example_repo)],
        input=script, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "unknown command /frobnicate" in proc.stderr
    assert "Not opened" in proc.stdout
    assert "Opened pull request" in proc.stdout
    branches = git(example_repo, "branch", "--list", "kubesmith/*").split()
    assert len(branches) == 1 and branches[0].startswith("kubesmith/scale-cart")
