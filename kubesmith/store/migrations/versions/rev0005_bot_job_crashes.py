"""Bot jobs count the workers that died running them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

A job whose worker process dies (killed for memory, say) is queued again when its lease runs
out; if it is what kills the worker, that would repeat forever. ``crashes`` counts these deaths
(separately from ``attempts``, which ordinary failures and retries also raise), and the queue
marks a job failed once it reaches the bot's limit.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``bot_jobs.crashes``."""
    with op.batch_alter_table("bot_jobs") as batch:
        batch.add_column(sa.Column("crashes", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Drop ``bot_jobs.crashes``."""
    with op.batch_alter_table("bot_jobs") as batch:
        batch.drop_column("crashes")
