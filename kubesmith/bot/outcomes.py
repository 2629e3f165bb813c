"""Reviewers' verdicts on kubesmith's own pull requests, into the feedback store.

``pull_request`` closed → accepted (merged) or rejected; ``pull_request_review`` submitted → a
review comment with its verdict. The store merges events per pull request, so a redelivered
event changes nothing.

Which pull requests are kubesmith's is decided by the store, never by the pull request itself:
anyone can paste a metadata block (:mod:`kubesmith.tools.forges.body`) into a body. An outcome is
recorded only for a pull request the store has a record of — opened by kubesmith in this
repository under this number — whose record names the proposal of the metadata block and whose
head is that record's branch, in the repository itself (not a fork). Everything else is a
stranger's pull request, and what happens to it teaches kubesmith nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesmith.bot.events import Pull, PullRequestEvent, PullRequestReviewEvent, parse
from kubesmith.model import Outcome, OutcomeStatus, PullRequest, ReviewComment
from kubesmith.tools.forges.body import read_metadata

if TYPE_CHECKING:
    from kubesmith.store import Store

FORGE = "github"
_VERDICTS: dict[str, Any] = {
    "approved": "approved",
    "changes_requested": "changes_requested",
    "commented": "commented",
}


def outcome_of(event: str, payload: dict[str, Any], store: Store) -> Outcome | None:
    """The outcome a delivery reports (None when it is not about a kubesmith pull request)."""
    typed = parse(event, payload)
    if not isinstance(typed, PullRequestEvent | PullRequestReviewEvent):
        return None
    repository = typed.repository.full_name
    proposal_id = opened_by_kubesmith(store, typed.pull_request, repository)
    if proposal_id is None:
        return None
    if isinstance(typed, PullRequestEvent) and typed.action == "closed":
        pull = typed.pull_request
        status: OutcomeStatus = "accepted" if pull.merged else "rejected"
        reason = "" if pull.merged else _reason(pull, proposal_id, repository, store)
        return _outcome(pull, proposal_id, repository, status, reason, ())
    if isinstance(typed, PullRequestReviewEvent) and typed.action == "submitted":
        review = typed.review
        verdict = _VERDICTS.get(review.state.lower())
        body = (review.body or "").strip()
        if verdict is None or (verdict == "commented" and not body):
            return None
        comment = ReviewComment(author=review.user.login, body=body, verdict=verdict)
        return _outcome(typed.pull_request, proposal_id, repository, "open", "", (comment,))
    return None


def opened_by_kubesmith(store: Store, pull: Pull, repository: str) -> str | None:
    """The proposal id when kubesmith opened ``pull`` (by the store's record), else None."""
    meta = read_metadata(pull.body or "") or {}
    claimed = meta.get("proposal")
    if not claimed:
        return None
    record = store.pull_request(FORGE, repository, str(pull.number))
    if record is None or record.proposal_id != claimed or record.branch != pull.head.ref:
        return None
    head_repo = pull.head.repo.full_name if pull.head.repo is not None else repository
    if head_repo.casefold() != repository.casefold():
        return None  # a fork's branch of the same name
    return claimed


def record_outcome(store: Store, event: str, payload: dict[str, Any]) -> Outcome | None:
    """Record the delivery's outcome in ``store``; the outcome, or None when there is none."""
    outcome = outcome_of(event, payload, store)
    if outcome is not None:
        store.record_outcome(outcome)
    return outcome


def _outcome(
    pull: Pull,
    proposal_id: str,
    repository: str,
    status: OutcomeStatus,
    reason: str,
    comments: tuple[ReviewComment, ...],
) -> Outcome:
    pr = PullRequest(FORGE, str(pull.number), pull.html_url, status, pull.title, repository)
    return Outcome(proposal_id, pr, status, reason, comments)


def _reason(pull: Pull, proposal_id: str, repository: str, store: Store) -> str:
    """Why it was closed: the last change request recorded for it, else a plain statement."""
    for outcome in reversed(store.outcomes(proposal_id=proposal_id)):
        if (outcome.pr.id, outcome.pr.repository) != (str(pull.number), repository):
            continue
        for c in reversed(outcome.comments):
            if c.verdict == "changes_requested" and c.body:
                return c.body
    return "closed on GitHub without merging"
