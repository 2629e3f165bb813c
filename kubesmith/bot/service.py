"""One bot process: the queue, the feedback store, the workers and the metrics, wired together."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kubesmith.bot.batcher import Batcher
from kubesmith.bot.config import BotConfig
from kubesmith.bot.handlers import (
    ClientFactory,
    JobContext,
    default_client_factory,
    handle,
    report_failure,
)
from kubesmith.bot.metrics import BotMetrics
from kubesmith.bot.queue import Job, JobQueue
from kubesmith.bot.worker import Workers

if TYPE_CHECKING:
    from kubesmith.store import Store

log = logging.getLogger(__name__)


class Bot:
    """The GitHub bot: serve it with :func:`kubesmith.bot.app.create_app`.

    Args:
        config: data folder, webhook secret, store URL, concurrency.
        clients: builds a GitHub client for (``owner/name``, installation id); default: from
            the environment, like the GitHub forge.
    """

    def __init__(self, config: BotConfig, *, clients: ClientFactory | None = None) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.queue = JobQueue.open(
            config.database_url,
            max_attempts=config.max_attempts,
            backoff=config.backoff,
            lease=config.lease,
            crash_limit=config.crash_limit,
        )
        self.metrics = BotMetrics(self.queue.counts)
        self.batcher = Batcher(self.queue)
        self.context = JobContext(
            config, self._open_store, clients or default_client_factory(config)
        )
        self.workers = Workers(
            self.queue,
            self._handle,
            self._report,
            self.metrics,
            concurrency=config.concurrency,
            poll=config.poll,
        )

    def _open_store(self) -> Store:
        from kubesmith.store import Store

        return Store.open(self.config.database_url)

    def _handle(self, job: Job) -> None:
        handle(self.context, job)

    def _report(self, job: Job, error: BaseException) -> None:
        report_failure(self.context, job, error)

    def start(self) -> None:
        """Queue again what a previous process left running (failing what died there too
        often), then start the workers."""
        self.workers.report_crash_looping()
        recovered = self.queue.requeue_abandoned()
        if recovered:
            log.info("resuming %d job(s) left running by a stopped process", recovered)
        self.batcher.start()
        if self.config.concurrency > 0:
            self.workers.start()

    def stop(self) -> None:
        """Stop the workers (running jobs finish first) and close the databases."""
        self.batcher.stop()
        self.workers.stop()
        if self.context._store is not None:
            self.context._store.close()
        self.queue.close()

    def problems(self) -> list[str]:
        """Why the bot is not ready (empty when it is): the store, the workers."""
        out = []
        try:
            self.queue.ping()
        except Exception as e:
            out.append(f"store unreachable: {e}")
        if self.config.concurrency > 0 and not self.workers.alive:
            out.append("workers are not running")
        return out
