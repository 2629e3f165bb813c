"""Worker threads that take jobs from the queue and run them, in the bot's own process.

Threads rather than asyncio tasks because the work (git, validators, the GitHub client) is
blocking code. Each worker claims one job at a time; a heartbeat thread keeps the leases of
running jobs fresh and queues again the jobs of workers that died (in this or another replica).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable

from kubesmith.bot.metrics import BotMetrics
from kubesmith.bot.queue import Job, JobQueue
from kubesmith.errors import RunError, UsageError

log = logging.getLogger(__name__)

PRUNE_EVERY = 3600.0
"""Seconds between clean-ups of finished jobs."""
Handler = Callable[[Job], None]
GiveUp = Callable[[Job, BaseException], None]


class Workers:
    """``concurrency`` threads running jobs with ``handle``; ``give_up`` reports final failures.

    A :class:`~kubesmith.errors.UsageError` (bad configuration in the repository, an intent
    kubesmith cannot understand) is not retried: retrying cannot fix it. Finished jobs older
    than ``retention`` seconds (default a week, longer than GitHub redelivers) are deleted.
    """

    def __init__(
        self,
        queue: JobQueue,
        handle: Handler,
        give_up: GiveUp,
        metrics: BotMetrics,
        *,
        concurrency: int = 2,
        poll: float = 1.0,
        retention: float = 7 * 86400.0,
    ) -> None:
        self.queue = queue
        self.handle = handle
        self.report = give_up
        self.metrics = metrics
        self.concurrency = concurrency
        self.poll = poll
        self.retention = retention
        self.name = f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._running: dict[int, Job] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the worker threads and the heartbeat thread."""
        self._stop.clear()
        for i in range(self.concurrency):
            t = threading.Thread(target=self._loop, name=f"kubesmith-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        hb = threading.Thread(target=self._heartbeat, name="kubesmith-heartbeat", daemon=True)
        hb.start()
        self._threads.append(hb)

    def stop(self, timeout: float = 30.0) -> None:
        """Let running jobs finish (up to ``timeout``), then return."""
        self._stop.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._threads = []

    @property
    def alive(self) -> bool:
        """True while every thread runs (``/readyz`` reports it)."""
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def wake(self) -> None:
        """A job was queued: idle workers look now instead of at the next poll."""
        with self._wake:
            self._wake.notify_all()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = self.queue.claim(self.name)
            except Exception:
                log.exception("cannot claim a job")
                job = None
            if job is None:
                with self._wake:
                    self._wake.wait(self.poll)
                continue
            self._run(job)

    def _run(self, job: Job) -> None:
        with self._lock:
            self._running[job.id] = job
        started = time.monotonic()
        result = "done"
        try:
            self.handle(job)
            self.queue.complete(job.id)
        except Exception as e:
            try:
                result = self._failed(job, e)
            except Exception:  # the store is down: the lease runs out and the job comes back
                log.exception("cannot record the failure of job %s", job.id)
                result = "abandoned"
        finally:
            with self._lock:
                self._running.pop(job.id, None)
            self.metrics.jobs.labels(job.kind, result).inc()
            self.metrics.job_seconds.labels(job.kind).observe(time.monotonic() - started)

    def _failed(self, job: Job, error: Exception) -> str:
        text = f"{type(error).__name__}: {error}"
        retry = not isinstance(error, UsageError) and self.queue.retry_later(job, text)
        if retry:
            log.warning("job %s (%s) failed, will retry: %s", job.id, job.kind, text)
            return "retry"
        if isinstance(error, UsageError):
            self.queue.give_up(job.id, text)
        log.error("job %s (%s) failed for good: %s", job.id, job.kind, text)
        try:
            self.report(job, error)
        except Exception:
            log.exception("could not report the failure of job %s", job.id)
        return "failed"

    def report_crash_looping(self) -> None:
        """Fail (and tell the pull requests of) the jobs whose workers died too often."""
        for job in self.queue.fail_crash_looping():
            log.error("job %s (%s) killed its worker %d times: failed", job.id, job.kind,
                      self.queue.crash_limit)  # fmt: skip
            self.metrics.jobs.labels(job.kind, "failed").inc()
            try:
                self.report(job, RunError("the bot process running it died repeatedly"))
            except Exception:
                log.exception("could not report the failure of job %s", job.id)

    def _heartbeat(self) -> None:
        interval = max(0.05, min(self.queue.lease / 4, 15.0))
        pruned = 0.0
        while not self._stop.wait(interval):
            with self._lock:
                ids = list(self._running)
            try:
                self.queue.heartbeat(ids)
                self.report_crash_looping()
                if self.queue.requeue_abandoned():
                    self.wake()
                if time.monotonic() - pruned > PRUNE_EVERY:
                    self.queue.prune(self.retention)
                    pruned = time.monotonic()
            except Exception:
                log.exception("heartbeat failed")
