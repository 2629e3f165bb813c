"""Rollback intents through the Agent's loop, on real git repositories with the local forge."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.agent.loop import Agent
from kubesmith.agent.rollback import RollbackConflict, is_rollback
from kubesmith.config import Settings
from kubesmith.errors import UsageError
from kubesmith.model import ChangeSet, ResourceRef, SetField
from kubesmith.store import Store
from kubesmith.tools.forges.local import LocalForge
from tests.conftest import git

WEB = ResourceRef("apps/v1", "Deployment", "web")
DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    team: orders
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: app
          image: web:1.0
          resources:
            limits:
              memory: 256Mi
"""


class Fixed:
    """Plans the given edits for any intent that is not a rollback."""

    name = "fixed"

    def __init__(self, *edits: SetField) -> None:
        self.edits = edits

    def plan(self, intent: str, workspace: object, **_: object) -> ChangeSet:
        return ChangeSet(intent, self.edits, planner=self.name, rationale="because")


def _agent(repo: Path, *edits: SetField) -> Agent:
    store = Store.open(repo=repo)
    return Agent(repo=repo, settings=Settings(), planner=Fixed(*edits),
                 forge=LocalForge(repo, store), store=store)  # fmt: skip


def _commit(repo: Path, old: str, new: str, message: str) -> str:
    f = repo / "web.yaml"
    f.write_text(f.read_text().replace(old, new, 1))
    git(repo, "commit", "-q", "-am", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo(files={"web.yaml": DEPLOY})


def test_rollback_forms_are_recognised_and_others_are_not() -> None:
    for text in ("revert PR 42", "undo proposal 3f2a9c", "roll back the last change to checkout",
                 "restore checkout's memory limit to what it was last week",
                 "put checkout back as it was at v1.2", "revert commit abcdef1"):  # fmt: skip
        assert is_rollback(text), text
    for text in ("scale checkout to 3", "set checkout's memory limit to 512Mi", "undo"):
        assert not is_rollback(text), text


@pytest.mark.slow
def test_a_merged_proposal_is_undone_by_a_rollback_proposal(repo: Path) -> None:
    agent = _agent(repo, SetField(WEB, "metadata.annotations.team", "payments"))
    first = agent.propose("web belongs to payments")
    assert first.pr is not None
    agent.forge.accept(first.pr.id)  # type: ignore[union-attr]
    main_before = git(repo, "rev-parse", "main")

    undo = agent.propose(f"revert PR {first.pr.id}")
    assert undo.planner == "rollback" and undo.pr is not None and undo.branch
    assert [(c.path, c.old, c.new) for c in undo.changes] == [
        ("metadata.annotations.team", "payments", "orders")
    ]
    assert git(repo, "rev-parse", "main") == main_before  # a pull request, not a write to main
    body = agent.store.get_pull_request(undo.pr.id).body  # type: ignore[union-attr]
    assert first.id in body and f"pull request {first.pr.id}" in body
    assert agent.store.get_proposal(undo.id).planner == "rollback"  # type: ignore[union-attr]

    # the same by proposal id, once the first rollback is rejected: remembered, refused again
    agent.forge.reject(undo.pr.id, "keep payments")  # type: ignore[union-attr]
    with pytest.raises(UsageError, match="rejected"):
        agent.propose(f"undo proposal {first.id}")


@pytest.mark.slow
def test_a_rollback_that_would_overwrite_a_later_change_is_refused(repo: Path) -> None:
    agent = _agent(repo, SetField(WEB, "metadata.annotations.team", "payments"))
    first = agent.propose("web belongs to payments")
    assert first.pr is not None
    agent.forge.accept(first.pr.id)  # type: ignore[union-attr]
    git(repo, "checkout", "-q", "main")
    git(repo, "reset", "-q", "--hard", "main")
    later = _commit(repo, "team: payments", "team: billing", "billing owns web now")
    branches = git(repo, "branch", "--list")
    with pytest.raises(RollbackConflict) as e:
        agent.propose(f"undo proposal {first.id}")
    assert "metadata.annotations.team" in str(e.value) and later[:7] in str(e.value)
    assert "billing owns web now" in str(e.value) and "nothing was written" in str(e.value)
    assert e.value.exit_code == 2
    assert git(repo, "branch", "--list") == branches


@pytest.mark.slow
def test_restore_a_field_or_the_resource_as_it_was_at_a_tag(repo: Path) -> None:
    git(repo, "tag", "v1")
    _commit(repo, "memory: 256Mi", "memory: 1Gi", "more memory")
    _commit(repo, "image: web:1.0", "image: web:2.0", "web 2.0")
    agent = _agent(repo)
    p = agent.propose("restore web's memory limit to what it was at v1")
    assert [(c.path, c.old, c.new) for c in p.changes] == [
        ("spec.template.spec.containers[name=app].resources.limits.memory", "1Gi", "256Mi")
    ]
    whole = agent.propose("put web back as it was at v1", open_pr=False)
    assert sorted((c.path, c.new) for c in whole.changes) == [
        ("spec.template.spec.containers[name=app].image", "web:1.0"),
        ("spec.template.spec.containers[name=app].resources.limits.memory", "256Mi"),
    ]
    last = agent.propose("roll back the last change to web", open_pr=False)
    assert [(c.path, c.new) for c in last.changes] == [
        ("spec.template.spec.containers[name=app].image", "web:1.0")
    ]
    with pytest.raises(UsageError, match="neither a commit"):
        agent.propose("put web back as it was at nowhere-in-time")


@pytest.mark.slow
def test_rollback_in_chat_and_a_conflict_exits_2_from_propose(repo: Path) -> None:
    from click.testing import CliRunner

    from kubesmith.agent.session import ChatSession
    from kubesmith.cli.main import cli

    git(repo, "tag", "v1")
    _commit(repo, "memory: 256Mi", "memory: 1Gi", "more memory")
    session = ChatSession(_agent(repo))
    turn = session.turn("put web back as it was at v1")
    assert [(c.path, c.new) for c in turn.changes] == [
        ("spec.template.spec.containers[name=app].resources.limits.memory", "256Mi")
    ]
    p = session.open_pr()
    assert p.pr is not None and p.changes[0].new == "256Mi"

    first = _commit(repo, "team: orders", "team: payments", "payments")
    later = _commit(repo, "team: payments", "team: billing", "billing")
    before = git(repo, "branch", "--list")
    result = CliRunner().invoke(
        cli, ["propose", f"revert commit {first}", "--repo", str(repo), "-o", "json"]
    )
    assert result.exit_code == 2, result.output
    assert later[:7] in result.output and "RollbackConflict" in result.output
    assert git(repo, "branch", "--list") == before


def test_a_date_names_the_base_branch_s_last_commit_before_it(
    make_repo: Callable[..., Path],
) -> None:
    import os
    import subprocess

    from kubesmith.agent.rollback import _revision

    repo = make_repo(files={"web.yaml": DEPLOY})
    env = {
        **os.environ,
        "GIT_COMMITTER_DATE": "2026-11-01T12:00:00",
        "GIT_AUTHOR_DATE": "2026-11-01T12:00:00",
    }
    (repo / "web.yaml").write_text(DEPLOY.replace("256Mi", "1Gi"))
    subprocess.run(["git", "commit", "-qam", "november"], cwd=repo, env=env, check=True)
    november = git(repo, "rev-parse", "HEAD").strip()
    _commit(repo, "1Gi", "2Gi", "now")
    assert _revision(repo, "main", "2026-11-15") == november
    assert _revision(repo, "main", "last week") == november  # today's commit is newer
    with pytest.raises(UsageError, match="no commit before"):
        _revision(repo, "main", "2000-01-01")
