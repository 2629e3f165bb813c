"""The forge interface: open or update a pull request, comment on it, read outcomes."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from kubesmith.model import Outcome, Proposal, PullRequest


@runtime_checkable
class Forge(Protocol):
    """A place where proposals are reviewed.

    ``open_pr`` is idempotent: the same proposal (same branch) opened twice updates the first pull
    request rather than opening another. Forges return pull requests and never write the
    feedback store: the agent's loop records each proposal and its pull request once.
    """

    name: str

    @property
    def repository(self) -> str:
        """Where pull request ids are unique on this forge (``owner/name`` on GitHub, else "")."""
        ...

    def open_pr(self, proposal: Proposal, *, title: str, body: str) -> PullRequest:
        """Publish ``proposal.branch`` and open (or update) its pull request."""
        ...

    def comment(self, pr_id: str, body: str) -> None:
        """Add a comment to a pull request."""
        ...

    def outcomes(self) -> list[Outcome]:
        """The current review outcome of every pull request this forge opened."""
        ...
