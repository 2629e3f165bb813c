"""The bot's durable job queue, in the store's database (SQLite or PostgreSQL).

Why a table and not an in-memory queue: a webhook is acknowledged before its work is done, so
the work must survive a restart, and several replicas must be able to share it. The rules:

* **Idempotent by delivery id**: the id is unique; a replayed delivery inserts nothing.
* **One running job per pull request**: a job is claimed only when no job of its pull request
  runs and no older job of it waits (so a PR's events run in order); a partial unique index on
  running rows makes this hold even for replicas claiming at the same instant.
* **Safe claims**: on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` then an ``UPDATE`` of that
  row; on SQLite the same ``UPDATE … WHERE status = 'queued'`` inside ``BEGIN IMMEDIATE`` (one
  writer at a time), checked by its row count.
* **Retries with backoff**: a failed job goes back to ``queued`` with ``run_after`` pushed out
  exponentially, until ``max_attempts``; then it is ``failed``.
* **Crash recovery by lease**: a running job's worker heartbeats it; a job whose heartbeat is
  older than ``lease`` seconds (its process died) is queued again — unless its workers died
  ``crash_limit`` times: a job that kills the process running it is marked failed, never run
  in a crash loop.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from kubesmith.errors import RunError
from kubesmith.store.engine import WRITE_FLAG, open_engine

STATUSES = ("queued", "running", "done", "failed", "ignored")


@dataclass(frozen=True)
class Delivery:
    """A webhook delivery to remember (and, unless ``ignored``, to run)."""

    delivery_id: str
    event: str
    kind: str
    pr_key: str
    payload: dict[str, Any]
    status: str = "queued"


@dataclass(frozen=True)
class Job:
    """One claimed unit of work: a webhook delivery the bot acts on."""

    id: int
    delivery_id: str
    event: str
    kind: str
    pr_key: str
    payload: dict[str, Any]
    attempts: int
    """How many times it was claimed, this time included."""


class JobQueue:
    """Webhook deliveries waiting for, or done by, the bot's workers.

    Args:
        engine: a migrated engine (see :meth:`open`).
        max_attempts: claims before a failing job is given up.
        backoff: seconds before the first retry; doubled each time, capped at ``backoff_cap``.
        lease: seconds without a heartbeat after which a running job counts as abandoned.
        crash_limit: abandonments (its worker died) after which a job is failed, not run again.
        clock: epoch seconds (tests move it).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        max_attempts: int = 5,
        backoff: float = 5.0,
        backoff_cap: float = 600.0,
        lease: float = 120.0,
        crash_limit: int = 2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.crash_limit = crash_limit
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.lease = lease
        self.clock = clock

    @classmethod
    def open(cls, url: str, **options: Any) -> JobQueue:
        """Open (creating and migrating when needed) the queue in the database at ``url``."""
        return cls(open_engine(url), **options)

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    @contextmanager
    def _tx(self, *, write: bool = True) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                conn.info[WRITE_FLAG] = write
                with conn.begin():
                    yield conn
        except IntegrityError:
            raise  # callers handle constraint violations themselves
        except SQLAlchemyError as e:
            raise RunError(f"bot job queue: {e}") from e

    # ------------------------------------------------------------------ producers

    def enqueue(
        self,
        delivery_id: str,
        event: str,
        kind: str,
        pr_key: str,
        payload: dict[str, Any],
        *,
        status: str = "queued",
    ) -> int | None:
        """Add a delivery's job; None when this delivery id was seen before (a replay).

        ``status="ignored"`` remembers a delivery the bot does not act on, so its replay is
        recognised too.
        """
        return self.enqueue_many([Delivery(delivery_id, event, kind, pr_key, payload, status)])[0]

    def enqueue_many(self, deliveries: Sequence[Delivery]) -> list[int | None]:
        """Add several deliveries in ONE transaction (group commit); a job id or None for each.

        A burst of webhooks then costs one commit instead of one per delivery. A delivery id
        already present — or repeated within ``deliveries`` — yields None (a replay).
        """
        now = self.clock()
        out: list[int | None] = []
        insert = text(
            "INSERT INTO bot_jobs (delivery_id, event, kind, pr_key, payload, status,"
            " attempts, run_after, error, created_at, updated_at) VALUES"
            " (:d, :e, :k, :p, :j, :s, 0, :now, '', :now, :now)"
            " ON CONFLICT (delivery_id) DO NOTHING RETURNING id"
        )
        with self._tx() as conn:
            for d in deliveries:
                row = {
                    "d": d.delivery_id, "e": d.event, "k": d.kind, "p": d.pr_key,
                    "j": json.dumps(d.payload), "s": d.status, "now": now,
                }  # fmt: skip
                job_id = conn.execute(insert, row).scalar()
                out.append(None if job_id is None else int(job_id))
        return out

    # ------------------------------------------------------------------ workers

    def claim(self, worker: str) -> Job | None:
        """The next runnable job, now marked running by ``worker``; None when there is none."""
        now = self.clock()
        pick = (
            "SELECT id FROM bot_jobs j WHERE j.status = 'queued' AND j.run_after <= :now"
            " AND NOT EXISTS (SELECT 1 FROM bot_jobs r WHERE r.pr_key = j.pr_key"
            " AND r.status = 'running')"
            " AND NOT EXISTS (SELECT 1 FROM bot_jobs o WHERE o.pr_key = j.pr_key"
            " AND o.status = 'queued' AND o.id < j.id)"
            " ORDER BY j.id LIMIT 1"
        )
        try:
            with self._tx() as conn:
                if conn.dialect.name == "postgresql":
                    pick += " FOR UPDATE SKIP LOCKED"
                job_id = conn.execute(text(pick), {"now": now}).scalar()
                if job_id is None:
                    return None
                row = (
                    conn.execute(
                        text(
                            "UPDATE bot_jobs SET status = 'running', claimed_by = :w,"
                            " attempts = attempts + 1, heartbeat_at = :now, updated_at = :now"
                            " WHERE id = :id AND status = 'queued'"
                            " RETURNING id, delivery_id, event, kind, pr_key, payload, attempts"
                        ),
                        {"w": worker, "now": now, "id": job_id},
                    )
                    .mappings()
                    .first()
                )
        except IntegrityError:
            return None  # another replica started a job of this pull request first
        return None if row is None else _job(row)

    def heartbeat(self, job_ids: Sequence[int]) -> None:
        """Tell other replicas these running jobs are alive."""
        if not job_ids:
            return
        with self._tx() as conn:
            for job_id in job_ids:
                conn.execute(
                    text("UPDATE bot_jobs SET heartbeat_at = :now WHERE id = :id"),
                    {"now": self.clock(), "id": job_id},
                )

    def complete(self, job_id: int) -> None:
        """Mark a job done."""
        self._finish(job_id, "done", "")

    def give_up(self, job_id: int, error: str) -> None:
        """Mark a job failed for good (no retry)."""
        self._finish(job_id, "failed", error)

    def _finish(self, job_id: int, status: str, error: str) -> None:
        with self._tx() as conn:
            conn.execute(
                text(
                    "UPDATE bot_jobs SET status = :s, error = :e, claimed_by = NULL,"
                    " updated_at = :now WHERE id = :id"
                ),
                {"s": status, "e": error[:4000], "now": self.clock(), "id": job_id},
            )

    def retry_later(self, job: Job, error: str) -> bool:
        """Queue a failed job again after a backoff; False (and ``failed``) when out of attempts."""
        if job.attempts >= self.max_attempts:
            self.give_up(job.id, error)
            return False
        delay = min(self.backoff_cap, self.backoff * 2 ** (job.attempts - 1))
        now = self.clock()
        with self._tx() as conn:
            conn.execute(
                text(
                    "UPDATE bot_jobs SET status = 'queued', error = :e, claimed_by = NULL,"
                    " run_after = :after, updated_at = :now WHERE id = :id"
                ),
                {"e": error[:4000], "after": now + delay, "now": now, "id": job.id},
            )
        return True

    def requeue_abandoned(self) -> int:
        """Queue again the running jobs whose worker stopped heartbeating; how many.

        Jobs whose workers died ``crash_limit`` times are failed instead: see
        :meth:`fail_crash_looping`, which reports them.
        """
        self.fail_crash_looping()
        now = self.clock()
        with self._tx() as conn:
            result = conn.execute(
                text(
                    "UPDATE bot_jobs SET status = 'queued', claimed_by = NULL, updated_at = :now,"
                    " crashes = crashes + 1"
                    " WHERE status = 'running' AND heartbeat_at < :limit"
                ),
                {"now": now, "limit": now - self.lease},
            )
            return int(result.rowcount or 0)

    def fail_crash_looping(self) -> list[Job]:
        """Mark failed the abandoned jobs whose worker died for the ``crash_limit``-th time.

        Returns them, so the caller can tell their pull requests.
        """
        now = self.clock()
        error = (
            f"the bot process running this job died {self.crash_limit} times (killed, or out of"
            " memory); it is not run again"
        )
        with self._tx() as conn:
            rows = (
                conn.execute(
                    text(
                        "UPDATE bot_jobs SET status = 'failed', claimed_by = NULL, error = :e,"
                        " updated_at = :now, crashes = crashes + 1"
                        " WHERE status = 'running' AND heartbeat_at < :limit"
                        " AND crashes + 1 >= :n"
                        " RETURNING id, delivery_id, event, kind, pr_key, payload, attempts"
                    ),
                    {"e": error, "now": now, "limit": now - self.lease, "n": self.crash_limit},
                )
                .mappings()
                .all()
            )
        return [_job(r) for r in rows]

    def prune(self, older_than: float) -> int:
        """Forget finished jobs (done, failed, ignored) last touched ``older_than`` seconds ago.

        Their delivery ids go with them, so keep this longer than GitHub redelivers (days).
        """
        with self._tx() as conn:
            result = conn.execute(
                text(
                    "DELETE FROM bot_jobs WHERE status IN ('done', 'failed', 'ignored')"
                    " AND updated_at < :limit"
                ),
                {"limit": self.clock() - older_than},
            )
            return int(result.rowcount or 0)

    # ------------------------------------------------------------------ reading

    def counts(self) -> dict[str, int]:
        """Jobs by status (every status present)."""
        out = dict.fromkeys(STATUSES, 0)
        with self._tx(write=False) as conn:
            for status, n in conn.execute(
                text("SELECT status, COUNT(*) FROM bot_jobs GROUP BY status")
            ):
                out[str(status)] = int(n)
        return out

    def jobs(self, pr_key: str | None = None) -> list[dict[str, Any]]:
        """Every job (optionally of one pull request) as a dict, oldest first."""
        query = (
            "SELECT id, delivery_id, event, kind, pr_key, status, attempts, crashes, error,"
            " run_after"
            " FROM bot_jobs"
        )
        params: dict[str, Any] = {}
        if pr_key is not None:
            query += " WHERE pr_key = :p"
            params["p"] = pr_key
        with self._tx(write=False) as conn:
            rows = conn.execute(text(query + " ORDER BY id"), params).mappings().all()
        return [dict(r) for r in rows]

    def ping(self) -> None:
        """Raise RunError when the database cannot be reached."""
        with self._tx(write=False) as conn:
            conn.execute(text("SELECT 1"))


def _job(row: Any) -> Job:
    return Job(
        id=int(row["id"]),
        delivery_id=str(row["delivery_id"]),
        event=str(row["event"]),
        kind=str(row["kind"]),
        pr_key=str(row["pr_key"]),
        payload=json.loads(row["payload"]),
        attempts=int(row["attempts"]),
    )
