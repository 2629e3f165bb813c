"""Pull requests keyed by forge + repository + number; one open claim per change.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

GitHub numbers pull requests per repository, so two repositories' #101 are different pull
requests: the unique key of ``pull_requests`` (and the join from outcomes) gains ``repository``
(``owner/name`` on GitHub, empty for the local forge, whose ids are unique in the store).

``change_claims`` holds one row per change being proposed (forge, repository, base, fingerprint):
a proposal inserts its claim before it commits a branch or opens a pull request, so of several
identical proposals started at once exactly one gets to open one (a unique constraint, not a
read-then-write check). The claim is released when its pull request is decided or its proposal
fails.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``repository`` to pull requests and outcomes, re-key them, create the claims."""
    with op.batch_alter_table("pull_requests", recreate="auto") as batch:
        batch.add_column(sa.Column("repository", sa.String(255), nullable=False, server_default=""))
        batch.drop_constraint("uq_pull_requests_forge_pr_id", type_="unique")
        batch.create_unique_constraint(
            "uq_pull_requests_forge_repo_pr_id", ["forge", "repository", "pr_id"]
        )
    with op.batch_alter_table("outcomes", recreate="auto") as batch:
        batch.add_column(sa.Column("repository", sa.String(255), nullable=False, server_default=""))
        batch.drop_constraint("uq_outcomes_proposal_pr", type_="unique")
        batch.create_unique_constraint(
            "uq_outcomes_proposal_repo_pr", ["proposal_id", "forge", "repository", "pr_id"]
        )
    op.create_table(
        "change_claims",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("forge", sa.String(64), nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("base", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("proposal_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.UniqueConstraint(
            "forge", "repository", "base", "fingerprint", name="uq_change_claims_change"
        ),
    )
    op.create_index("ix_change_claims_proposal_id", "change_claims", ["proposal_id"])


def downgrade() -> None:
    """Back to pull requests keyed by forge + number (fails if two repositories share one)."""
    op.drop_table("change_claims")
    with op.batch_alter_table("outcomes", recreate="auto") as batch:
        batch.drop_constraint("uq_outcomes_proposal_repo_pr", type_="unique")
        batch.create_unique_constraint("uq_outcomes_proposal_pr", ["proposal_id", "forge", "pr_id"])
        batch.drop_column("repository")
    with op.batch_alter_table("pull_requests", recreate="auto") as batch:
        batch.drop_constraint("uq_pull_requests_forge_repo_pr_id", type_="unique")
        batch.create_unique_constraint("uq_pull_requests_forge_pr_id", ["forge", "pr_id"])
        batch.drop_column("repository")
