"""The bot's bounds on one job: a memory ceiling for validation, no crash loops."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubesmith.bot.limits import OverLimit, run_limited
from kubesmith.bot.metrics import BotMetrics
from kubesmith.bot.queue import Job, JobQueue
from kubesmith.bot.worker import Workers
from tests.bot.test_bot_queue import PAYLOAD, Clock


def allocate(mb: int) -> int:
    """Hold ``mb`` MiB at once (what an alias bomb does to a parser)."""
    block = bytearray(mb * 1024 * 1024)
    return len(block)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def fail() -> None:
    raise ValueError("the validator's own error")


@pytest.mark.slow
@pytest.mark.slow  # a memory-limited child process
def test_a_job_within_its_limit_returns_its_result() -> None:
    assert run_limited(allocate, 50, memory_mb=512, what="validating") == 50 * 1024 * 1024


@pytest.mark.slow
@pytest.mark.slow  # a memory-limited child process
def test_a_job_past_its_memory_limit_fails_without_harming_the_bot() -> None:
    with pytest.raises(OverLimit, match="more than 300 MiB"):
        run_limited(allocate, 4096, memory_mb=300, what="validating this pull request")


@pytest.mark.slow
@pytest.mark.slow  # a memory-limited child process
def test_a_job_whose_process_dies_is_reported_not_retried() -> None:
    with pytest.raises(OverLimit, match="stopped abruptly"):
        run_limited(die, memory_mb=300, what="validating")


@pytest.mark.slow
@pytest.mark.slow  # a memory-limited child process
def test_a_jobs_own_error_is_raised_in_the_bot() -> None:
    with pytest.raises(ValueError, match="own error"):
        run_limited(fail, memory_mb=300, what="validating")


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[tuple[JobQueue, Clock]]:
    clock = Clock()
    q = JobQueue.open(f"sqlite:///{tmp_path / 'bot.db'}", clock=clock, lease=60.0, crash_limit=2)
    yield q, clock
    q.close()


def test_a_job_that_kills_its_worker_twice_is_failed_and_reported(
    queue: tuple[JobQueue, Clock],
) -> None:
    q, clock = queue
    q.enqueue("d-1", "pull_request", "validate", "acme/m#1", PAYLOAD)
    reported: list[tuple[int, str]] = []
    workers = Workers(q, lambda _job: None, lambda job, e: reported.append((job.id, str(e))),
                      BotMetrics(q.counts), concurrency=0)  # fmt: skip
    first = q.claim("replica-a")  # ... which is then killed
    assert first is not None
    clock.now += 61
    workers.report_crash_looping()
    assert q.requeue_abandoned() == 1  # one death: run it again
    second = q.claim("replica-b")  # killed again
    assert second is not None and second.id == first.id
    clock.now += 61
    workers.report_crash_looping()
    assert q.requeue_abandoned() == 0
    (row,) = q.jobs()
    assert (row["status"], row["crashes"]) == ("failed", 2)
    assert "died 2 times" in row["error"]
    assert reported == [(first.id, "the bot process running it died repeatedly")]
    assert q.claim("replica-c") is None  # never again


def test_ordinary_retries_do_not_count_as_crashes(queue: tuple[JobQueue, Clock]) -> None:
    q, clock = queue
    q.enqueue("d-1", "pull_request", "validate", "acme/m#1", PAYLOAD)
    job = q.claim("w")
    assert isinstance(job, Job)
    assert q.retry_later(job, "GitHub said 502")
    clock.now += 3600
    again = q.claim("w")
    assert again is not None and again.attempts == 2
    clock.now += 61
    assert q.requeue_abandoned() == 1  # the first death of this job, though its second attempt
    assert q.jobs()[0]["status"] == "queued"
