"""Alembic environment for kubesmith's store, run programmatically by ``Store.open``.

The caller hands over an open SQLAlchemy connection in ``config.attributes["connection"]``, so no
``alembic.ini`` and no URL handling happen here. ``render_as_batch`` lets later revisions alter
columns on SQLite, which cannot ``ALTER`` most things in place.
"""

from __future__ import annotations

from alembic import context

from kubesmith.store._orm import Base
from kubesmith.store.engine import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached from the alembic command line
    raise RuntimeError("kubesmith's migrations run from Store.open(), which passes a connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
