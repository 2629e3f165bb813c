"""The GitHub bot's durable job queue: one row per webhook delivery.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

The delivery id is unique, so a replayed delivery can never become a second job. The partial
unique index on ``pr_key`` for running rows is what keeps one job per pull request running at a
time, even when several bot replicas share one PostgreSQL database and claim concurrently.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    """Create ``bot_jobs`` and its indexes."""
    op.create_table(
        "bot_jobs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(128), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("pr_key", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.Float(), nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("heartbeat_at", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.UniqueConstraint("delivery_id", name="uq_bot_jobs_delivery_id"),
    )
    op.create_index("ix_bot_jobs_status_run_after", "bot_jobs", ["status", "run_after"])
    op.create_index("ix_bot_jobs_pr_key", "bot_jobs", ["pr_key"])
    op.create_index(
        "uq_bot_jobs_one_running_per_pr",
        "bot_jobs",
        ["pr_key"],
        unique=True,
        sqlite_where=_RUNNING,
        postgresql_where=_RUNNING,
    )


def downgrade() -> None:
    """Drop the job queue."""
    op.drop_table("bot_jobs")
