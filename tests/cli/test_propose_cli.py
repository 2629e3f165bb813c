"""The `kubesmith` command as a user runs it: exit codes, JSON output, messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubesmith.cli.main import _register, cli
from tests.conftest import git

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


def run(*args: str) -> tuple[int, str, str]:
    _register()
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
def test_propose_json_has_the_documented_shape(example_repo: Path) -> None:
    proc = subprocess.run(
        [KUBESMITH, "propose", "scale payments to 3", "--repo", str(example_repo), "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    for key in (
        "id",
        "intent",
        "planner",
        "base",
        "branch",
        "commit",
        "changes",
        "diff",
        "findings",
        "pr",
    ):
        assert key in data
    change = data["changes"][0]
    assert {k: change[k] for k in ("file", "operation", "path", "old", "new")} == {
        "file": "base/payments.yaml",
        "operation": "set",
        "path": "spec.replicas",
        "old": 2,
        "new": 3,
    }
    assert change["ref"]["name"] == "payments"
    assert data["pr"]["forge"] == "local" and data["pr"]["status"] == "open"
    assert data["branch"] in git(example_repo, "branch")


@pytest.mark.slow
def test_review_flow_from_the_command_line(example_repo: Path) -> None:
    code, out, _ = run("propose", "scale checkout to 4", "--repo", str(example_repo), "-o", "json")
    assert code == 0
    pr_id = json.loads(out)["pr"]["id"]
    code, out, _ = run("review", "list", "--repo", str(example_repo), "-o", "json")
    assert code == 0 and [p["id"] for p in json.loads(out)["pull_requests"]] == [pr_id]
    code, out, _ = run("review", "show", pr_id, "--repo", str(example_repo))
    assert code == 0 and "replicas: 4" in out
    code, out, _ = run("review", "accept", pr_id, "--repo", str(example_repo), "-o", "json")
    assert code == 0 and json.loads(out)["status"] == "accepted"
    assert "replicas: 4" in (example_repo / "base" / "checkout.yaml").read_text()


def test_unknown_reference_exits_2_and_writes_nothing(example_repo: Path) -> None:
    before = git(example_repo, "branch")
    code, _, err = run("propose", "scale warehouse to 3", "--repo", str(example_repo))
    assert code == 2
    assert "warehouse" in err
    assert git(example_repo, "branch") == before


def test_not_a_git_repository_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run("propose", "scale checkout to 3", "--repo", str(tmp_path))
    assert code == 2 and "not a git repository" in err


def test_reject_needs_a_reason(example_repo: Path) -> None:
    code, _, err = run("review", "reject", "abc", "--repo", str(example_repo))
    assert code == 2 and "--reason" in err


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and "kubesmith" in out
    code, out, _ = run("propose", "--help")
    assert code == 0 and "Exit codes" in out
