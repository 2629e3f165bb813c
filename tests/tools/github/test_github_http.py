"""The GitHub HTTP layer against hand-written cassettes: retries, rate limits, clear refusals."""

from __future__ import annotations

import pytest

from kubesmith.errors import ConfigError, ForgeError
from kubesmith.tools.forges.github import GitHubAPIError
from tests.tools.github.conftest import ENV, GitHubHarness


def test_requests_carry_the_api_version_and_the_token(gh: GitHubHarness) -> None:
    with gh.cassette("server_errors") as cassette:
        repo = gh.client().repository()
    assert repo["default_branch"] == "main"
    assert cassette.all_played
    headers = gh.sent[0].headers
    assert headers["authorization"] == f"Bearer {ENV['GITHUB_TOKEN']}"
    assert headers["x-github-api-version"] == "2022-11-28"
    assert headers["accept"] == "application/vnd.github+json"
    assert str(gh.sent[0].path) == "/api/v3/repos/acme/manifests"


def test_5xx_is_retried_with_backoff(gh: GitHubHarness) -> None:
    with gh.cassette("server_errors") as cassette:
        repo = gh.client().repository()
    assert repo["full_name"] == "acme/manifests"
    assert cassette.all_played
    assert len(gh.sent) == 3
    assert gh.sleeps == [1.0, 2.0]


def test_5xx_retries_are_bounded(gh: GitHubHarness) -> None:
    with gh.cassette("server_errors_persist") as cassette, pytest.raises(GitHubAPIError) as err:
        gh.client().repository()
    assert cassette.all_played
    assert err.value.status == 500
    assert "500" in str(err.value) and "Server Error" in str(err.value)
    assert gh.sleeps == [1.0, 2.0, 4.0]


def test_401_says_which_credentials_to_fix(gh: GitHubHarness) -> None:
    with gh.cassette("unauthorized"), pytest.raises(ForgeError) as err:
        gh.client().repository()
    message = str(err.value)
    assert "401 Bad credentials" in message
    assert "GITHUB_TOKEN" in message and "GITHUB_APP_ID" in message
    assert ENV["GITHUB_TOKEN"] not in message
    assert len(gh.sent) == 1 and gh.sleeps == []


def test_403_names_the_missing_scopes_and_is_not_retried(gh: GitHubHarness) -> None:
    with gh.cassette("forbidden"), pytest.raises(GitHubAPIError) as err:
        gh.client().create_pull(title="t", head="kubesmith/x", base="main", body="b")
    message = str(err.value)
    assert err.value.status == 403
    assert "Resource not accessible by personal access token" in message
    assert "[repo]" in message and "[read:org, read:user]" in message
    assert "Pull requests: write" in message
    assert len(gh.sent) == 1 and gh.sleeps == []


def test_retry_after_is_honoured(gh: GitHubHarness) -> None:
    with gh.cassette("rate_limit_retry_after") as cassette:
        gh.client().repository()
    assert cassette.all_played
    assert gh.sleeps == [7.0]


def test_ratelimit_reset_is_honoured(gh: GitHubHarness) -> None:
    gh.now = 1798765200.0  # the cassette's reset is 30 s later
    with gh.cassette("rate_limit_reset") as cassette:
        gh.client().repository()
    assert cassette.all_played
    assert gh.sleeps == [31.0]


def test_a_rate_limit_too_far_away_fails_at_once_with_the_reset_time(gh: GitHubHarness) -> None:
    gh.now = 1798765200.0
    with gh.cassette("rate_limit_reset"), pytest.raises(GitHubAPIError) as err:
        gh.client(max_wait=10.0).repository()
    assert gh.sleeps == []
    assert "rate limit" in str(err.value) and "2027-01-01 01:00:31 UTC" in str(err.value)


def test_missing_credentials_are_a_config_error(gh: GitHubHarness) -> None:
    with pytest.raises(ConfigError, match="GITHUB_TOKEN"):
        gh.client(env={"HOME": "/nonexistent"})


def test_connection_errors_are_retried_then_reported(gh: GitHubHarness) -> None:
    import socket

    from kubesmith.tools.forges.github import GitHubHTTP

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    http = GitHubHTTP(api_url=f"http://127.0.0.1:{port}/api/v3", **gh.options())
    with pytest.raises(ForgeError, match="cannot reach the GitHub API") as err:
        http.json("GET", "/repos/acme/manifests")
    assert "gave up after 4 attempts" in str(err.value)
    assert gh.sleeps == [1.0, 2.0, 4.0]
