"""An in-memory forge: pull requests kept in a dict, for tests of code that opens them."""

from __future__ import annotations

from typing import Any

from kubesmith.errors import ForgeError
from kubesmith.model import Outcome, Proposal, PullRequest


class InMemoryForge:
    """A forge that keeps pull requests in memory, for tests of code that opens them.

    Same contract as the real forges: ``open_pr`` is idempotent per branch (a second call with
    the same branch updates the first pull request), ``comment`` needs an existing pull request.
    Attributes ``pull_requests`` (id → dict with title, body, branch, status, comments) and
    ``opened`` (how many ``open_pr`` calls created a new one) are there to assert on.
    """

    name = "memory"
    repository = ""

    def __init__(self) -> None:
        self.pull_requests: dict[str, dict[str, Any]] = {}
        self.opened = 0
        self._outcomes: list[Outcome] = []

    def open_pr(self, proposal: Proposal, *, title: str, body: str) -> PullRequest:
        """Record (or update) the pull request for ``proposal.branch``."""
        if not proposal.branch:
            raise ForgeError("the proposal has no branch to review")
        for pr_id, pr in self.pull_requests.items():
            if pr["branch"] == proposal.branch:
                pr.update(title=title, body=body, proposal=proposal.id)
                return PullRequest(self.name, pr_id, f"memory://{pr_id}", "open", title)
        self.opened += 1
        pr_id = str(self.opened)
        self.pull_requests[pr_id] = {
            "title": title,
            "body": body,
            "branch": proposal.branch,
            "proposal": proposal.id,
            "status": "open",
            "comments": [],
        }
        return PullRequest(self.name, pr_id, f"memory://{pr_id}", "open", title)

    def comment(self, pr_id: str, body: str) -> None:
        """Append a comment to an existing pull request."""
        if pr_id not in self.pull_requests:
            raise ForgeError(f"no pull request {pr_id}")
        self.pull_requests[pr_id]["comments"].append(body)

    def record(self, outcome: Outcome) -> None:
        """Set an outcome, as a reviewer would (for tests of code that reads outcomes)."""
        self.pull_requests[outcome.pr.id]["status"] = outcome.status
        self._outcomes.append(outcome)

    def outcomes(self) -> list[Outcome]:
        """Every outcome recorded with :meth:`record`."""
        return list(self._outcomes)
