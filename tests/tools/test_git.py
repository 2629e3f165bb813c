"""Git plumbing against real repositories: the user's checkout is never touched."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.errors import GitError, UsageError
from kubesmith.tools.git import GitRepo, slugify
from tests.conftest import git


def test_slugify_makes_branch_safe_names() -> None:
    assert slugify("Scale checkout to 3 replicas!") == "scale-checkout-to-3-replicas"
    assert slugify("???") == "change"
    assert len(slugify("x" * 100)) == 40


def test_not_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a git repository"):
        GitRepo(tmp_path)


def test_commit_files_makes_a_branch_without_touching_the_checkout(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo({"a.yaml": "a: 1\n", "b.yaml": "b: 1\n", "run.sh": "#!/bin/sh\n"})
    (repo / "run.sh").chmod(0o755)
    git(repo, "add", "run.sh")
    git(repo, "commit", "-qm", "exec bit")
    (repo / "a.yaml").write_text("a: dirty\n")  # uncommitted work must survive
    g = GitRepo(repo)
    base = g.resolve("main")
    commit = g.commit_files(
        base,
        {
            "a.yaml": "a: 2\n",
            "b.yaml": None,
            "new/c.yaml": "c: 1\n",
            "run.sh": "#!/bin/sh\nexit 0\n",
        },
        "subject\n\nKubesmith-Proposal: abc\n",
        "kubesmith/test-1",
    )
    assert g.resolve("kubesmith/test-1") == commit
    assert git(repo, "show", "kubesmith/test-1:a.yaml") == "a: 2\n"
    assert git(repo, "show", "kubesmith/test-1:new/c.yaml") == "c: 1\n"
    assert "b.yaml" not in git(repo, "ls-tree", "--name-only", "kubesmith/test-1")
    assert git(repo, "ls-tree", "kubesmith/test-1", "run.sh").startswith("100755")
    assert "Kubesmith-Proposal: abc" in git(repo, "log", "-1", "--format=%B", "kubesmith/test-1")
    # The checkout: same branch, same commit, uncommitted work intact, index clean of our files.
    assert g.current_branch() == "main"
    assert g.resolve("HEAD") == base
    assert (repo / "a.yaml").read_text() == "a: dirty\n"
    assert git(repo, "status", "--porcelain") == " M a.yaml\n"


def test_commit_files_refuses_an_existing_branch(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.yaml": "a: 1\n"})
    g = GitRepo(repo)
    git(repo, "branch", "kubesmith/x")
    with pytest.raises(GitError, match="already exists"):
        g.commit_files(g.resolve("main"), {"a.yaml": "a: 2\n"}, "m", "kubesmith/x")


def test_merge_into_checked_out_clean_base_updates_the_checkout(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo({"a.yaml": "a: 1\n"})
    g = GitRepo(repo)
    g.commit_files(g.resolve("main"), {"a.yaml": "a: 2\n"}, "change a", "kubesmith/a")
    result = g.merge("kubesmith/a", "main", "Merge kubesmith/a")
    assert result.updated_checkout
    assert (repo / "a.yaml").read_text() == "a: 2\n"
    parents = git(repo, "log", "-1", "--format=%P", "main").split()
    assert len(parents) == 2  # a merge commit: history is not rewritten


def test_merge_refuses_a_dirty_checked_out_base(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.yaml": "a: 1\n", "b.yaml": "b: 1\n"})
    g = GitRepo(repo)
    before = g.resolve("main")
    g.commit_files(before, {"a.yaml": "a: 2\n"}, "change a", "kubesmith/a")
    (repo / "b.yaml").write_text("b: mine\n")
    with pytest.raises(GitError, match="uncommitted changes"):
        g.merge("kubesmith/a", "main", "Merge")
    assert g.resolve("main") == before
    assert (repo / "b.yaml").read_text() == "b: mine\n"


def test_merge_into_a_branch_that_is_not_checked_out_uses_objects_only(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo({"a.yaml": "a: 1\n", "b.yaml": "b: 1\n"})
    git(repo, "checkout", "-qb", "work")
    (repo / "b.yaml").write_text("b: mine\n")  # dirty, on another branch
    g = GitRepo(repo)
    g.commit_files(g.resolve("main"), {"a.yaml": "a: 2\n"}, "change a", "kubesmith/a")
    result = g.merge("kubesmith/a", "main", "Merge")
    assert not result.updated_checkout
    assert git(repo, "show", "main:a.yaml") == "a: 2\n"
    assert g.current_branch() == "work"
    assert (repo / "b.yaml").read_text() == "b: mine\n"


def test_merge_reports_conflicts_and_changes_nothing(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.yaml": "a: 1\n"})
    git(repo, "checkout", "-qb", "other")
    g = GitRepo(repo)
    g.commit_files(g.resolve("main"), {"a.yaml": "a: 2\n"}, "mine", "kubesmith/a")
    main_before = g.commit_files(g.resolve("main"), {"a.yaml": "a: 3\n"}, "theirs", "tmp")
    git(repo, "update-ref", "refs/heads/main", main_before)
    with pytest.raises(GitError, match="conflicts"):
        g.merge("kubesmith/a", "main", "Merge")
    assert g.resolve("main") == main_before
