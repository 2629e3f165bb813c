"""Learning: the rules table and, on SQLite, a full-text index of intents.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

The FTS5 table is created only when the SQLite library has FTS5 (nearly all builds); without it,
and on PostgreSQL, ``Store.similar`` ranks with a BM25 computed in Python.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _has_fts5() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    options = {row[0] for row in bind.exec_driver_sql("PRAGMA compile_options").fetchall()}
    return "ENABLE_FTS5" in options


def upgrade() -> None:
    """Create ``rules`` and (SQLite) ``proposal_search``, indexing existing proposals."""
    op.create_table(
        "rules",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_rules_kind", "rules", ["kind"])
    op.create_index("ix_rules_status", "rules", ["status"])
    if _has_fts5():
        op.execute(
            "CREATE VIRTUAL TABLE proposal_search USING fts5("
            "proposal_id UNINDEXED, intent, tokenize='porter unicode61')"
        )
        op.execute(
            "INSERT INTO proposal_search (proposal_id, intent) SELECT id, intent FROM proposals"
        )


def downgrade() -> None:
    """Drop the learning tables."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS proposal_search")
    op.drop_table("rules")
