"""Core tables: proposals, pull requests, outcomes.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the three core tables and their indexes."""
    op.create_table(
        "proposals",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("intent", sa.Text(), nullable=False),
        sa.Column("planner", sa.String(64), nullable=False),
        sa.Column("base", sa.String(255), nullable=False),
        sa.Column("branch", sa.String(255), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index("ix_proposals_fingerprint", "proposals", ["fingerprint"])
    op.create_index("ix_proposals_created_at", "proposals", ["created_at"])
    op.create_table(
        "pull_requests",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("forge", sa.String(64), nullable=False),
        sa.Column("pr_id", sa.String(128), nullable=False),
        sa.Column("proposal_id", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("base", sa.String(255), nullable=False),
        sa.Column("branch", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("forge", "pr_id", name="uq_pull_requests_forge_pr_id"),
    )
    op.create_index("ix_pull_requests_branch_forge", "pull_requests", ["branch", "forge"])
    op.create_index("ix_pull_requests_proposal_id", "pull_requests", ["proposal_id"])
    op.create_index("ix_pull_requests_status", "pull_requests", ["status"])
    op.create_table(
        "outcomes",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("proposal_id", sa.String(64), nullable=False),
        sa.Column("forge", sa.String(64), nullable=False),
        sa.Column("pr_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.UniqueConstraint("proposal_id", "forge", "pr_id", name="uq_outcomes_proposal_pr"),
    )
    op.create_index("ix_outcomes_proposal_id", "outcomes", ["proposal_id"])
    op.create_index("ix_outcomes_status", "outcomes", ["status"])


def downgrade() -> None:
    """Drop the core tables (data is lost)."""
    op.drop_table("outcomes")
    op.drop_table("pull_requests")
    op.drop_table("proposals")
