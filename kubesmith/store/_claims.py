"""Claims: one proposal at a time may open a pull request for one change.

Four identical proposals started at once all look for an open pull request with their change,
find none, and would each open one. A claim closes that window with the database's own
guarantee: the row ``(forge, repository, base, fingerprint)`` is unique, so of concurrent
inserts exactly one succeeds (``INSERT … ON CONFLICT DO NOTHING``, on SQLite and PostgreSQL
alike); the others learn which proposal holds it.

A claim lives while its proposal is being published and while its pull request is open; it is
released when the pull request is decided (accepted, rejected, closed) or the publication fails.
A process killed in between leaves a claim without a pull request: after :data:`CLAIM_TTL_S` a new
proposal of the same change takes it over, and :meth:`ClaimsMixin.stale_claims` lets the next run
clean up what the dead one left (its branch).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text

from kubesmith.store._orm import PullRequestRow
from kubesmith.store._rows import pr_record
from kubesmith.store.records import PullRequestRecord

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.orm import Session

CLAIM_WAIT_S = 60.0
"""How long a proposal that lost the claim waits for the winner's pull request to be recorded."""
CLAIM_TTL_S = 600.0
"""A claim older than this without an open pull request belongs to a run that died."""

_NO_OPEN_PR = (
    "NOT EXISTS (SELECT 1 FROM pull_requests p WHERE p.proposal_id = change_claims.proposal_id"
    " AND p.status = 'open')"
)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


class ClaimsMixin:
    """The claim methods of :class:`~kubesmith.store.Store`."""

    if TYPE_CHECKING:

        def _session(self, *, write: bool = False) -> AbstractContextManager[Session]: ...

    def claim_change(
        self, proposal_id: str, *, forge: str, repository: str, base: str, fingerprint: str
    ) -> str | None:
        """Claim the right to publish this change; None when claimed, else the holder's id.

        A claim left by a run that died (older than :data:`CLAIM_TTL_S`, no open pull request)
        is taken over.
        """
        now = datetime.now(UTC)
        key: dict[str, Any] = {
            "f": forge, "r": repository, "b": base, "fp": fingerprint,
            "p": proposal_id, "now": _iso(now),
            "stale": _iso(now - timedelta(seconds=CLAIM_TTL_S)),
        }  # fmt: skip
        where = "forge = :f AND repository = :r AND base = :b AND fingerprint = :fp"
        with self._session(write=True) as s:
            s.execute(
                text(
                    f"DELETE FROM change_claims WHERE {where} AND created_at < :stale AND "
                    + _NO_OPEN_PR
                ),
                key,
            )
            inserted = s.execute(
                text(
                    "INSERT INTO change_claims (forge, repository, base, fingerprint, proposal_id,"
                    " created_at) VALUES (:f, :r, :b, :fp, :p, :now)"
                    " ON CONFLICT (forge, repository, base, fingerprint) DO NOTHING"
                    " RETURNING proposal_id"
                ),
                key,
            ).scalar()
            if inserted is not None:
                return None
            holder = s.execute(
                text(f"SELECT proposal_id FROM change_claims WHERE {where}"), key
            ).scalar()
        return None if holder == proposal_id else str(holder)

    def wait_for_pull_request(
        self, proposal_id: str, timeout: float = CLAIM_WAIT_S
    ) -> PullRequestRecord | None:
        """The pull request of ``proposal_id`` once its (concurrent) publication recorded it;
        None when it did not within ``timeout`` seconds, or gave up its claim."""
        deadline = time.monotonic() + timeout
        while True:
            with self._session() as s:
                row = s.scalars(
                    select(PullRequestRow)
                    .where(PullRequestRow.proposal_id == proposal_id)
                    .order_by(PullRequestRow.pk.desc())
                    .limit(1)
                ).one_or_none()
                if row is not None:
                    return pr_record(row)
                claimed = s.execute(
                    text("SELECT 1 FROM change_claims WHERE proposal_id = :p"), {"p": proposal_id}
                ).first()
            if claimed is None or time.monotonic() >= deadline:
                return None
            time.sleep(0.1)

    def release_claim(self, proposal_id: str) -> None:
        """Give up the claims of ``proposal_id`` (its publication failed or was abandoned)."""
        with self._session(write=True) as s:
            s.execute(text("DELETE FROM change_claims WHERE proposal_id = :p"), {"p": proposal_id})

    def stale_claims(self, older_than: float = CLAIM_TTL_S) -> list[str]:
        """Proposal ids whose claim is older than ``older_than`` seconds with no open pull
        request: publications a killed process never finished."""
        limit = _iso(datetime.now(UTC) - timedelta(seconds=older_than))
        with self._session() as s:
            rows = s.execute(
                text(
                    "SELECT proposal_id FROM change_claims WHERE created_at < :stale AND "
                    + _NO_OPEN_PR
                ),
                {"stale": limit},
            ).scalars()
            return [str(r) for r in rows]

    @staticmethod
    def _release_claims_of(s: Session, forge: str, repository: str, pr_id: str) -> None:
        """Inside a transaction: release the claim of the proposal behind a decided pull request."""
        s.execute(
            text(
                "DELETE FROM change_claims WHERE proposal_id IN (SELECT proposal_id FROM"
                " pull_requests WHERE forge = :f AND repository = :r AND pr_id = :i)"
            ),
            {"f": forge, "r": repository, "i": pr_id},
        )
