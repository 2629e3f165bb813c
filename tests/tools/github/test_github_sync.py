"""`review sync`: merged/closed state, verdicts, comments and reviewers' own commits into the store."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kubesmith.model import Proposal, PullRequest
from kubesmith.store import Store
from kubesmith.tools.forges.github import Pusher, sync_outcomes
from kubesmith.tools.git import GitRepo
from tests.tools.github.conftest import (
    BRANCH,
    PID,
    GitHubHarness,
    make_proposal,
    reviewer_commit_on_top,
)

URL = "https://ghe.example.com/acme/manifests/pull/"


def _record(store: Store, p: Proposal, number: int) -> None:
    pr = PullRequest("github", str(number), f"{URL}{number}", title=p.intent)
    store.save_proposal(replace(p, pr=pr))
    assert p.branch is not None
    store.save_pull_request(p.id, pr, title=p.intent, body="", base="main", branch=p.branch)


def seed(repo: Path, bare: Path, tmp: Path) -> tuple[Proposal, str]:
    """Three pull requests kubesmith opened: #7 (pushed, a reviewer added a commit), #8, #9."""
    store = Store.open(repo=repo)
    p7 = make_proposal(repo)
    assert p7.commit is not None
    Pusher(GitRepo(repo)).push(BRANCH, p7.commit, proposal_id=PID, protected={"main"})
    theirs = reviewer_commit_on_top(bare, tmp)
    _record(store, p7, 7)
    p8 = make_proposal(repo, pid="bbbbbbb11111", intent="scale checkout to 5", replicas=5)
    _record(store, p8, 8)
    p9 = Proposal(
        id="ccccccc22222",
        intent="give cart a memory limit",
        planner="fixed",
        base="main",
        branch="kubesmith/give-cart-a-memory-limit-ccccccc",
        commit="c0ffee" * 6 + "c0ff",
        changes=(),
        diff="",
    )
    _record(store, p9, 9)
    return p7, theirs


def test_sync_reads_outcomes_into_the_store(
    gh: GitHubHarness, remote_repo: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, bare = remote_repo
    p7, _ = seed(repo, bare, tmp_path)
    forge = gh.forge(repo)
    with gh.cassette("sync") as cassette:
        outcomes = {o.pr.id: o for o in sync_outcomes(forge)}
    assert cassette.all_played
    assert set(outcomes) == {"7", "8", "9"}

    merged = outcomes["7"]
    assert (merged.status, merged.proposal_id) == ("accepted", p7.id)
    assert [(c.author, c.verdict, c.file, c.line) for c in merged.comments] == [
        ("bob", "approved", None, None),
        ("bob", None, "deploy/checkout.yaml", 6),
        ("carol", None, None, None),
    ]
    assert "+  minReadySeconds: 5" in merged.follow_up_diff  # read from the remote with git
    assert not any("kubesmith:validation" in c.body for c in merged.comments)

    closed = outcomes["8"]
    assert closed.status == "rejected"
    assert closed.reason == "Checkout is capped at 4 replicas by the HPA; close this."
    assert closed.follow_up_diff == ""

    deleted_branch = outcomes["9"]
    assert deleted_branch.status == "accepted"
    assert "+              memory: 512Mi" in deleted_branch.follow_up_diff  # from GitHub's compare
    compare = next(s for s in gh.sent if "/compare/" in s.path)
    assert compare.headers["accept"] == "application/vnd.github.diff"

    store = Store.open(repo=repo)
    statuses = {r.pr.id: (r.pr.status, r.reason) for r in store.list_pull_requests(forge="github")}
    assert statuses["7"] == ("accepted", "")
    assert statuses["8"][0] == "rejected" and "HPA" in statuses["8"][1]
    assert {o.pr.id for o in store.outcomes()} >= {"7", "8", "9"}

    gh.sent.clear()
    assert sync_outcomes(forge) == []  # nothing open any more: no request at all
    assert gh.sent == []
