"""Webhook payloads at the edge: pydantic models of the fields the bot reads, and routing.

Only the documented fields kubesmith uses are declared (everything else is ignored), so a
payload that lacks one of them is malformed and refused with 400 before any job exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from kubesmith.tools.forges.body import read_metadata

SHA_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
BRANCH_RE = re.compile(
    r"(?![-/.])(?!.*(?:\.\.|@\{|//|/\.|\.lock$|\.$|/$))[^\x00-\x20\x7f~^:?*\[\\]+"
)
COMMAND_RE = re.compile(r"^\s*/kubesmith(?:\s+(?P<rest>.*))?$", re.IGNORECASE | re.DOTALL)
VALIDATE_ACTIONS = frozenset({"opened", "synchronize", "reopened"})
Kind = Literal["validate", "command", "outcome", "ignored"]


class MalformedPayload(ValueError):
    """The delivery is not a payload of the event its header names."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(_Model):
    """A GitHub account (``type`` is ``Bot`` for apps)."""

    login: str
    type: str = "User"

    @property
    def is_bot(self) -> bool:
        """Bots never command kubesmith (no loops between bots)."""
        return self.type == "Bot" or self.login.endswith("[bot]")


class Repository(_Model):
    """The repository a delivery is about."""

    full_name: str
    clone_url: str
    html_url: str = ""
    default_branch: str = "main"


class Branch(_Model):
    """One side of a pull request.

    ``sha`` and ``ref`` reach ``git fetch`` in the bot's checkout, so they are checked here: a
    commit id is 40 (SHA-1) or 64 (SHA-256) lowercase hex digits; a branch name is what
    ``git check-ref-format`` allows and never starts with ``-`` (no option can be smuggled in).
    """

    ref: str
    sha: str
    repo: Repository | None = None

    @field_validator("sha")
    @classmethod
    def _commit_id(cls, value: str) -> str:
        if not SHA_RE.fullmatch(value):
            raise ValueError("not a commit id (40 or 64 lowercase hex digits)")
        return value

    @field_validator("ref")
    @classmethod
    def _branch_name(cls, value: str) -> str:
        if not BRANCH_RE.fullmatch(value):
            raise ValueError("not a valid branch name")
        return value


class Pull(_Model):
    """The pull request object of ``pull_request`` and ``pull_request_review`` payloads."""

    number: int
    state: str = "open"
    title: str = ""
    body: str | None = None
    html_url: str = ""
    merged: bool | None = None
    user: User
    head: Branch
    base: Branch


class Installation(_Model):
    """The GitHub App installation that sent the delivery."""

    id: int


class Comment(_Model):
    """An issue (conversation) comment."""

    id: int
    body: str
    user: User


class Issue(_Model):
    """The issue or pull request a comment is on (``pull_request`` set for pull requests)."""

    number: int
    pull_request: dict[str, Any] | None = None


class Review(_Model):
    """A submitted review; webhook states are lowercase (``approved``, ``changes_requested``)."""

    id: int
    state: str
    body: str | None = None
    user: User


class _Event(_Model):
    action: str
    repository: Repository
    installation: Installation | None = None
    sender: User


class PullRequestEvent(_Event):
    """``pull_request``."""

    number: int
    pull_request: Pull


class IssueCommentEvent(_Event):
    """``issue_comment``."""

    issue: Issue
    comment: Comment


class PullRequestReviewEvent(_Event):
    """``pull_request_review``."""

    review: Review
    pull_request: Pull


_MODELS: dict[str, type[_Event]] = {
    "pull_request": PullRequestEvent,
    "issue_comment": IssueCommentEvent,
    "pull_request_review": PullRequestReviewEvent,
}


@dataclass(frozen=True)
class Route:
    """What to do with a delivery: the job kind and the pull request it serializes on."""

    kind: Kind
    pr_key: str
    reason: str = ""


def parse(event: str, payload: Any) -> _Event | None:
    """The typed payload of a handled event (None for events the bot does not read).

    Raises:
        MalformedPayload: when the payload lacks what its event must have.
    """
    if not isinstance(payload, dict):
        raise MalformedPayload("the payload is not a JSON object")
    model = _MODELS.get(event)
    if model is None:
        return None
    try:
        return model.model_validate(payload)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise MalformedPayload(f"{event} payload: {where}: {first['msg']}") from e


def command_of(body: str) -> str | None:
    """The text after ``/kubesmith`` when the comment is a command (first line), else None."""
    first = body.strip().splitlines()[0] if body.strip() else ""
    m = COMMAND_RE.match(first)
    if not m:
        return None
    return " ".join((m.group("rest") or "").split())


def is_kubesmith_pull(pull: Pull) -> bool:
    """True for a pull request kubesmith opened (its body carries the metadata block)."""
    return read_metadata(pull.body or "") is not None


def route(event: str, payload: Any) -> Route:
    """Decide the job for a delivery (``ignored`` ones are remembered, never run).

    Raises:
        MalformedPayload: for a payload that does not match its event.
    """
    typed = parse(event, payload)
    if typed is None:
        return Route("ignored", f"event:{event}", f"{event} events are not handled")
    key_base = typed.repository.full_name
    if isinstance(typed, PullRequestEvent):
        key = f"{key_base}#{typed.number}"
        if typed.action in VALIDATE_ACTIONS:
            return Route("validate", key)
        if typed.action == "closed" and is_kubesmith_pull(typed.pull_request):
            return Route("outcome", key)
        return Route("ignored", key, f"pull_request {typed.action}: nothing to do")
    if isinstance(typed, IssueCommentEvent):
        key = f"{key_base}#{typed.issue.number}"
        if typed.action != "created" or typed.issue.pull_request is None:
            return Route("ignored", key, "not a new comment on a pull request")
        if typed.comment.user.is_bot:
            return Route("ignored", key, "comments from bots are ignored")
        if command_of(typed.comment.body) is None:
            return Route("ignored", key, "not a /kubesmith command")
        return Route("command", key)
    assert isinstance(typed, PullRequestReviewEvent)
    key = f"{key_base}#{typed.pull_request.number}"
    if typed.action == "submitted" and is_kubesmith_pull(typed.pull_request):
        return Route("outcome", key)
    return Route("ignored", key, "not a review of a kubesmith pull request")
