"""Doubles and fixtures for users' own tests of code built on kubesmith.

Each section belongs to one area; add new helpers in a section of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from kubesmith.model import Outcome, Proposal, PullRequest
    from kubesmith.tools.sandbox import Sandbox

# =============================================================================================
# Sandbox API server (server-side dry-run)
# =============================================================================================


@pytest.fixture(scope="session")
def kubesmith_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A running sandbox (etcd + kube-apiserver on loopback) shared by the whole test session.

    Starting one takes a few seconds, so one per session; tests that need isolation use their
    own namespaces. Skips the test when the binaries are not built (with the command to build
    them). Use it by adding ``pytest_plugins = ["kubesmith.testing"]`` to the root conftest, or
    ``from kubesmith.testing import kubesmith_sandbox`` in a conftest.
    """
    from kubesmith.tools.sandbox import Sandbox
    from kubesmith.tools.toolcache import default_cache

    cache = default_cache()
    missing = [n for n in ("etcd", "kube-apiserver") if cache.tool_path(n) is None]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not built; run `kubesmith tools install {' '.join(missing)}`"
        )
    with Sandbox(tmp_path_factory.mktemp("kubesmith-sandbox")) as sandbox:
        yield sandbox


# =============================================================================================
# In-memory forge
# =============================================================================================


class InMemoryForge:
    """A forge that keeps pull requests in memory, for tests of code that opens them.

    Same contract as the real forges: ``open_pr`` is idempotent per branch (a second call with
    the same branch updates the first pull request), ``comment`` needs an existing pull request.
    Attributes ``pull_requests`` (id → dict with title, body, branch, status, comments) and
    ``opened`` (how many ``open_pr`` calls created a new one) are there to assert on.
    """

    name = "memory"

    def __init__(self) -> None:
        self.pull_requests: dict[str, dict[str, Any]] = {}
        self.opened = 0
        self._outcomes: list[Outcome] = []

    def open_pr(self, proposal: Proposal, *, title: str, body: str) -> PullRequest:
        """Record (or update) the pull request for ``proposal.branch``."""
        from kubesmith.errors import ForgeError
        from kubesmith.model import PullRequest

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
        from kubesmith.errors import ForgeError

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


# =============================================================================================
# Scripted chat model (LLM planner)
# =============================================================================================

if TYPE_CHECKING:
    from kubesmith.agent.llm.scripted import (  # noqa: F401 - re-exported lazily below
        ScriptedChatModel,
        ScriptedRequest,
        ScriptExhausted,
        scripted_reply,
    )

_LLM_DOUBLES = ("ScriptedChatModel", "ScriptedRequest", "ScriptExhausted", "scripted_reply")


def __getattr__(name: str) -> object:
    """Import the LLM doubles on first use: they need LangChain, which the llm extra installs."""
    if name in _LLM_DOUBLES:
        from kubesmith.agent.llm import scripted

        return getattr(scripted, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
