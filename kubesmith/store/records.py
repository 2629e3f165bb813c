"""Frozen values the store hands out that are not part of the core model.

They live apart from the ORM so that importing them never imports SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubesmith.model import PullRequest


@dataclass(frozen=True)
class PullRequestRecord:
    """A pull request as the store remembers it: the forge's view plus what a reviewer reads.

    ``created_at`` and ``updated_at`` are ISO 8601 UTC timestamps; ``reason`` is the reviewer's
    reason for the last status change (empty while the request is open).
    """

    pr: PullRequest
    proposal_id: str
    title: str
    body: str
    base: str
    branch: str
    created_at: str
    updated_at: str
    reason: str = ""
