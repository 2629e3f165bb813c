"""Frozen values the store hands out that are not part of the core model.

They live apart from the ORM so that importing them never imports SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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


RuleStatus = Literal["candidate", "approved", "rejected"]
RULE_STATUSES: tuple[RuleStatus, ...] = ("candidate", "approved", "rejected")


@dataclass(frozen=True)
class Evidence:
    """One observation behind a learned rule.

    Attributes:
        proposal_id: the proposal whose review showed it.
        source: ``follow_up`` (a reviewer's own edit after kubesmith's commit), ``rejection`` (a
            rejection reason) or ``comment`` (a review comment).
        detail: the diff line or the reviewer's words.
        ref: the resource it was about, when known (``Kind/ns/name``).
    """

    proposal_id: str
    source: Literal["follow_up", "rejection", "comment"]
    detail: str
    ref: str = ""


@dataclass(frozen=True)
class Rule:
    """A team convention learned from reviews: a candidate until a human approves it.

    Attributes:
        id: stable id derived from kind and params (``r-`` + 8 hex digits).
        kind: ``required_label``, ``required_annotation``, ``memory_limit_equals_request``,
            ``forbidden_registry``, ``min_replicas``, ``no_latest_tag``, ``image_pull_policy``.
        params: the kind's parameters (``{"key": "owner", "value": "team-a"}``, ...).
        description: one sentence a reviewer and a planner can read.
        status: ``candidate``, ``approved`` or ``rejected`` (decided by ``kubesmith rules``).
        evidence: what it was learned from.
    """

    id: str
    kind: str
    params: dict[str, Any]
    description: str
    status: RuleStatus = "candidate"
    evidence: tuple[Evidence, ...] = ()

    @property
    def support(self) -> int:
        """How many distinct proposals show the convention."""
        return len({e.proposal_id for e in self.evidence})


@dataclass(frozen=True)
class SimilarCase:
    """A past proposal similar to a new intent, with what reviewers did with it.

    Attributes:
        proposal_id: the past proposal.
        intent: its intent.
        status: ``accepted``, ``rejected``, ``closed``, ``open`` or ``none`` (never reviewed).
        reason: the reviewer's reason, when one was given.
        score: relevance, higher is more similar (BM25, comparable within one query only).
        comments: the reviewers' comments.
    """

    proposal_id: str
    intent: str
    status: str
    reason: str
    score: float
    comments: tuple[str, ...] = ()
