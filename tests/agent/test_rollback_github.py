"""A pull request merged on GitHub, undone by a rollback proposal opened on GitHub.

GitHub's API is played back from hand-written cassettes (tests/tools/github/cassettes); the
merge is what GitHub's merge button makes, a merge commit on main of the bare remote.
"""

from __future__ import annotations

from pathlib import Path

from kubesmith.agent.loop import Agent
from kubesmith.model import ChangeSet, Outcome, SetField
from kubesmith.tools.forges.body import read_metadata
from tests.conftest import git
from tests.tools.github.conftest import (  # noqa: F401 - fixtures
    CHECKOUT_REF,
    GitHubHarness,
    gh,
    remote_repo,
)


class Scale:
    name = "fixed"

    def plan(self, intent: str, workspace: object, **_: object) -> ChangeSet:
        return ChangeSet(intent, (SetField(CHECKOUT_REF, "spec.replicas", 3),), planner="fixed")


def test_a_merged_github_pull_request_is_undone_by_a_rollback_pull_request(
    gh: GitHubHarness,  # noqa: F811
    remote_repo: tuple[Path, Path],  # noqa: F811
) -> None:
    repo, bare = remote_repo
    forge = gh.forge(repo)
    agent = Agent(repo=repo, settings=gh.settings(), planner=Scale(), forge=forge,
                  store=forge.store)  # fmt: skip
    with gh.cassette("open_pr_new"):
        first = agent.propose("scale checkout to 3")
    assert first.pr is not None and first.pr.id == "7" and first.branch
    # GitHub's merge button: a merge commit on main, fetched by the user
    git(repo, "fetch", "-q", "origin")
    git(repo, "merge", "-q", "--no-ff", f"origin/{first.branch}", "-m",
        f"Merge pull request #7 from acme/{first.branch}")  # fmt: skip
    git(repo, "push", "-q", "origin", "main")
    forge.store.record_outcome(Outcome(first.id, first.pr, "accepted"))
    main_before = git(bare, "rev-parse", "main")

    with gh.cassette("rollback_pr") as cassette:
        undo = agent.propose("revert PR 7")
    assert cassette.all_played
    assert undo.planner == "rollback" and undo.pr is not None and undo.pr.id == "8"
    assert [(c.path, c.old, c.new) for c in undo.changes] == [("spec.replicas", 3, 2)]
    assert git(bare, "rev-parse", "main") == main_before  # nothing written to the base branch
    body = [s.body["body"] for s in gh.sent if s.method == "POST" and s.path.endswith("/pulls")]
    assert "github pull request 7" in body[-1] and first.id in body[-1]
    assert read_metadata(body[-1])["proposal"] == undo.id
