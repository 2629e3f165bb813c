"""`kubesmith propose --forge github`, `review list` and `review sync` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubesmith.cli.main import _register, cli
from tests.conftest import git
from tests.tools.github.conftest import API, ENV, GitHubHarness, remote_branches

GITHUB = ("--forge", "github", "--github-repo", "acme/manifests", "--github-api-url", API)


def run(*args: str) -> tuple[int, str, str]:
    _register()
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def example_with_remote(
    example_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(example_repo, "remote", "add", "origin", str(bare))
    git(example_repo, "push", "-q", "origin", "main")
    monkeypatch.setenv("GITHUB_TOKEN", ENV["GITHUB_TOKEN"])
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    return example_repo, bare


@pytest.mark.slow
def test_propose_to_github_then_list_and_sync(
    gh: GitHubHarness, example_with_remote: tuple[Path, Path]
) -> None:
    repo, bare = example_with_remote
    (repo / ".kubesmith.yaml").write_text("forge:\n  reviewers: [alice]\n")
    with gh.cassette("open_pr_new") as cassette:
        code, out, err = run(
            "propose", "scale payments to 3", "--repo", str(repo), *GITHUB, "-o", "json"
        )
    assert code == 0, err
    proposal = json.loads(out)
    assert cassette.all_played
    assert proposal["pr"]["forge"] == "github" and proposal["pr"]["id"] == "7"
    assert proposal["pr"]["url"] == "https://ghe.example.com/acme/manifests/pull/7"
    assert set(remote_branches(bare)) == {"main", proposal["branch"]}

    code, out, err = run("review", "list", "--repo", str(repo), "-o", "json")
    assert code == 0, err
    [listed] = json.loads(out)["pull_requests"]
    assert (listed["forge"], listed["id"], listed["branch"]) == ("github", "7", proposal["branch"])

    code, out, _ = run("review", "list", "--repo", str(repo))
    assert "github" in out and "scale payments to 3" in out

    code, out, err = run("review", "show", "7", "--repo", str(repo), "-o", "json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["forge"] == "github" and "kubesmith-metadata" in shown["body"]

    with gh.cassette("cli_sync") as cassette:
        code, out, err = run(
            "review",
            "sync",
            "--repo",
            str(repo),
            "--github-api-url",
            API,
            "--github-repo",
            "acme/manifests",
            "-o",
            "json",
        )
    assert code == 0, err
    assert cassette.all_played
    [outcome] = json.loads(out)["outcomes"]
    assert outcome["status"] == "open"
    assert outcome["comments"][0]["author"] == "bob"
    assert outcome["comments"][0]["verdict"] == "approved"


def test_propose_to_github_without_credentials_is_a_usage_error(
    example_with_remote: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, bare = example_with_remote
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.delenv("GH_TOKEN", raising=False)
    code, _, err = run("propose", "scale payments to 3", "--repo", str(repo), *GITHUB)
    assert code == 2
    assert "GITHUB_TOKEN" in err
    assert set(remote_branches(bare)) == {"main"}


def test_github_repo_comes_from_the_remote_url_when_not_given(
    example_with_remote: tuple[Path, Path],
) -> None:
    from kubesmith.config import Settings
    from kubesmith.tools.forges.github import client_from_settings

    repo, _ = example_with_remote
    git(repo, "remote", "set-url", "origin", "git@ghe.example.com:acme/shop-manifests.git")
    client = client_from_settings(Settings(), repo, env=ENV)
    assert str(client.slug) == "acme/shop-manifests"
    assert client.http.api_url == "https://api.github.com"
    client.close()
