"""kubesmith's feedback store: proposals, pull requests and outcomes (SQLite or PostgreSQL).

``Store`` pulls in SQLAlchemy, so it is loaded on first use: importing
``kubesmith.store.records`` or the learning helpers never pays for the database layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesmith.store.records import PullRequestRecord

if TYPE_CHECKING:
    from kubesmith.store.store import Store

__all__ = ["PullRequestRecord", "Store"]


def __getattr__(name: str) -> Any:
    if name == "Store":
        from kubesmith.store.store import Store

        return Store
    raise AttributeError(f"module 'kubesmith.store' has no attribute {name!r}")
