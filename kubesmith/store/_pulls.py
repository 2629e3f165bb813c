"""The store's pull request records: keyed by forge + repository + id, decided by compare-and-set.

A mixin of :class:`~kubesmith.store.Store` (split out to keep modules small); see
docs/store.md, "One decision per pull request".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select, update

from kubesmith.errors import UsageError
from kubesmith.model import PullRequest
from kubesmith.store._orm import PullRequestRow
from kubesmith.store._rows import check_status, pr_record
from kubesmith.store.records import PullRequestRecord

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.orm import Session


def utc_now() -> str:
    """The current time as the store writes it (ISO 8601 UTC, microseconds)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def like_prefix(prefix: str) -> str:
    """A LIKE pattern matching ``prefix`` literally, then anything."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def pr_where(stmt: Any, forge: str, repository: str, pr_id: str) -> Any:
    """``stmt`` narrowed to the one pull request (forge, repository, id)."""
    return stmt.where(
        PullRequestRow.forge == forge,
        PullRequestRow.repository == repository,
        PullRequestRow.pr_id == pr_id,
    )


class PullRequestsMixin:
    """The pull request methods of :class:`~kubesmith.store.Store`."""

    if TYPE_CHECKING:

        def _session(self, *, write: bool = False) -> AbstractContextManager[Session]: ...

        @staticmethod
        def _release_claims_of(s: Session, forge: str, repository: str, pr_id: str) -> None: ...

    def save_pull_request(
        self, proposal_id: str, pr: PullRequest, *, title: str, body: str, base: str, branch: str
    ) -> None:
        """Insert or update the record of pull request ``(pr.forge, pr.repository, pr.id)``."""
        check_status(pr.status)
        with self._session(write=True) as s:
            self._put_pull_request(
                s, proposal_id, pr, title=title, body=body, base=base, branch=branch
            )

    @staticmethod
    def _put_pull_request(
        s: Session,
        proposal_id: str,
        pr: PullRequest,
        *,
        title: str,
        body: str,
        base: str,
        branch: str,
    ) -> None:
        now = utc_now()
        found = s.scalars(
            pr_where(select(PullRequestRow), pr.forge, pr.repository, pr.id)
        ).one_or_none()
        if found is None:
            found = PullRequestRow(
                forge=pr.forge, repository=pr.repository, pr_id=pr.id, created_at=now, reason=""
            )
            s.add(found)
        found.proposal_id = proposal_id
        found.url = pr.url
        found.status = pr.status
        found.title = title or pr.title
        found.body = body
        found.base = base
        found.branch = branch
        found.updated_at = now

    def get_pull_request(
        self, pr_id_or_prefix: str, forge: str | None = None, repository: str | None = None
    ) -> PullRequestRecord:
        """The pull request with this id (or unique id prefix), on ``forge`` when given.

        Raises:
            UsageError: when nothing or more than one pull request matches.
        """
        if not pr_id_or_prefix:
            raise UsageError("a pull request id (or a unique prefix of one) is required")
        with self._session() as s:

            def narrowed(q: Select[PullRequestRow]) -> Select[PullRequestRow]:
                if forge is not None:
                    q = q.where(PullRequestRow.forge == forge)
                if repository is not None:
                    q = q.where(PullRequestRow.repository == repository)
                return q.limit(6)

            exact = narrowed(select(PullRequestRow).where(PullRequestRow.pr_id == pr_id_or_prefix))
            rows = s.scalars(exact).all()
            if not rows:
                like = like_prefix(pr_id_or_prefix)
                q = select(PullRequestRow).where(PullRequestRow.pr_id.like(like, escape="\\"))
                rows = s.scalars(narrowed(q)).all()
            where = f" on the {forge} forge" if forge else ""
            if not rows:
                raise UsageError(
                    f"no pull request {pr_id_or_prefix!r}{where}; see `kubesmith review list`"
                )
            if len(rows) > 1:
                ids = ", ".join(
                    f"{r.forge}:{r.repository + '#' if r.repository else ''}{r.pr_id}" for r in rows
                )
                raise UsageError(f"pull request id {pr_id_or_prefix!r} is ambiguous: {ids}")
            return pr_record(rows[0])

    def pull_request(self, forge: str, repository: str, pr_id: str) -> PullRequestRecord | None:
        """Exactly pull request ``pr_id`` of ``repository`` on ``forge`` (no prefix matching)."""
        with self._session() as s:
            row = s.scalars(
                pr_where(select(PullRequestRow), forge, repository, pr_id)
            ).one_or_none()
            return pr_record(row) if row is not None else None

    def find_pull_request(
        self, branch: str, forge: str, repository: str | None = None
    ) -> PullRequestRecord | None:
        """The newest pull request of ``branch`` on ``forge``: what makes ``open_pr`` idempotent."""
        with self._session() as s:
            q = select(PullRequestRow).where(
                PullRequestRow.branch == branch, PullRequestRow.forge == forge
            )
            if repository is not None:
                q = q.where(PullRequestRow.repository == repository)
            row = s.scalars(q.order_by(PullRequestRow.pk.desc()).limit(1)).one_or_none()
            return pr_record(row) if row is not None else None

    def list_pull_requests(
        self, status: str | None = None, forge: str | None = None
    ) -> list[PullRequestRecord]:
        """Pull requests, newest first, optionally of one status and one forge."""
        if status is not None:
            check_status(status)
        with self._session() as s:
            q = select(PullRequestRow).order_by(PullRequestRow.pk.desc())
            if status is not None:
                q = q.where(PullRequestRow.status == status)
            if forge is not None:
                q = q.where(PullRequestRow.forge == forge)
            return [pr_record(r) for r in s.scalars(q)]

    def set_pull_request_status(
        self,
        pr_id: str,
        forge: str,
        status: str,
        reason: str = "",
        *,
        repository: str = "",
        expect: str | None = None,
    ) -> None:
        """Record a review decision on a pull request.

        With ``expect``, the decision is a compare-and-set: it is written only while the status
        is still ``expect`` (one ``UPDATE … WHERE status = :expect``), so of two reviewers
        deciding at once exactly one wins and the other is told what happened.

        Raises:
            UsageError: for an unknown status or pull request, or (with ``expect``) a pull
                request whose status is no longer ``expect``.
        """
        check_status(status)
        with self._session(write=True) as s:
            stmt = pr_where(update(PullRequestRow), forge, repository, pr_id)
            if expect is not None:
                stmt = stmt.where(PullRequestRow.status == expect)
            values = {"status": status, "reason": reason, "updated_at": utc_now()}
            changed = s.execute(stmt.values(**values)).rowcount  # type: ignore[attr-defined]
            if changed:
                if status != "open":
                    self._release_claims_of(s, forge, repository, pr_id)
                return
            row = s.scalars(
                pr_where(select(PullRequestRow), forge, repository, pr_id)
            ).one_or_none()
        if row is None:
            raise UsageError(
                f"no pull request {pr_id!r} on the {forge} forge; see `kubesmith review list`"
            )
        raise UsageError(f"pull request {pr_id} is already {row.status}")
