"""Group commit for the webhook endpoint: concurrent deliveries share one transaction.

Each delivery is acknowledged only after its row is committed (that is what makes the queue
durable), so under a burst the commit is the bottleneck; one writer thread takes every delivery
waiting at that moment and inserts them in a single transaction. A lone delivery goes straight
through (a batch of one).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading

from kubesmith.bot.queue import Delivery, JobQueue

log = logging.getLogger(__name__)
MAX_BATCH = 256

_Item = tuple[Delivery, asyncio.AbstractEventLoop, "asyncio.Future[int | None]"]


class Batcher:
    """Inserts deliveries for the event loop, in batches, from one thread."""

    def __init__(self, jobs: JobQueue) -> None:
        self.jobs = jobs
        self._items: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name="kubesmith-enqueue", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write what is waiting, then stop."""
        if self._thread is not None:
            self._items.put(None)
            self._thread.join(30)
            self._thread = None

    async def submit(self, delivery: Delivery) -> int | None:
        """Store ``delivery``; its job id, or None for a replay (raises what the insert raised)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int | None] = loop.create_future()
        self._items.put((delivery, loop, future))
        return await future

    def _run(self) -> None:
        while True:
            first = self._items.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    item = self._items.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[_Item]) -> None:
        try:
            ids = self.jobs.enqueue_many([d for d, _, _ in batch])
        except Exception as e:
            log.exception("cannot store %d webhook deliveries", len(batch))
            for _, loop, future in batch:
                loop.call_soon_threadsafe(_fail, future, e)
            return
        for (_, loop, future), job_id in zip(batch, ids, strict=True):
            loop.call_soon_threadsafe(_resolve, future, job_id)


def _resolve(future: asyncio.Future[int | None], value: int | None) -> None:
    if not future.done():
        future.set_result(value)


def _fail(future: asyncio.Future[int | None], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
