"""Helpers for the validation tests: the CLI as a user runs it, and a pull request on disk."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kubesmith.bot.checkout import Checkout
from kubesmith.cli.main import cli
from kubesmith.tools.binaries.cache import tool_path
from tests.conftest import git

needs_kustomize = pytest.mark.skipif(
    tool_path("kustomize") is None, reason="kustomize is not built; run `kubesmith tools install`"
)


@dataclass(frozen=True)
class Run:
    """One ``kubesmith validate -o json`` run."""

    exit_code: int
    data: dict[str, Any]
    text: str

    @property
    def findings(self) -> list[dict[str, Any]]:
        """The findings, as JSON."""
        return list(self.data.get("findings", []))

    def rules(self, severity: str = "error") -> set[tuple[str, str, int]]:
        """(rule, file, line) of the findings of ``severity``."""
        return {
            (f["rule"], f["file"], f["line"]) for f in self.findings if f["severity"] == severity
        }


def validate_json(*args: str) -> Run:
    """``kubesmith validate ARGS -o json`` in this process, from the current folder."""
    result = CliRunner().invoke(cli, ["validate", *args, "-o", "json"])
    assert result.exit_code in (0, 1), result.output
    return Run(result.exit_code, json.loads(result.stdout), result.stdout)


def pull_request(
    repo: Path, files: dict[str, str | None], links: dict[str, str] | None = None
) -> Checkout:
    """Commit ``files`` (None deletes) and ``links`` (name → target) to a branch ``pr`` of
    ``repo``, and check the base (``main``) out beside it, as the bot's job does."""
    git(repo, "checkout", "-q", "-b", "pr")
    for rel, text in files.items():
        path = repo / rel
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for rel, target in (links or {}).items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the pull request")
    head_sha = git(repo, "rev-parse", "HEAD").strip()
    base_sha = git(repo, "rev-parse", "main").strip()
    base = repo.parent / f"{repo.name}-base"
    subprocess.run(
        ["git", "worktree", "add", "-q", "--detach", str(base), base_sha],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip
    return Checkout(repo, base, head_sha, base_sha, {})
