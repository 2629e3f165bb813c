"""The webhook endpoint and the queue behind it, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kubesmith.bot.signature import sign, verify
from tests.bot.conftest import (
    BROKEN_LINE,
    SECRET,
    BotServer,
    PullRepo,
    payload,
    pr_payload,
    recorder,
)


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"zen": "Keep it logically awesome."}'
    good = sign(SECRET, body)
    assert good.startswith("sha256=")
    assert len(good) == len("sha256=") + 64
    assert verify(SECRET, body, good)
    assert not verify(SECRET, body + b" ", good)
    assert not verify("other-secret", body, good)
    assert not verify(SECRET, body, None)
    assert not verify(SECRET, body, good.replace("sha256=", "sha1="))
    assert not verify("", body, sign("", body))


@pytest.mark.slow
def test_unsigned_forged_and_malformed_deliveries_make_no_job(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    bot_server.start(concurrency=0)
    body = pr_payload(pull_repo)
    assert bot_server.post("pull_request", body, secret=None).status_code == 401
    assert bot_server.post("pull_request", body, secret="guessed").status_code == 401
    assert bot_server.post("pull_request", body, signature="sha256=" + "0" * 64).status_code == 401
    not_json = bot_server.post("pull_request", b"{not json")
    assert not_json.status_code == 400
    missing = {k: v for k, v in body.items() if k != "pull_request"}
    bad = bot_server.post("pull_request", missing)
    assert bad.status_code == 400
    assert "pull_request" in bad.json()["error"]
    assert bot_server.post("pull_request", [1, 2]).status_code == 400
    q = bot_server.queue()
    try:
        assert q.jobs() == []
    finally:
        q.close()
    metrics = bot_server.get("/metrics").text
    assert (
        'kubesmith_bot_deliveries_total{event="pull_request",result="unauthorized"} 3.0' in metrics
    )
    assert 'kubesmith_bot_deliveries_total{event="pull_request",result="malformed"} 3.0' in metrics


@pytest.mark.slow
def test_replayed_delivery_is_acknowledged_and_not_run_again(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    bot_server.start()
    with recorder().use_cassette("validate_once.yaml") as cassette:
        first = bot_server.post("pull_request", pr_payload(pull_repo), delivery="a1-replayed")
        assert first.status_code == 202
        bot_server.wait_for("done", 1)
        again = bot_server.post("pull_request", pr_payload(pull_repo), delivery="a1-replayed")
        assert again.status_code == 200
        assert again.json()["duplicate"] is True
        time.sleep(0.3)  # a second job, if one existed, would run (and miss the cassette) now
        assert cassette.all_played
    jobs = bot_server.wait_for("done", 1)
    assert [j["delivery_id"] for j in jobs] == ["a1-replayed"]
    assert len([c for c in bot_server.calls() if c[0] == "POST" and "comments" in c[1]]) == 1


@pytest.mark.slow
def test_a_queued_job_survives_a_restart(bot_server: BotServer, pull_repo: PullRepo) -> None:
    bot_server.start(concurrency=0)  # receives, runs nothing
    assert bot_server.post("pull_request", pr_payload(pull_repo)).status_code == 202
    bot_server.stop()
    bot_server.start(concurrency=1)
    with recorder().use_cassette("validate_once.yaml") as cassette:
        bot_server.wait_for("done", 1)
        assert cassette.all_played
    assert f"deploy/checkout.yaml:{BROKEN_LINE}" in bot_server.sent[2].body["body"]


@pytest.mark.slow
def test_a_job_cut_off_mid_run_resumes_without_a_second_comment(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    bot_server.start(concurrency=0)
    assert bot_server.post("pull_request", pr_payload(pull_repo)).status_code == 202
    q = bot_server.queue()
    try:
        claimed = q.claim("a-replica-that-then-crashed")  # its comment 901 is already posted
        assert claimed is not None
    finally:
        q.close()
    bot_server.stop()
    time.sleep(0.3)
    bot_server.start(concurrency=1, lease=0.2)
    with recorder().use_cassette("resume_after_crash.yaml") as cassette:
        jobs = bot_server.wait_for("done", 1)
        assert cassette.all_played
    assert jobs[0]["attempts"] == 2
    assert ("PATCH", "/repos/acme/manifests/issues/comments/901") in bot_server.calls()
    assert not [
        c for c in bot_server.calls() if c == ("POST", "/repos/acme/manifests/issues/7/comments")
    ]


@pytest.mark.slow
def test_health_readiness_and_metrics(bot_server: BotServer) -> None:
    bot_server.start()
    assert bot_server.get("/healthz").json() == {"ok": True}
    ready = bot_server.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["ok"] is True
    ping = bot_server.post("ping", {"zen": "Design for failure.", "hook_id": 1})
    assert ping.status_code == 200
    assert "ignored" in ping.json()
    metrics = bot_server.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'kubesmith_bot_jobs{status="ignored"} 1.0' in metrics.text
    assert "kubesmith_bot_ack_seconds_bucket" in metrics.text
    bot_server.stop()
    bot_server.start(concurrency=0)
    assert bot_server.get("/readyz").status_code == 200  # a receive-only replica is ready


@pytest.mark.slow
def test_comments_from_bots_and_plain_comments_are_ignored(bot_server: BotServer) -> None:
    bot_server.start()
    for login, kind, body in [
        ("renovate[bot]", "Bot", "/kubesmith scale checkout to 3"),
        ("kubesmith-bot", "Bot", "/kubesmith validate"),
        ("dana", "User", "looks good to me"),
    ]:
        data = payload(
            "issue_comment", comment_id=950, login=login, user_type=kind, body=body,
            clone_url="https://ghe.example.com/acme/manifests.git",
        )  # fmt: skip
        r = bot_server.post("issue_comment", data)
        assert r.status_code == 200
        assert "ignored" in r.json()
    q = bot_server.queue()
    try:
        assert {j["status"] for j in q.jobs()} == {"ignored"}
    finally:
        q.close()


@pytest.mark.slow
def test_command_from_a_reader_gets_a_polite_refusal(bot_server: BotServer) -> None:
    bot_server.start()
    data = payload(
        "issue_comment", comment_id=950, login="frank", user_type="User",
        body="/kubesmith validate", clone_url="https://ghe.example.com/acme/manifests.git",
    )  # fmt: skip
    with recorder().use_cassette("command_refused.yaml") as cassette:
        assert bot_server.post("issue_comment", data).status_code == 202
        bot_server.wait_for("done", 1)
        assert cassette.all_played
    reply = bot_server.sent[-1].body["body"]
    assert "Sorry @frank" in reply
    assert "write access" in reply
    assert "<!-- kubesmith:reply-950 -->" in reply


@pytest.mark.slow
def test_help_command_for_a_maintainer(bot_server: BotServer) -> None:
    bot_server.start()
    data = payload(
        "issue_comment", comment_id=950, login="grace", user_type="User",
        body="/kubesmith help", clone_url="https://ghe.example.com/acme/manifests.git",
    )  # fmt: skip
    with recorder().use_cassette("command_help.yaml") as cassette:
        assert bot_server.post("issue_comment", data).status_code == 202
        bot_server.wait_for("done", 1)
        assert cassette.all_played
    reply = bot_server.sent[-1].body["body"]
    assert "/kubesmith validate" in reply
    assert "/kubesmith explain" in reply


@pytest.mark.slow
def test_delivery_is_not_acknowledged_when_the_store_cannot_take_it(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    bot_server.start(concurrency=0)
    assert bot_server.bot is not None
    bot_server.bot.queue.engine.dispose()
    for f in bot_server.data_dir.glob("kubesmith.db*"):
        f.unlink()  # the next connection opens an empty database without the queue table
    r = bot_server.post("pull_request", pr_payload(pull_repo))
    assert r.status_code == 503
    assert "unavailable" in r.json()["error"]


@pytest.mark.slow
def test_bot_serve_refuses_to_start_without_a_webhook_secret(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kubesmith.cli.main import _register, cli

    _register()
    result = CliRunner().invoke(
        cli,
        ["bot", "serve", "--data-dir", str(tmp_path / "data")],
        env={"GITHUB_WEBHOOK_SECRET": ""},
    )
    assert result.exit_code == 2
    assert "GITHUB_WEBHOOK_SECRET" in result.output
    assert not (tmp_path / "data").exists()
