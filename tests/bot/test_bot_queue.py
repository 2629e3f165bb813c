"""The durable job queue on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubesmith.bot.queue import JobQueue

PAYLOAD = {"action": "opened"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    value: str = request.getfixturevalue("pg_url")
    return value


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(url: str, clock: Clock) -> Iterator[JobQueue]:
    q = JobQueue.open(url, clock=clock, backoff=10.0, max_attempts=3, lease=60.0)
    yield q
    q.close()


def test_delivery_ids_are_unique_so_a_replay_adds_nothing(queue: JobQueue) -> None:
    first = queue.enqueue("d-1", "pull_request", "validate", "acme/m#1", PAYLOAD)
    again = queue.enqueue("d-1", "pull_request", "validate", "acme/m#1", PAYLOAD)
    ignored = queue.enqueue("d-2", "ping", "ignored", "event:ping", {}, status="ignored")
    assert first is not None
    assert again is None
    assert ignored is not None
    assert queue.enqueue("d-2", "ping", "ignored", "event:ping", {}, status="ignored") is None
    assert queue.counts()["queued"] == 1
    assert queue.counts()["ignored"] == 1


def test_one_running_job_per_pull_request_in_order(queue: JobQueue) -> None:
    for i, key in enumerate(["acme/m#1", "acme/m#1", "acme/m#2"]):
        queue.enqueue(f"d-{i}", "pull_request", "validate", key, {"n": i})
    a = queue.claim("w1")
    b = queue.claim("w2")
    assert a is not None
    assert b is not None
    assert (a.pr_key, a.payload, b.pr_key) == ("acme/m#1", {"n": 0}, "acme/m#2")
    assert queue.claim("w3") is None  # the second job of #1 waits for the first
    queue.complete(a.id)
    c = queue.claim("w3")
    assert c is not None
    assert c.payload == {"n": 1}
    assert c.attempts == 1


def test_failed_jobs_retry_with_backoff_then_fail(queue: JobQueue, clock: Clock) -> None:
    queue.enqueue("d-1", "pull_request", "validate", "acme/m#1", PAYLOAD)
    delays = []
    for _ in range(3):
        job = queue.claim("w")
        while job is None:
            clock.now += 1
            job = queue.claim("w")
        started = clock.now
        retried = queue.retry_later(job, "boom")
        row = queue.jobs()[0]
        delays.append(round(row["run_after"] - started))
        assert retried == (job.attempts < 3)
    assert delays[:2] == [10, 20]
    row = queue.jobs()[0]
    assert (row["status"], row["attempts"], row["error"]) == ("failed", 3, "boom")


def test_abandoned_running_job_is_queued_again(queue: JobQueue, clock: Clock) -> None:
    queue.enqueue("d-1", "pull_request", "validate", "acme/m#1", PAYLOAD)
    job = queue.claim("crashed-worker")
    assert job is not None
    assert queue.requeue_abandoned() == 0  # its lease is fresh
    clock.now += 61
    assert queue.requeue_abandoned() == 1
    again = queue.claim("new-worker")
    assert again is not None
    assert (again.id, again.attempts) == (job.id, 2)


def test_heartbeat_keeps_a_long_job(queue: JobQueue, clock: Clock) -> None:
    queue.enqueue("d-1", "pull_request", "validate", "acme/m#1", PAYLOAD)
    job = queue.claim("w")
    assert job is not None
    clock.now += 50
    queue.heartbeat([job.id])
    clock.now += 50
    assert queue.requeue_abandoned() == 0


def test_concurrent_claimers_never_share_a_job(url: str) -> None:
    queues = [JobQueue.open(url) for _ in range(4)]
    try:
        for i in range(40):
            queues[0].enqueue(f"d-{i}", "pull_request", "validate", f"acme/m#{i % 8}", {"i": i})
        claimed: list[int] = []
        lock = threading.Lock()

        def work(q: JobQueue, name: str) -> None:
            idle = 0
            while idle < 50:
                job = q.claim(name)
                if job is None:
                    idle += 1
                    continue
                idle = 0
                with lock:
                    running = [j for j in q.jobs(job.pr_key) if j["status"] == "running"]
                    assert len(running) == 1
                    claimed.append(job.id)
                q.complete(job.id)

        threads = [threading.Thread(target=work, args=(q, f"w{n}")) for n, q in enumerate(queues)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(claimed) == sorted(set(claimed))
        assert len(claimed) == 40
        assert queues[0].counts()["done"] == 40
    finally:
        for q in queues:
            q.close()


def test_finished_jobs_are_pruned_after_the_retention(queue: JobQueue, clock: Clock) -> None:
    queue.enqueue("d-1", "pull_request", "validate", "acme/m#1", PAYLOAD)
    queue.enqueue("d-2", "ping", "ignored", "event:ping", {}, status="ignored")
    queue.enqueue("d-3", "pull_request", "validate", "acme/m#2", PAYLOAD)
    job = queue.claim("w")
    assert job is not None
    queue.complete(job.id)
    clock.now += 8 * 86400
    assert queue.prune(7 * 86400) == 2  # done and ignored; the queued job stays
    assert [j["delivery_id"] for j in queue.jobs()] == ["d-3"]


def test_group_commit_reports_replays_within_and_across_batches(queue: JobQueue) -> None:
    from kubesmith.bot.queue import Delivery

    queue.enqueue("d-0", "pull_request", "validate", "acme/m#1", PAYLOAD)
    batch = [
        Delivery(f"d-{i}", "pull_request", "validate", "acme/m#1", {"i": i}) for i in (0, 1, 2, 1)
    ]
    ids = queue.enqueue_many(batch)
    assert ids[0] is None
    assert ids[3] is None
    assert ids[1] is not None
    assert ids[2] is not None
    assert queue.counts()["queued"] == 3
