"""Reading review outcomes back from GitHub into the feedback store (``kubesmith review sync``).

For each pull request kubesmith opened on GitHub and still believes open: merged → accepted,
closed without merging → rejected (the reason is the last "changes requested" review, else the
last comment), otherwise still open; plus every review verdict, line comment and conversation
comment, and the diff of the commits reviewers pushed on top of kubesmith's (read from the remote
with git when the branch still exists, else from GitHub's compare endpoint). kubesmith's own
comments (those carrying a ``<!-- kubesmith`` marker) are not read back as reviewer feedback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesmith.errors import ForgeError, UsageError
from kubesmith.model import Outcome, OutcomeStatus, PullRequest, ReviewComment
from kubesmith.tools.forges.github.client import pr_number

if TYPE_CHECKING:
    from kubesmith.store import PullRequestRecord
    from kubesmith.tools.forges.github.forge import GitHubForge

_VERDICTS: dict[str, Any] = {
    "APPROVED": "approved",
    "CHANGES_REQUESTED": "changes_requested",
    "COMMENTED": "commented",
}


def sync_outcomes(forge: GitHubForge, *, include_closed: bool = False) -> list[Outcome]:
    """Read the outcome of every open (or, with ``include_closed``, every) GitHub pull request.

    Each outcome is recorded in the store (which also updates the pull request's status).
    """
    outcomes = []
    for record in forge.store.list_pull_requests(forge=forge.name):
        if record.pr.status != "open" and not include_closed:
            continue
        if record.pr.repository not in (forge.repository, ""):
            continue  # another repository's pull request of the same number is not ours to read
        outcome = read_outcome(forge, record)
        forge.store.record_outcome(outcome)
        outcomes.append(outcome)
    return outcomes


def read_outcome(forge: GitHubForge, record: PullRequestRecord) -> Outcome:
    """The current outcome of one pull request, as GitHub shows it."""
    client = forge.client
    number = pr_number(record.pr.id)
    pull = client.pull(number)
    comments = _reviews(client.reviews(number))
    comments += _line_comments(client.review_comments(number))
    comments += _conversation(client.issue_comments(number))
    status: OutcomeStatus = "open"
    reason = ""
    if pull.get("merged") or pull.get("merged_at"):
        status = "accepted"
    elif pull.get("state") == "closed":
        status = "rejected"
        reason = _reason(comments)
    try:
        ours = forge.store.get_proposal(record.proposal_id).commit
    except UsageError:
        ours = None
    pr = PullRequest(
        forge=forge.name,
        id=record.pr.id,
        url=str(pull.get("html_url") or record.pr.url),
        status=status,
        title=str(pull.get("title") or record.title),
        repository=record.pr.repository,
    )
    return Outcome(
        proposal_id=record.proposal_id,
        pr=pr,
        status=status,
        reason=reason,
        comments=tuple(comments),
        follow_up_diff=_follow_up(forge, pull, ours, number) if ours else "",
    )


def _login(item: dict[str, Any]) -> str:
    user = item.get("user") or {}
    return str(user.get("login") or "unknown") if isinstance(user, dict) else "unknown"


def _is_ours(item: dict[str, Any]) -> bool:
    return "<!-- kubesmith" in str(item.get("body") or "")


def _reviews(reviews: list[dict[str, Any]]) -> list[ReviewComment]:
    out = []
    for r in reviews:
        verdict = _VERDICTS.get(str(r.get("state")))
        body = str(r.get("body") or "")
        if verdict is None or _is_ours(r) or (verdict == "commented" and not body.strip()):
            continue  # pending, dismissed, or the empty wrapper of line comments
        out.append(ReviewComment(author=_login(r), body=body, verdict=verdict))
    return out


def _line_comments(comments: list[dict[str, Any]]) -> list[ReviewComment]:
    out = []
    for c in comments:
        if _is_ours(c):
            continue
        line = c.get("line") or c.get("original_line")
        out.append(
            ReviewComment(
                author=_login(c),
                body=str(c.get("body") or ""),
                file=str(c["path"]) if c.get("path") else None,
                line=int(line) if line else None,
            )
        )
    return out


def _conversation(comments: list[dict[str, Any]]) -> list[ReviewComment]:
    return [
        ReviewComment(author=_login(c), body=str(c.get("body") or ""))
        for c in comments
        if not _is_ours(c)
    ]


def _reason(comments: list[ReviewComment]) -> str:
    """Why a pull request was closed: the last change request, else the last comment."""
    for wanted in ("changes_requested", None):
        for c in reversed(comments):
            if c.body.strip() and (wanted is None or c.verdict == wanted):
                return c.body.strip()
    return "closed on GitHub without merging"


def _follow_up(forge: GitHubForge, pull: dict[str, Any], ours: str, number: int) -> str:
    """The diff of what reviewers pushed on top of kubesmith's commit ("" when nothing)."""
    head = pull.get("head") or {}
    ref = str(head.get("ref") or "")
    if ref:
        try:
            tip = forge.pusher.fetch(ref)
        except ForgeError:
            tip = ""  # the branch was deleted (e.g. after the merge): ask GitHub instead
        if tip and forge.pusher.contains(tip, ours):
            return forge.git.diff(ours, tip) if tip != ours else ""
    shas = [str(c.get("sha")) for c in forge.client.pull_commits(number)]
    if not shas or shas[-1] == ours or ours not in shas:
        return ""
    return forge.client.compare_diff(ours, shas[-1])
