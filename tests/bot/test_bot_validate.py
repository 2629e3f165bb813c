"""Done-when for the bot: a signed pull_request.opened for a PR that breaks a manifest gets ONE
comment naming the broken line; the next delivery edits that same comment; unsigned is refused."""

from __future__ import annotations

import time

import pytest

from tests.bot.conftest import (
    BROKEN_LINE,
    GOOD,
    BotServer,
    PullRepo,
    pr_payload,
    recorder,
)
from tests.conftest import git

# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def test_opened_comments_the_broken_line_then_synchronize_updates_it(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    bot_server.start()
    with recorder().use_cassette("validate_twice.yaml") as cassette:
        unsigned = bot_server.post("pull_request", pr_payload(pull_repo), secret=None)
        assert unsigned.status_code == 401

        first = bot_server.post("pull_request", pr_payload(pull_repo, "opened"))
        assert first.status_code == 202, first.text
        assert first.json()["kind"] == "validate"
        bot_server.wait_for("done", 1)

        broken_sha = pull_repo.head_sha
        pull_repo.push_fix(GOOD, "back to two replicas")
        second = bot_server.post("pull_request", pr_payload(pull_repo, "synchronize"))
        assert second.status_code == 202
        bot_server.wait_for("done", 2)
        assert cassette.all_played

    assert bot_server.calls() == [
        ("POST", "/repos/acme/manifests/statuses/SHA"),
        ("GET", "/repos/acme/manifests/issues/7/comments"),
        ("POST", "/repos/acme/manifests/issues/7/comments"),
        ("POST", "/repos/acme/manifests/statuses/SHA"),
        ("POST", "/repos/acme/manifests/statuses/SHA"),
        ("GET", "/repos/acme/manifests/issues/7/comments"),
        ("PATCH", "/repos/acme/manifests/issues/comments/901"),
        ("POST", "/repos/acme/manifests/statuses/SHA"),
    ]
    sent = bot_server.sent
    created = sent[2].body["body"]
    assert f"deploy/checkout.yaml:{BROKEN_LINE}" in created
    assert "spec.replicas" in created
    assert f"blob/{broken_sha}/deploy/checkout.yaml#L{BROKEN_LINE}" in created
    assert "<!-- kubesmith:validation -->" in created
    assert sent[3].path.endswith(broken_sha)
    assert sent[3].body["state"] == "failure"
    assert f"deploy/checkout.yaml:{BROKEN_LINE}" in sent[3].body["description"]

    updated = sent[6].body["body"]
    assert "<!-- kubesmith:validation -->" in updated
    assert "error" not in updated.split("\n")[0]
    assert f"checkout.yaml:{BROKEN_LINE}" not in updated
    assert sent[7].path.endswith(pull_repo.head_sha)
    assert sent[7].body["state"] == "success"


def test_base_branch_configuration_wins_over_the_pull_request_head(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    # The PR head turns the schema validator off in its own .kubesmith.yaml; the bot reads the
    # base branch's file, so the broken line is still reported.
    (pull_repo.work / ".kubesmith.yaml").write_text("schema:\n  enabled: false\n")
    git(pull_repo.work, "add", ".kubesmith.yaml")
    pull_repo.push_fix(GOOD.replace("replicas: 2", "replicas: three"), "disable schema checks")
    bot_server.start()
    with recorder().use_cassette("validate_twice.yaml") as cassette:
        assert bot_server.post("pull_request", pr_payload(pull_repo)).status_code == 202
        bot_server.wait_for("done", 1)
        assert cassette.play_count == 4
    assert f"deploy/checkout.yaml:{BROKEN_LINE}" in bot_server.sent[2].body["body"]


def test_pull_request_from_a_fork_is_fetched_by_its_pull_ref(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    # A fork's branch is not in the base repository; GitHub keeps refs/pull/N/head there.
    git(pull_repo.bare, "update-ref", "refs/pull/7/head", pull_repo.head_sha)
    git(pull_repo.bare, "branch", "-D", pull_repo.head_ref)
    bot_server.start()
    with recorder().use_cassette("validate_once.yaml") as cassette:
        assert bot_server.post("pull_request", pr_payload(pull_repo)).status_code == 202
        bot_server.wait_for("done", 1)
        assert cassette.all_played
    assert f"deploy/checkout.yaml:{BROKEN_LINE}" in bot_server.sent[2].body["body"]


def test_github_errors_are_retried_then_reported_on_the_pull_request(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    bot_server.start(max_attempts=2)
    with recorder().use_cassette("api_errors_reported.yaml") as cassette:
        assert bot_server.post("pull_request", pr_payload(pull_repo)).status_code == 202
        jobs = bot_server.wait_for("failed", 1)
        deadline = time.monotonic() + 10
        while not cassette.all_played and time.monotonic() < deadline:
            time.sleep(0.05)  # the report follows the failure
        assert cassette.all_played
    assert jobs[0]["attempts"] == 2
    assert "502" in jobs[0]["error"]
    comment = bot_server.sent[-2].body["body"]
    assert "kubesmith could not validate this pull request" in comment
    assert "<!-- kubesmith:validation -->" in comment
    assert bot_server.sent[-1].body["state"] == "error"
    metrics = bot_server.get("/metrics").text
    assert 'kubesmith_bot_job_runs_total{kind="validate",result="retry"} 1.0' in metrics
    assert 'kubesmith_bot_job_runs_total{kind="validate",result="failed"} 1.0' in metrics
