"""Races and crashes around proposals and reviews, with real processes on a real repository.

One decision per pull request (accept and reject racing: one wins, the other is told), one pull
request per change (identical proposals at once), and what a killed run leaves is cleaned up by
the next one.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kubesmith.store import Store
from tests.conftest import git

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))

# Starts processes (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBESMITH, *args, "--repo", str(repo)], capture_output=True, text=True, check=False
    )


def start(repo: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [KUBESMITH, *args, "--repo", str(repo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def propose(repo: Path, intent: str) -> str:
    done = run(repo, "propose", intent, "-o", "json")
    assert done.returncode == 0, done.stderr
    pr_id: str = json.loads(done.stdout)["pr"]["id"]
    return pr_id


def test_accept_and_reject_at_once_one_decision_wins(example_repo: Path) -> None:
    for replicas in (4, 5, 6, 7):
        pr_id = propose(example_repo, f"scale cart to {replicas}")
        main_before = git(example_repo, "rev-parse", "main").strip()
        procs = [
            start(example_repo, "review", "accept", pr_id),
            start(example_repo, "review", "reject", pr_id, "--reason", "not this week"),
        ]
        results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
        codes = [code for code, _, _ in results]
        assert sorted(codes) == [0, 2], results
        assert "already" in results[codes.index(2)][2]
        shown = json.loads(run(example_repo, "review", "show", pr_id, "-o", "json").stdout)
        main_after = git(example_repo, "rev-parse", "main").strip()
        if codes[0] == 0:  # accepted: merged, and no rejection recorded
            assert (shown["status"], shown["reason"]) == ("accepted", "")
            assert main_after != main_before
        else:  # rejected: the reason is kept and nothing was merged
            assert (shown["status"], shown["reason"]) == ("rejected", "not this week")
            assert main_after == main_before


def test_two_accepts_at_once_merge_once(example_repo: Path) -> None:
    pr_id = propose(example_repo, "scale cart to 4")
    procs = [start(example_repo, "review", "accept", pr_id) for _ in range(2)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert sorted(code for code, _, _ in results) == [0, 2], results
    assert not any("stash" in err for _, _, err in results)
    merges = git(example_repo, "log", "--merges", "--format=%s", "main").splitlines()
    assert len(merges) == 1


def test_four_identical_proposals_at_once_open_one_pull_request(example_repo: Path) -> None:
    procs = [start(example_repo, "propose", "scale catalog to 5", "-o", "json") for _ in range(4)]
    outs = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    assert all(code == 0 for code, _, _ in outs), outs
    listed = json.loads(run(example_repo, "review", "list", "-o", "json").stdout)
    assert len(listed["pull_requests"]) == 1
    ids = {json.loads(out)["pr"]["id"] for _, out, _ in outs}
    assert ids == {listed["pull_requests"][0]["id"]}
    branches = git(example_repo, "branch", "--list", "kubesmith/*").split()
    assert len(branches) == 1


def test_what_a_killed_run_left_is_cleaned_up_by_the_next(example_repo: Path) -> None:
    """A run killed after creating its branch, before recording its pull request, leaves a
    claim, a branch no review knows of, and its scratch index folder."""
    git(example_repo, "branch", "kubesmith/scale-cart-to-9-deadbee", "main")
    tip = git(example_repo, "rev-parse", "main").strip()
    tree = git(example_repo, "rev-parse", "main^{tree}").strip()
    commit = subprocess.run(
        ["git", "commit-tree", tree, "-p", tip, "-m", "scale cart\n\nKubesmith-Proposal: deadbeef0001"],
        cwd=example_repo, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    git(example_repo, "update-ref", "refs/heads/kubesmith/scale-cart-to-9-deadbee", commit)
    with Store.open(repo=example_repo) as store:
        key = {"forge": "local", "repository": "", "base": "main", "fingerprint": "x"}
        assert store.claim_change("deadbeef0001", **key) is None
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE change_claims SET created_at = '2020-01-01T00:00:00'")
    dead = subprocess.run(["true"], check=True)  # a finished process: its pid is free
    scratch = example_repo / ".git" / "kubesmith" / "tmp" / f"index-{2**22 + 7}-x1"
    scratch.mkdir(parents=True)
    assert dead.returncode == 0
    propose(example_repo, "scale cart to 4")
    branches = git(example_repo, "branch", "--list", "kubesmith/*").split()
    assert "kubesmith/scale-cart-to-9-deadbee" not in branches
    assert len(branches) == 1
    assert not scratch.exists()
    with Store.open(repo=example_repo) as store:
        assert store.stale_claims(older_than=0) == []


def test_a_branch_named_kubesmith_is_named_in_the_error(example_repo: Path) -> None:
    git(example_repo, "branch", "kubesmith", "main")
    done = run(example_repo, "propose", "scale cart to 4")
    assert done.returncode == 2, done.stderr
    assert "a branch named 'kubesmith' exists" in done.stderr
    assert "git branch -m kubesmith" in done.stderr
    assert "Traceback" not in done.stderr


def _read_only_git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run kubesmith with the repository's .git read-only: a read-only bind mount in a private
    mount namespace as root (root ignores permissions), else write permission removed."""
    dot_git = str(repo / ".git")
    command = [KUBESMITH, *args, "--repo", str(repo)]
    if os.geteuid() != 0:
        for path in [repo / ".git", *(repo / ".git").rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False)
        finally:
            for path in [repo / ".git", *(repo / ".git").rglob("*")]:
                path.chmod(path.stat().st_mode | 0o200)
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare(1): cannot make .git read-only")
    script = (
        f"mount --bind {shlex.quote(dot_git)} {shlex.quote(dot_git)} && "
        f"mount -o remount,ro,bind {shlex.quote(dot_git)} && exec {shlex.join(command)}"
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, check=False
    )
    if "mount:" in done.stderr or "unshare:" in done.stderr:
        pytest.skip(f"cannot make .git read-only here: {done.stderr.strip()}")
    return done


@pytest.mark.parametrize("store_exists", [False, True])
def test_a_read_only_git_directory_is_named_in_the_error(
    example_repo: Path, store_exists: bool
) -> None:
    if store_exists:
        assert run(example_repo, "review", "list").returncode == 0  # creates the store
    done = _read_only_git(example_repo, "propose", "scale cart to 4")
    assert done.returncode == 2, done.stderr
    assert "must be writable" in done.stderr, done.stderr
    assert "damaged" not in done.stderr
    assert "Traceback" not in done.stderr
