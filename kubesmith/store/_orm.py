"""The tables, as typed SQLAlchemy ORM classes (private: the store's API speaks model values).

Each table here is created by an Alembic revision in ``migrations/versions``; a new table is a new
class here *and* a new revision, never an edit of an old revision, so stores made by older versions
upgrade in place when they are opened.

Whole model values (a proposal's changes, an outcome's comments) are stored as JSON text next to the
columns that are queried, so the schema does not have to chase every field of the model.
"""

from __future__ import annotations

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every kubesmith table."""


class ProposalRow(Base):
    """One proposal (redacted) with its searchable columns."""

    __tablename__ = "proposals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    intent: Mapped[str] = mapped_column(Text)
    planner: Mapped[str] = mapped_column(String(64), default="")
    base: Mapped[str] = mapped_column(String(255), default="")
    branch: Mapped[str | None] = mapped_column(String(255), nullable=True)
    fingerprint: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[str] = mapped_column(String(40), index=True)
    data: Mapped[str] = mapped_column(Text)
    """The whole :class:`~kubesmith.model.Proposal` as JSON, Secret values redacted."""


class PullRequestRow(Base):
    """A pull request on some forge, unique by (forge, repository, pr_id) (revision 0004)."""

    __tablename__ = "pull_requests"
    __table_args__ = (
        UniqueConstraint("forge", "repository", "pr_id", name="uq_pull_requests_forge_repo_pr_id"),
        Index("ix_pull_requests_branch_forge", "branch", "forge"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    forge: Mapped[str] = mapped_column(String(64))
    repository: Mapped[str] = mapped_column(String(255), default="")
    """``owner/name`` on GitHub; empty for the local forge."""
    pr_id: Mapped[str] = mapped_column(String(128))
    proposal_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    base: Mapped[str] = mapped_column(String(255), default="")
    branch: Mapped[str] = mapped_column(String(255), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[str] = mapped_column(String(40))


class OutcomeRow(Base):
    """The latest review outcome of one pull request of one proposal."""

    __tablename__ = "outcomes"
    __table_args__ = (
        UniqueConstraint(
            "proposal_id", "forge", "repository", "pr_id", name="uq_outcomes_proposal_repo_pr"
        ),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    proposal_id: Mapped[str] = mapped_column(String(64), index=True)
    forge: Mapped[str] = mapped_column(String(64))
    repository: Mapped[str] = mapped_column(String(255), default="")
    pr_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[str] = mapped_column(String(40))
    data: Mapped[str] = mapped_column(Text)
    """The whole :class:`~kubesmith.model.Outcome` as JSON (comments, follow-up diff), redacted."""


class ChangeClaimRow(Base):
    """One change being proposed (revision 0004): the unique key makes identical proposals
    started at once open one pull request, not several."""

    __tablename__ = "change_claims"
    __table_args__ = (
        UniqueConstraint(
            "forge", "repository", "base", "fingerprint", name="uq_change_claims_change"
        ),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    forge: Mapped[str] = mapped_column(String(64))
    repository: Mapped[str] = mapped_column(String(255))
    base: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    proposal_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[str] = mapped_column(String(40))


class RuleRow(Base):
    """A learned convention (revision 0002): candidate, approved or rejected."""

    __tablename__ = "rules"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    description: Mapped[str] = mapped_column(Text)
    params: Mapped[str] = mapped_column(Text)
    """JSON object of the rule's parameters."""
    evidence: Mapped[str] = mapped_column(Text)
    """JSON list of :class:`~kubesmith.store.records.Evidence`."""
    created_at: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[str] = mapped_column(String(40))
