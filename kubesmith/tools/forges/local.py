"""LocalForge, the embedded default: a pull request is a branch plus a record in the local store.

Nothing leaves the machine. ``accept`` merges the branch into its base with a merge commit (never
rewriting history, never touching a dirty checkout); ``reject`` records the reason and keeps the
branch, so the proposal can still be read. Both record an outcome for learning.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from kubesmith.errors import ForgeError, UsageError
from kubesmith.model import Outcome, Proposal, PullRequest, ReviewComment
from kubesmith.tools.git import TRAILER, GitRepo

if TYPE_CHECKING:
    from kubesmith.store import PullRequestRecord, Store


class LocalForge:
    """Pull requests as branches of the repository and records in its local store."""

    name = "local"
    repository = ""
    """Local pull request ids are proposal id prefixes: unique in the store already."""

    def __init__(self, repo: Path, store: Store) -> None:
        self.git = GitRepo(repo)
        self.store = store

    def _url(self, branch: str) -> str:
        return f"file://{self.git.root}#{branch}"

    def open_pr(self, proposal: Proposal, *, title: str, body: str) -> PullRequest:  # noqa: ARG002 - the body is in the record the caller writes
        """The proposal's pull request: its branch is already in the repository, so this only
        names it (the id of the one for the same branch, if any). The caller records it."""
        if not proposal.branch:
            raise ForgeError("the proposal has no branch to review")
        existing = self.store.find_pull_request(proposal.branch, self.name, self.repository)
        return PullRequest(
            forge=self.name,
            id=existing.pr.id if existing else proposal.id[:8],
            url=self._url(proposal.branch),
            status="open",
            title=title,
            repository=self.repository,
        )

    def comment(self, pr_id: str, body: str) -> None:
        """Record a reviewer's comment as an outcome event of the still-open pull request."""
        record = self.get(pr_id)
        self.store.record_outcome(
            Outcome(
                proposal_id=record.proposal_id,
                pr=record.pr,
                status="open",
                comments=(ReviewComment(author=_user(self.git), body=body),),
            )
        )

    def outcomes(self) -> list[Outcome]:
        """Every recorded outcome of this forge's pull requests."""
        return [o for o in self.store.outcomes() if o.pr.forge == self.name]

    # ------------------------------------------------------------------ review queue

    def get(self, pr_id: str) -> PullRequestRecord:
        """A pull request by id or unique id prefix."""
        return self.store.get_pull_request(pr_id, forge=self.name)

    def list(self, status: str | None = None) -> list[PullRequestRecord]:
        """Pull requests, newest first, optionally only those with ``status``."""
        return self.store.list_pull_requests(status=status, forge=self.name)

    def accept(self, pr_id: str) -> PullRequestRecord:
        """Merge the pull request's branch into its base and record the acceptance.

        Raises:
            UsageError: when the pull request is not open.
            GitError: on conflicts or a dirty checkout of the base branch (nothing merged).
        """
        with self._decision_lock():
            record = self._open(pr_id)
            if not self.git.branch_exists(record.branch):
                raise ForgeError(
                    f"branch {record.branch} no longer exists; reject the request instead"
                )
            proposal = self.store.get_proposal(record.proposal_id)
            tip = self.git.resolve(record.branch)
            follow_up = self.git.diff(proposal.commit, tip) if proposal.commit else ""
            message = f"Merge {record.branch}: {record.title}\n\n{TRAILER}: {proposal.id}\n"
            self.git.merge(record.branch, record.base, message)
            self.store.set_pull_request_status(record.pr.id, self.name, "accepted", expect="open")
        self.store.record_outcome(
            Outcome(
                proposal_id=proposal.id,
                pr=replace(record.pr, status="accepted"),
                status="accepted",
                follow_up_diff=follow_up,
            )
        )
        return self.get(record.pr.id)

    def reject(self, pr_id: str, reason: str) -> PullRequestRecord:
        """Close the pull request without merging; the branch is kept for reference."""
        if not reason.strip():
            raise UsageError(
                "say why the proposal is rejected (--reason); kubesmith learns from it"
            )
        with self._decision_lock():
            record = self._open(pr_id)
            self.store.set_pull_request_status(
                record.pr.id, self.name, "rejected", reason=reason, expect="open"
            )
        self.store.record_outcome(
            Outcome(
                proposal_id=record.proposal_id,
                pr=replace(record.pr, status="rejected"),
                status="rejected",
                reason=reason,
            )
        )
        return self.get(record.pr.id)

    @contextmanager
    def _decision_lock(self) -> Iterator[None]:
        """One review decision at a time in this repository.

        ``accept`` merges first and records after; without this lock a ``reject`` could record
        its decision in between (both "succeed": merged, and the reason lost), and two accepts
        would run ``git merge`` at once. An exclusive ``flock`` on a file in the git directory
        serialises them across processes, and the kernel releases it if the holder is killed.
        The record itself is still a compare-and-set (``expect="open"``), so a store shared with
        another machine cannot take two decisions either.
        """
        path = self.git.git_dir / "kubesmith" / "review.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _open(self, pr_id: str) -> PullRequestRecord:
        record = self.get(pr_id)
        if record.pr.status != "open":
            raise UsageError(f"pull request {record.pr.id} is already {record.pr.status}")
        return record


def _user(git: GitRepo) -> str:
    reader = git.repo.config_reader()
    return str(reader.get_value("user", "name", "reviewer"))
