"""Proposals are made from the committed base: a user with uncommitted edits or a detached
HEAD is told what kubesmith used and what to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def propose(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBESMITH, "propose", "scale cart to 3", "--repo", str(repo), "--no-pr"],
        capture_output=True,
        text=True,
        check=False,
    )


def test_uncommitted_edits_are_pointed_out(example_repo: Path) -> None:
    service = example_repo / "base" / "cart" / "service.yaml"
    service.write_text(service.read_text() + "# my edit\n")
    proc = propose(example_repo)
    assert proc.returncode == 0, proc.stderr
    assert "uncommitted changes" in proc.stderr and "not part of" in proc.stderr
    assert service.read_text().endswith("# my edit\n")  # still there, untouched


def test_a_clean_checkout_gets_no_such_note(example_repo: Path) -> None:
    proc = propose(example_repo)
    assert proc.returncode == 0, proc.stderr
    assert "uncommitted" not in proc.stderr


def test_a_detached_head_says_where_to_set_the_base(example_repo: Path) -> None:
    git(example_repo, "checkout", "-q", "--detach")
    proc = propose(example_repo)
    assert proc.returncode == 2
    assert "forge.base_branch in .kubesmith.yaml" in proc.stderr
