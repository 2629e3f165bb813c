"""Conversions between table rows and model values, and the checks they share."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from kubesmith.errors import UsageError
from kubesmith.model import Outcome, Proposal, PullRequest, from_json
from kubesmith.store._orm import ProposalRow, PullRequestRow
from kubesmith.store.records import PullRequestRecord

PR_STATUSES = ("open", "accepted", "rejected", "closed")


def merge_outcomes(old: Outcome, new: Outcome) -> Outcome:
    """``new`` on top of ``old``: newest decision, accumulated comments, kept reason and diff.

    A comment-only event (status ``open``) never reopens a decided pull request.
    """
    comments = old.comments + tuple(c for c in new.comments if c not in old.comments)
    status = new.status if new.status != "open" else old.status
    keep_reason = status == old.status
    return replace(
        new,
        status=status,
        pr=replace(new.pr, status=status),
        comments=comments,
        reason=new.reason or (old.reason if keep_reason else ""),
        follow_up_diff=new.follow_up_diff or old.follow_up_diff,
    )


def check_status(status: str) -> None:
    if status not in PR_STATUSES:
        raise UsageError(f"unknown status {status!r}; expected one of {', '.join(PR_STATUSES)}")


def proposal_from_row(row: ProposalRow) -> Proposal:
    data: Any = json.loads(row.data)
    return from_json(Proposal, data)


def pr_record(row: PullRequestRow) -> PullRequestRecord:
    return PullRequestRecord(
        pr=PullRequest(
            forge=row.forge,
            id=row.pr_id,
            url=row.url,
            status=row.status,  # type: ignore[arg-type]  # checked on the way in
            title=row.title,
            repository=row.repository,
        ),
        proposal_id=row.proposal_id,
        title=row.title,
        body=row.body,
        base=row.base,
        branch=row.branch,
        created_at=row.created_at,
        updated_at=row.updated_at,
        reason=row.reason,
    )
