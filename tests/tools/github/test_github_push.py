"""Pushing proposal branches to a real bare remote: what is pushed, what is refused, and why."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from kubesmith.errors import ConfigError, ForgeError
from kubesmith.tools.forges.github import Pusher, RepoSlug, parse_remote_url, parse_slug
from kubesmith.tools.forges.github.push import auth_env
from kubesmith.tools.git import GitRepo
from tests.conftest import git
from tests.tools.github.conftest import (
    BRANCH,
    PID,
    make_proposal,
    remote_branches,
    reviewer_commit_on_top,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/acme/manifests.git", RepoSlug("acme", "manifests", "github.com")),
        (
            "https://ghe.example.com/acme/manifests",
            RepoSlug("acme", "manifests", "ghe.example.com"),
        ),
        (
            "https://x-access-token:s3cret@ghe.example.com/acme/k8s.git/",
            RepoSlug("acme", "k8s", "ghe.example.com"),
        ),
        (
            "ssh://git@ghe.example.com:2222/acme/manifests.git",
            RepoSlug("acme", "manifests", "ghe.example.com"),
        ),
        ("git@github.com:acme/manifests.git", RepoSlug("acme", "manifests", "github.com")),
        ("ghe.example.com:acme/my.repo", RepoSlug("acme", "my.repo", "ghe.example.com")),
        ("/srv/git/manifests.git", None),
        ("file:///srv/git/manifests.git", None),
        ("https://ghe.example.com/acme", None),
    ],
)
def test_remote_urls_name_the_repository(url: str, expected: RepoSlug | None) -> None:
    assert parse_remote_url(url) == expected


def test_github_repo_flag_must_be_owner_slash_name() -> None:
    assert str(parse_slug("acme/manifests")) == "acme/manifests"
    with pytest.raises(ConfigError, match="owner/name"):
        parse_slug("manifests")


def test_token_goes_to_the_https_host_only_through_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    env = auth_env("https://ghe.example.com/acme/manifests.git", "ghs_tok")
    assert env["GIT_CONFIG_COUNT"] == "2"
    assert env["GIT_CONFIG_KEY_1"] == "http.https://ghe.example.com/.extraheader"
    value = env["GIT_CONFIG_VALUE_1"].removeprefix("Authorization: Basic ")
    assert base64.b64decode(value).decode() == "x-access-token:ghs_tok"
    assert auth_env("git@ghe.example.com:acme/manifests.git", "ghs_tok") == {
        "GIT_TERMINAL_PROMPT": "0"
    }
    assert auth_env("/srv/git/manifests.git", "ghs_tok") == {"GIT_TERMINAL_PROMPT": "0"}


def test_only_kubesmith_branches_are_pushed(remote_repo: tuple[Path, Path]) -> None:
    repo, bare = remote_repo
    pusher = Pusher(GitRepo(repo))
    head = git(repo, "rev-parse", "main").strip()
    with pytest.raises(ForgeError, match="default branch"):
        pusher.push("main", head, proposal_id=PID, protected={"main"})
    with pytest.raises(ForgeError, match="only its own kubesmith/"):
        pusher.push("feature/x", head, proposal_id=PID, protected={"main"})
    with pytest.raises(ForgeError, match="default branch"):
        pusher.push("kubesmith/x", head, proposal_id=PID, protected={"main", "kubesmith/x"})
    assert set(remote_branches(bare)) == {"main"}


def test_missing_remote_is_a_clear_error(make_repo: object) -> None:
    repo = make_repo(files={"a.yaml": "a: 1\n"})  # type: ignore[operator]
    with pytest.raises(ForgeError, match="no remote 'origin'"):
        Pusher(GitRepo(repo))


def test_push_creates_then_is_up_to_date(remote_repo: tuple[Path, Path]) -> None:
    repo, bare = remote_repo
    p = make_proposal(repo)
    assert p.commit is not None
    pusher = Pusher(GitRepo(repo))
    assert pusher.push(BRANCH, p.commit, proposal_id=PID, protected={"main"}).action == "created"
    assert pusher.push(BRANCH, p.commit, proposal_id=PID, protected={"main"}).action == "up-to-date"
    assert remote_branches(bare)[BRANCH] == p.commit


def test_reviewer_commits_on_top_are_left_alone(
    remote_repo: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, bare = remote_repo
    p = make_proposal(repo)
    assert p.commit is not None
    pusher = Pusher(GitRepo(repo))
    pusher.push(BRANCH, p.commit, proposal_id=PID, protected={"main"})
    theirs = reviewer_commit_on_top(bare, tmp_path)
    result = pusher.push(BRANCH, p.commit, proposal_id=PID, protected={"main"})
    assert (result.action, result.tip) == ("contained", theirs)
    assert remote_branches(bare)[BRANCH] == theirs


def test_a_follow_up_commit_is_a_fast_forward(remote_repo: tuple[Path, Path]) -> None:
    repo, bare = remote_repo
    p = make_proposal(repo)
    assert p.commit is not None
    g = GitRepo(repo)
    pusher = Pusher(g)
    pusher.push(BRANCH, p.commit, proposal_id=PID, protected={"main"})
    follow = g.commit_files(p.commit, {"deploy/extra.yaml": "a: 1\n"}, "more\n", "kubesmith/tmp")
    assert pusher.push(BRANCH, follow, proposal_id=PID, protected={"main"}).action == "fast-forward"
    assert remote_branches(bare)[BRANCH] == follow


def test_own_earlier_commit_of_the_same_proposal_is_replaced_with_a_lease(
    remote_repo: tuple[Path, Path],
) -> None:
    repo, bare = remote_repo
    first = make_proposal(repo)
    assert first.commit is not None
    pusher = Pusher(GitRepo(repo))
    pusher.push(BRANCH, first.commit, proposal_id=PID, protected={"main"})
    git(repo, "branch", "-D", BRANCH)
    again = make_proposal(repo, replicas=4)  # same proposal id, different commit
    assert again.commit is not None and again.commit != first.commit
    assert (
        pusher.push(BRANCH, again.commit, proposal_id=PID, protected={"main"}).action == "replaced"
    )
    assert remote_branches(bare)[BRANCH] == again.commit
    # Another proposal's commit is never forced over it.
    git(repo, "branch", "-D", BRANCH)
    other = make_proposal(repo, pid="aaaaaaa00000", replicas=5)
    assert other.commit is not None
    with pytest.raises(ForgeError, match="non-fast-forward"):
        pusher.push(BRANCH, other.commit, proposal_id="aaaaaaa00000", protected={"main"})
    assert remote_branches(bare)[BRANCH] == again.commit


def test_a_remote_that_refuses_non_fast_forwards_gives_a_clear_error(
    remote_repo: tuple[Path, Path],
) -> None:
    repo, bare = remote_repo
    git(bare, "config", "receive.denyNonFastForwards", "true")
    first = make_proposal(repo)
    assert first.commit is not None
    pusher = Pusher(GitRepo(repo))
    pusher.push(BRANCH, first.commit, proposal_id=PID, protected={"main"})
    git(repo, "branch", "-D", BRANCH)
    again = make_proposal(repo, replicas=4)
    assert again.commit is not None
    with pytest.raises(ForgeError, match=r"push rejected \(non-fast-forward\)"):
        pusher.push(BRANCH, again.commit, proposal_id=PID, protected={"main"})
    assert remote_branches(bare)[BRANCH] == first.commit
