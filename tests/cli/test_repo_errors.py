"""Pointing kubesmith at the wrong folder gets a message that says what is wrong and what to do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_REPO, git

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def propose_json(repo: Path, cwd: Path | None = None) -> tuple[int, dict[str, object]]:
    proc = subprocess.run(
        [KUBESMITH, "propose", "scale cart to 3", "--repo", str(repo), "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    return proc.returncode, json.loads(proc.stdout)


def test_a_repository_without_commits_says_to_commit(tmp_path: Path) -> None:
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    code, data = propose_json(repo)
    assert code == 2
    message = str(data["message"])
    assert "no commits yet" in message and "git commit" in message


def test_a_subfolder_of_a_repository_names_the_top(example_repo: Path) -> None:
    code, data = propose_json(Path("base"), cwd=example_repo)
    assert code == 2
    message = str(data["message"])
    assert "not a git repository" not in message
    assert f"--repo {example_repo}" in message


def test_a_missing_folder_says_it_does_not_exist(tmp_path: Path) -> None:
    code, data = propose_json(tmp_path / "nowhere")
    assert code == 2
    assert "does not exist" in str(data["message"])


def test_a_folder_outside_git_still_says_git_init(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "cm.yaml").write_text((EXAMPLE_REPO / "base" / "shop-config.yaml").read_text())
    code, data = propose_json(plain)
    assert code == 2
    assert "git init" in str(data["message"])


def test_an_unknown_pull_request_points_at_the_list(example_repo: Path) -> None:
    for verb in (["show"], ["accept"], ["reject", "--reason", "no"]):
        proc = subprocess.run(
            [KUBESMITH, "review", *verb, "zzzz", "--repo", str(example_repo), "-o", "json"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 2
        message = json.loads(proc.stdout)["message"]
        assert "kubesmith review list" in message and "on local in" not in message
