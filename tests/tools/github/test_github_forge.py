"""GitHubForge end to end: a real bare remote for pushes, GitHub's API from hand-written cassettes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesmith.agent.loop import Agent
from kubesmith.errors import ForgeError
from kubesmith.model import ChangeSet, SetField
from kubesmith.store import Store
from kubesmith.tools.forges.body import pr_body, pr_title, read_metadata
from tests.conftest import git
from tests.tools.github.conftest import (
    BRANCH,
    CHECKOUT_REF,
    ENV,
    GitHubHarness,
    make_proposal,
    publish,
    remote_branches,
)


def test_open_pr_pushes_one_branch_and_opens_one_pull_request(
    gh: GitHubHarness, remote_repo: tuple[Path, Path]
) -> None:
    repo, bare = remote_repo
    p = make_proposal(repo)
    body = pr_body(p, ("schema", "policy"))
    with gh.cassette("open_pr_new") as cassette:
        pr = publish(gh.forge(repo), p, title=pr_title(p), body=body)
    assert cassette.all_played
    assert (pr.forge, pr.id, pr.status) == ("github", "7", "open")
    assert pr.url == "https://ghe.example.com/acme/manifests/pull/7"
    assert remote_branches(bare) == {
        "main": git(repo, "rev-parse", "main").strip(),
        BRANCH: p.commit,
    }
    assert gh.calls() == [
        ("GET", "/repos/acme/manifests"),
        ("GET", "/repos/acme/manifests/pulls"),
        ("POST", "/repos/acme/manifests/pulls"),
        ("POST", "/repos/acme/manifests/issues/7/labels"),
        ("POST", "/repos/acme/manifests/pulls/7/requested_reviewers"),
    ]
    assert gh.sent[1].query == {"head": f"acme:{BRANCH}", "state": "all", "per_page": "100"}
    create = gh.sent[2].body
    assert create["head"] == BRANCH and create["base"] == "main" and create["draft"] is False
    assert create["title"] == "scale checkout to 3"
    assert read_metadata(create["body"]) == {"proposal": p.id, "fingerprint": "", "branch": BRANCH}
    assert "| schema | ✅ passed |" in create["body"]
    assert gh.sent[3].body == {"labels": ["kubesmith"]}
    assert gh.sent[4].body == {"reviewers": ["alice"], "team_reviewers": []}
    record = Store.open(repo=repo).find_pull_request(BRANCH, "github")
    assert record is not None and record.pr.id == "7" and record.proposal_id == p.id
    assert ENV["GITHUB_TOKEN"] not in (repo / ".git" / "config").read_text()


def test_the_same_proposal_again_updates_its_pull_request(
    gh: GitHubHarness, remote_repo: tuple[Path, Path]
) -> None:
    repo, bare = remote_repo
    p = make_proposal(repo)
    with gh.cassette("open_pr_new"):
        publish(gh.forge(repo), p, title=pr_title(p), body=pr_body(p))
    gh.sent.clear()
    with gh.cassette("open_pr_update") as cassette:
        pr = publish(gh.forge(repo), p, title="scale checkout to 3", body="updated body")
    assert cassette.all_played
    assert pr.id == "7"
    assert ("POST", "/repos/acme/manifests/pulls") not in gh.calls()
    assert gh.calls()[1:3] == [
        ("GET", "/repos/acme/manifests/pulls/7"),
        ("PATCH", "/repos/acme/manifests/pulls/7"),
    ]
    assert gh.sent[2].body == {"title": "scale checkout to 3", "body": "updated body"}
    assert set(remote_branches(bare)) == {BRANCH, "main"}
    assert len(Store.open(repo=repo).list_pull_requests(forge="github")) == 1


def test_422_already_exists_updates_the_open_pull_request(
    gh: GitHubHarness, remote_repo: tuple[Path, Path]
) -> None:
    repo, _ = remote_repo
    p = make_proposal(repo)
    with gh.cassette("already_exists_422") as cassette:
        pr = publish(gh.forge(repo), p, title=pr_title(p), body=pr_body(p))
    assert cassette.all_played
    assert pr.id == "9"
    assert gh.sent[3].query == {"head": f"acme:{BRANCH}", "state": "open", "per_page": "100"}
    assert gh.calls()[4] == ("PATCH", "/repos/acme/manifests/pulls/9")
    assert read_metadata(gh.sent[4].body["body"])["proposal"] == p.id  # type: ignore[index]


def test_push_rejected_when_the_remote_branch_has_commits_kubesmith_did_not_make(
    gh: GitHubHarness, remote_repo: tuple[Path, Path]
) -> None:
    repo, bare = remote_repo
    # Someone else pushes their own work to the branch name first.
    other = Path(str(repo) + "-other")
    git(repo.parent, "clone", "-q", str(bare), str(other))
    git(other, "config", "user.email", "eve@example.com")
    git(other, "config", "user.name", "Eve")
    git(other, "checkout", "-q", "-b", BRANCH)
    (other / "notes.txt").write_text("mine\n")
    git(other, "add", "notes.txt")
    git(other, "commit", "-q", "-m", "eve's work")
    git(other, "push", "-q", "origin", BRANCH)
    theirs = remote_branches(bare)[BRANCH]
    p = make_proposal(repo)
    with gh.cassette("push_rejected"), pytest.raises(ForgeError) as err:
        publish(gh.forge(repo), p, title=pr_title(p), body=pr_body(p))
    assert "push rejected (non-fast-forward)" in str(err.value)
    assert "never force-pushes" in str(err.value)
    assert remote_branches(bare)[BRANCH] == theirs
    assert ("POST", "/repos/acme/manifests/pulls") not in gh.calls()


def test_failure_between_push_and_pull_request_is_completed_by_a_rerun(
    gh: GitHubHarness, remote_repo: tuple[Path, Path]
) -> None:
    repo, bare = remote_repo
    p = make_proposal(repo)
    forge = gh.forge(repo)
    with gh.cassette("push_then_fail") as cassette:
        with pytest.raises(ForgeError, match="500"):
            publish(forge, p, title=pr_title(p), body=pr_body(p))
        assert remote_branches(bare)[BRANCH] == p.commit  # pushed, no pull request
        git(repo, "branch", "-D", BRANCH)  # the agent deletes its local branch on failure
        pr = publish(forge, p, title=pr_title(p), body=pr_body(p))
    assert cassette.all_played
    assert pr.id == "8"
    assert set(remote_branches(bare)) == {"main", BRANCH}
    creates = [
        s for s in gh.sent if (s.method, s.path) == ("POST", "/api/v3/repos/acme/manifests/pulls")
    ]
    assert len(creates) == 5 and {c.body["head"] for c in creates} == {BRANCH}
    assert gh.sleeps == [1.0, 2.0, 4.0]


def test_force_opened_failing_proposal_is_a_draft(
    gh: GitHubHarness, remote_repo: tuple[Path, Path]
) -> None:
    from dataclasses import replace

    from kubesmith.model import Finding

    repo, _ = remote_repo
    p = make_proposal(repo)
    p = replace(p, findings=(Finding("schema", "error", "bad", "deploy/checkout.yaml", 6),))
    with gh.cassette("open_pr_new"):
        publish(gh.forge(repo), p, title=pr_title(p), body=pr_body(p))
    assert gh.sent[2].body["draft"] is True
    assert gh.sent[2].body["title"].startswith("[failing validation]")


# --------------------------------------------------------------------------- with the agent


class FixedPlanner:
    """Plans the same edit whatever the intent (the forge is under test, not planning)."""

    name = "fixed"

    def plan(self, intent: str, workspace: object, **_: object) -> ChangeSet:
        edit = SetField(CHECKOUT_REF, "spec.replicas", 3)
        return ChangeSet(intent, (edit,), planner=self.name, rationale="more capacity")


def _agent(gh: GitHubHarness, repo: Path, store: Store | None = None) -> Agent:
    """An agent recording in ``store`` (default: the repository's), as the loop does."""
    forge = gh.forge(repo)
    if store is not None:
        forge.store = store
    return Agent(repo=repo, settings=gh.settings(), planner=FixedPlanner(), forge=forge,
                 store=forge.store)  # fmt: skip


def _elsewhere(tmp_path: Path) -> Store:
    """Another machine's store: it has no record of the first run, so the forge must find the
    same change on GitHub itself."""
    return Store.open(f"sqlite:///{tmp_path / 'elsewhere.db'}")


def test_propose_twice_pushes_one_branch_and_updates_one_pull_request(
    gh: GitHubHarness, remote_repo: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, bare = remote_repo
    with gh.cassette("agent_rerun") as cassette:
        first = _agent(gh, repo).propose("scale checkout to 3")
        second = _agent(gh, repo, _elsewhere(tmp_path)).propose("scale checkout to 3")
    assert cassette.all_played
    assert first.pr is not None and second.pr is not None
    assert first.pr.id == second.pr.id == "7"
    assert first.branch != second.branch  # two proposals ...
    assert set(remote_branches(bare)) == {"main", first.branch}  # ... one branch on GitHub
    posts = [c for c in gh.calls() if c == ("POST", "/repos/acme/manifests/pulls")]
    assert len(posts) == 1
    update = next(s for s in gh.sent if s.method == "PATCH")
    meta = read_metadata(update.body["body"])
    assert meta == {
        "proposal": second.id,
        "fingerprint": second.fingerprint,
        "branch": first.branch,
    }
    assert "**Intent:** scale checkout to 3" in update.body["body"]
    assert "`deploy/checkout.yaml`" in update.body["body"]


def test_agent_rerun_after_a_failure_reuses_the_pushed_branch(
    gh: GitHubHarness, remote_repo: tuple[Path, Path]
) -> None:
    repo, bare = remote_repo
    with gh.cassette("agent_push_then_fail") as cassette:
        with pytest.raises(ForgeError):
            _agent(gh, repo).propose("scale checkout to 3")
        pushed = [b for b in remote_branches(bare) if b != "main"]
        assert len(pushed) == 1
        second = _agent(gh, repo).propose("scale checkout to 3")
    assert cassette.all_played
    assert second.pr is not None and second.pr.id == "8"
    assert [b for b in remote_branches(bare) if b != "main"] == pushed
    create = [s for s in gh.sent if s.method == "POST" and s.path.endswith("/pulls")][-1]
    assert create.body["head"] == pushed[0]


def test_a_merged_pull_request_is_not_reopened_and_can_be_commented(
    gh: GitHubHarness, remote_repo: tuple[Path, Path]
) -> None:
    repo, bare = remote_repo
    p = make_proposal(repo)
    forge = gh.forge(repo)
    with gh.cassette("closed_pr") as cassette:
        with pytest.raises(ForgeError, match=r"pull request #7, which was merged"):
            publish(forge, p, title=pr_title(p), body=pr_body(p))
        forge.comment("7", "Superseded by a newer proposal.")
    assert cassette.all_played
    assert set(remote_branches(bare)) == {"main"}  # nothing pushed for a finished proposal
    assert gh.sent[-1].body == {"body": "Superseded by a newer proposal."}


def test_unpushed_commits_of_the_local_base_are_never_published(
    gh: GitHubHarness, remote_repo: tuple[Path, Path]
) -> None:
    repo, bare = remote_repo
    (repo / "private.txt").write_text("not for the remote yet\n")
    git(repo, "add", "private.txt")
    git(repo, "commit", "-q", "-m", "local only")
    p = make_proposal(repo)
    with gh.cassette("push_rejected"), pytest.raises(ForgeError) as err:
        publish(gh.forge(repo), p, title=pr_title(p), body=pr_body(p))
    assert "local main has commits that origin/main does not have" in str(err.value)
    assert set(remote_branches(bare)) == {"main"}


def test_rerun_finds_its_change_under_a_reviewers_commit_and_leaves_it(
    gh: GitHubHarness, remote_repo: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, bare = remote_repo
    with gh.cassette("agent_rerun") as cassette:
        first = _agent(gh, repo).propose("scale checkout to 3")
        assert first.branch is not None
        clone = tmp_path / "reviewer"
        git(tmp_path, "clone", "-q", "-b", first.branch, str(bare), str(clone))
        git(clone, "config", "user.email", "rev@example.com")
        git(clone, "config", "user.name", "Rev")
        (clone / "NOTES.md").write_text("reviewed\n")
        git(clone, "add", "NOTES.md")
        git(clone, "commit", "-q", "-m", "reviewer note")
        git(clone, "push", "-q", "origin", first.branch)
        theirs = remote_branches(bare)[first.branch]
        elsewhere = _elsewhere(tmp_path)
        second = _agent(gh, repo, elsewhere).propose("scale checkout to 3")
    assert cassette.all_played
    assert second.pr is not None and second.pr.id == "7"
    assert remote_branches(bare)[first.branch] == theirs  # nothing pushed over the reviewer
    assert set(remote_branches(bare)) == {"main", first.branch}
    stored = elsewhere.get_proposal(second.id)
    assert (stored.branch, stored.commit) == (first.branch, first.commit)
