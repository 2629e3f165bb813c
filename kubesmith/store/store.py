"""The feedback store: proposals, pull requests and review outcomes, in SQLite or PostgreSQL.

Every method takes and returns frozen model values; SQLAlchemy stays inside. Each call is its
own short transaction, so one ``Store`` can be shared by threads, and several processes (CLI
invocations, bot replicas) can use the same database at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kubesmith.errors import RunError, UsageError
from kubesmith.model import Outcome, Proposal, PullRequest, from_json, to_json
from kubesmith.store._claims import ClaimsMixin
from kubesmith.store._learning import LearningMixin, iter_import
from kubesmith.store._orm import OutcomeRow, ProposalRow, PullRequestRow
from kubesmith.store._pulls import PullRequestsMixin, like_prefix, pr_where, utc_now
from kubesmith.store._rows import check_status, merge_outcomes, proposal_from_row
from kubesmith.store.engine import WRITE_FLAG, open_engine
from kubesmith.store.fingerprint import fingerprint
from kubesmith.store.records import Rule
from kubesmith.store.redact import redact_outcome, redact_proposal


class Store(PullRequestsMixin, ClaimsMixin, LearningMixin):
    """kubesmith's memory of what it proposed and what reviewers did with it.

    Open it with :meth:`open`; it migrates the schema to the newest revision on the way.
    """

    def __init__(self, engine: Engine) -> None:
        """Wrap an already migrated engine; use :meth:`open` instead."""
        self._engine = engine

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def open(cls, url: str | None = None, repo: Path | None = None) -> Store:
        """Open (creating and migrating when needed) the store.

        Args:
            url: a SQLAlchemy URL (``sqlite:///path``, ``postgresql://user@host/db``); default:
                ``store_url`` from the repository's settings or ``KUBESMITH_STORE_URL``, else
                SQLite at ``<repo>/.git/kubesmith/store.db``.
            repo: the manifests repository (any worktree of it); default: the current directory.

        Raises:
            UsageError: when no URL is given and ``repo`` is not a git repository.
            ConfigError: when the URL names an unknown database or driver.
            RunError: when the database cannot be reached or migrated.
        """
        return cls(open_engine(url, repo))

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (public: the bot's job queue shares the database)."""
        return self._engine

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``: lets search pick its full-text engine."""
        return self._engine.dialect.name

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _session(self, *, write: bool = False) -> Iterator[Session]:
        """One transaction; commits on success, rolls back and wraps database errors otherwise."""
        try:
            with self._engine.connect() as conn:
                conn.info[WRITE_FLAG] = write
                with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                    yield session
        except SQLAlchemyError as e:
            raise RunError(f"feedback store ({self.url}): {e}") from e

    # ------------------------------------------------------------------ proposals

    def save_proposal(self, proposal: Proposal) -> None:
        """Insert or replace a proposal, with Secret values and credentials redacted.

        A proposal without a fingerprint gets one computed from its changes, so that a later
        rejection can be matched against new proposals.
        """
        with self._session(write=True) as s:
            self._put_proposal(s, proposal)

    def record_published(self, proposal: Proposal, *, title: str, body: str) -> None:
        """Record a published proposal and its pull request (``proposal.pr``), in one
        transaction: the loop's single write once the forge has opened the pull request.

        Raises:
            UsageError: when the proposal has no pull request.
        """
        pr = proposal.pr
        if pr is None:
            raise UsageError(f"proposal {proposal.id} has no pull request to record")
        check_status(pr.status)
        branch = pr.branch or proposal.branch or ""
        with self._session(write=True) as s:
            self._put_proposal(s, proposal)
            self._put_pull_request(
                s, proposal.id, pr, title=title, body=body, base=proposal.base, branch=branch
            )

    def _put_proposal(self, s: Session, proposal: Proposal) -> None:
        if not proposal.fingerprint and proposal.changes:
            proposal = replace(proposal, fingerprint=fingerprint(proposal.changes))
        clean = redact_proposal(proposal)
        row = s.get(ProposalRow, clean.id)
        if row is None:
            row = ProposalRow(id=clean.id, created_at=clean.created_at)
            s.add(row)
        row.intent = clean.intent
        row.planner = clean.planner
        row.base = clean.base
        row.branch = clean.branch
        row.fingerprint = clean.fingerprint
        row.data = json.dumps(to_json(clean))
        self._after_save_proposal(s, clean)

    def get_proposal(self, id_or_prefix: str) -> Proposal:
        """The proposal with this id, or the only one whose id starts with it.

        Raises:
            UsageError: when nothing or more than one proposal matches.
        """
        if not id_or_prefix:
            raise UsageError("a proposal id (or a unique prefix of one) is required")
        with self._session() as s:
            row = s.get(ProposalRow, id_or_prefix)
            if row is None:
                rows = s.scalars(
                    select(ProposalRow)
                    .where(ProposalRow.id.like(like_prefix(id_or_prefix), escape="\\"))
                    .limit(6)
                ).all()
                if not rows:
                    raise UsageError(f"no proposal {id_or_prefix!r} in the store")
                if len(rows) > 1:
                    ids = ", ".join(r.id for r in rows)
                    raise UsageError(f"proposal id {id_or_prefix!r} is ambiguous: {ids}")
                row = rows[0]
            return proposal_from_row(row)

    def list_proposals(self, limit: int | None = 50) -> list[Proposal]:
        """Proposals, newest first."""
        with self._session() as s:
            q = select(ProposalRow).order_by(ProposalRow.created_at.desc(), ProposalRow.id)
            if limit is not None:
                q = q.limit(limit)
            return [proposal_from_row(r) for r in s.scalars(q)]

    # ------------------------------------------------------------------ outcomes

    def record_outcome(self, outcome: Outcome) -> None:
        """Remember what reviewers did with one pull request of one proposal.

        Recording the same pull request again merges into the first record: the newest status
        wins, comments accumulate (each once), and a reason or follow-up diff is kept until a new
        one replaces it. So a forge can report every event (a comment, then the merge) and a
        poller can report the same outcome twice without losing or duplicating anything.

        The pull request's own record (when the store has it) takes a decided outcome's status
        and reason, so ``review list`` and the learning code agree.
        """
        check_status(outcome.status)
        clean = redact_outcome(outcome)
        now = utc_now()
        with self._session(write=True) as s:
            row = s.scalars(
                select(OutcomeRow).where(
                    OutcomeRow.proposal_id == clean.proposal_id,
                    OutcomeRow.forge == clean.pr.forge,
                    OutcomeRow.repository == clean.pr.repository,
                    OutcomeRow.pr_id == clean.pr.id,
                )
            ).one_or_none()
            if row is None:
                row = OutcomeRow(
                    proposal_id=clean.proposal_id,
                    forge=clean.pr.forge,
                    repository=clean.pr.repository,
                    pr_id=clean.pr.id,
                )
                s.add(row)
            else:
                clean = merge_outcomes(from_json(Outcome, json.loads(row.data)), clean)
            row.status = clean.status
            row.reason = clean.reason
            row.recorded_at = now
            row.data = json.dumps(to_json(clean))
            pr = clean.pr
            pr_row = s.scalars(
                pr_where(select(PullRequestRow), pr.forge, pr.repository, pr.id)
            ).one_or_none()
            decided = clean.status != "open"
            if (
                pr_row is not None
                and decided
                and (pr_row.status, pr_row.reason) != (clean.status, clean.reason)
            ):
                pr_row.status = clean.status
                pr_row.reason = clean.reason
                pr_row.updated_at = now
            if decided:
                self._release_claims_of(s, pr.forge, pr.repository, pr.id)

    def import_feedback(self, document: dict[str, Any]) -> dict[str, int]:
        """Load an :meth:`export_feedback` document (from another store or a backup).

        Everything is upserted, so importing the same export twice changes nothing; values are
        redacted again on the way in. Returns how many records of each kind were read.
        """
        counts = {"proposals": 0, "pull_requests": 0, "outcomes": 0, "rules": 0}
        rules: list[Rule] = []
        for kind, value in iter_import(document):
            if kind == "proposal":
                self.save_proposal(value)
                counts["proposals"] += 1
            elif kind == "pull_request":
                pr = from_json(PullRequest, value["pr"])
                self.save_pull_request(
                    str(value["proposal_id"]),
                    pr,
                    title=str(value.get("title", "")),
                    body=str(value.get("body", "")),
                    base=str(value.get("base", "")),
                    branch=str(value.get("branch", "")),
                )
                if value.get("reason"):
                    self.set_pull_request_status(
                        pr.id, pr.forge, pr.status, str(value["reason"]), repository=pr.repository
                    )
                counts["pull_requests"] += 1
            elif kind == "outcome":
                self.record_outcome(value)
                counts["outcomes"] += 1
            else:
                rules.append(value)
                counts["rules"] += 1
        self.import_rules(rules)
        return counts

    def outcomes(
        self,
        *,
        proposal_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[Outcome]:
        """Recorded outcomes, oldest first, optionally of one proposal and one status."""
        with self._session() as s:
            q = select(OutcomeRow).order_by(OutcomeRow.pk)
            if proposal_id is not None:
                q = q.where(OutcomeRow.proposal_id == proposal_id)
            if status is not None:
                q = q.where(OutcomeRow.status == status)
            if limit is not None:
                q = q.limit(limit)
            return [from_json(Outcome, json.loads(r.data)) for r in s.scalars(q)]
