"""Reviewers' verdicts on kubesmith's own pull requests, into the feedback store.

``pull_request`` closed → accepted (merged) or rejected; ``pull_request_review`` submitted → a
review comment with its verdict. The proposal is the one named by the pull request's hidden
metadata block (:mod:`kubesmith.tools.forges.body`). The store merges events per pull request,
so a redelivered event changes nothing.
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


def outcome_of(event: str, payload: dict[str, Any], store: Store | None = None) -> Outcome | None:
    """The outcome a delivery reports (None when it is not about a kubesmith pull request)."""
    typed = parse(event, payload)
    if isinstance(typed, PullRequestEvent) and typed.action == "closed":
        pull = typed.pull_request
        status: OutcomeStatus = "accepted" if pull.merged else "rejected"
        reason = "" if pull.merged else _reason(pull, store)
        return _outcome(pull, status, reason, ())
    if isinstance(typed, PullRequestReviewEvent) and typed.action == "submitted":
        review = typed.review
        verdict = _VERDICTS.get(review.state.lower())
        body = (review.body or "").strip()
        if verdict is None or (verdict == "commented" and not body):
            return None
        comment = ReviewComment(author=review.user.login, body=body, verdict=verdict)
        return _outcome(typed.pull_request, "open", "", (comment,))
    return None


def record_outcome(store: Store, event: str, payload: dict[str, Any]) -> Outcome | None:
    """Record the delivery's outcome in ``store``; the outcome, or None when there is none."""
    outcome = outcome_of(event, payload, store)
    if outcome is not None:
        store.record_outcome(outcome)
    return outcome


def _outcome(
    pull: Pull, status: OutcomeStatus, reason: str, comments: tuple[ReviewComment, ...]
) -> Outcome | None:
    meta = read_metadata(pull.body or "")
    if not meta or not meta.get("proposal"):
        return None
    pr = PullRequest(FORGE, str(pull.number), pull.html_url, status, pull.title)
    return Outcome(meta["proposal"], pr, status, reason, comments)


def _reason(pull: Pull, store: Store | None) -> str:
    """Why it was closed: the last change request recorded for it, else a plain statement."""
    meta = read_metadata(pull.body or "") or {}
    if store is not None and meta.get("proposal"):
        for outcome in reversed(store.outcomes(proposal_id=meta["proposal"])):
            if outcome.pr.id != str(pull.number):
                continue
            for c in reversed(outcome.comments):
                if c.verdict == "changes_requested" and c.body:
                    return c.body
    return "closed on GitHub without merging"
