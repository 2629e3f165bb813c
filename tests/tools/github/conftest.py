"""Fixtures for the GitHub forge: hand-written cassettes, a request log, a bare remote on disk.

The GitHub API is played back by vcrpy from ``cassettes/`` (written by hand from GitHub's REST
reference, see ``cassettes/README.md``) with ``record_mode="none"``: a request that is not in
the cassette fails the test instead of leaving the machine. Git pushes go to a real bare
repository in the test's temporary folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import vcr

from kubesmith.config import ForgeSettings, Settings
from kubesmith.model import Change, Proposal, PullRequest, ResourceRef
from kubesmith.store import Store
from kubesmith.tools.forges.github import GitHubClient, GitHubForge, client_from_settings
from kubesmith.tools.git import GitRepo, slugify
from tests.conftest import git

API = "https://ghe.example.com/api/v3"
CASSETTES = Path(__file__).parent / "cassettes"
ENV = {"GITHUB_TOKEN": "ghp_test_token_not_real"}
PID = "4f1c2a9b7d3e"
INTENT = "scale checkout to 3"
BRANCH = f"kubesmith/{slugify(INTENT)}-{PID[:7]}"
CHECKOUT_REF = ResourceRef("apps/v1", "Deployment", "checkout")
CHECKOUT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
spec:
  replicas: 2
"""


@dataclass
class Sent:
    """One request the client sent."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class GitHubHarness:
    """Plays cassettes and records what was sent, how long we 'slept' and what time it was."""

    sent: list[Sent] = field(default_factory=list)
    clients: list[httpx.Client] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    now: float = 1798765200.0
    recorder: vcr.VCR = field(
        default_factory=lambda: vcr.VCR(
            cassette_library_dir=str(CASSETTES),
            record_mode="none",
            match_on=["method", "scheme", "host", "port", "path"],
        )
    )

    def _log(self, request: httpx.Request) -> None:
        raw = request.content
        self.sent.append(
            Sent(
                request.method,
                request.url.path,
                dict(parse_qsl(request.url.query.decode())),
                json.loads(raw) if raw else None,
                dict(request.headers),
            )
        )

    def options(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for ``GitHubHTTP``: our client, sleep and clock."""
        client = httpx.Client(event_hooks={"request": [self._log]}, timeout=5.0)
        self.clients.append(client)
        return {
            "client": client,
            "sleep": self.sleeps.append,
            "clock": lambda: self.now,
        } | overrides

    def cassette(self, name: str) -> Any:
        """Use ``cassettes/<name>.yaml`` (a context manager yielding the vcrpy cassette)."""
        return self.recorder.use_cassette(f"{name}.yaml")

    def settings(self, **forge: Any) -> Settings:
        base: dict[str, Any] = {
            "kind": "github",
            "github_repo": "acme/manifests",
            "github_api_url": API,
            "reviewers": ("alice",),
        }
        return Settings(forge=ForgeSettings(**(base | forge)))

    def client(self, env: dict[str, str] | None = None, **overrides: Any) -> GitHubClient:
        return client_from_settings(self.settings(), env=env or ENV, **self.options(**overrides))

    def forge(self, repo: Path, **forge: Any) -> GitHubForge:
        settings = self.settings(**forge)
        return GitHubForge.from_settings(
            settings, repo, Store.open(repo=repo), env=ENV, **self.options()
        )

    def calls(self) -> list[tuple[str, str]]:
        """(method, path without the API prefix) of every request sent."""
        return [(s.method, s.path.removeprefix("/api/v3")) for s in self.sent]


@pytest.fixture
def gh() -> Iterator[GitHubHarness]:
    harness = GitHubHarness()
    yield harness
    for client in harness.clients:
        client.close()


@pytest.fixture
def remote_repo(make_repo: Callable[..., Path], tmp_path: Path) -> tuple[Path, Path]:
    """A repository with one manifest and a bare ``origin`` on disk that has its ``main``."""
    repo = make_repo(files={"deploy/checkout.yaml": CHECKOUT})
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "origin", "main")
    return repo, bare


def make_proposal(
    repo: Path, pid: str = PID, intent: str = INTENT, replicas: int = 3, base: str = "main"
) -> Proposal:
    """A proposal committed the way the agent commits one (trailer included), on a new branch."""
    g = GitRepo(repo)
    branch = f"kubesmith/{slugify(intent)}-{pid[:7]}"
    text = CHECKOUT.replace("replicas: 2", f"replicas: {replicas}")
    message = f"{intent}\n\nKubesmith-Proposal: {pid}\n"
    commit = g.commit_files(g.resolve(base), {"deploy/checkout.yaml": text}, message, branch)
    return Proposal(
        id=pid,
        intent=intent,
        planner="fixed",
        base=base,
        branch=branch,
        commit=commit,
        changes=(
            Change("deploy/checkout.yaml", CHECKOUT_REF, "set", "spec.replicas", 2, replicas),
        ),
        diff=g.diff(base, branch),
    )


def remote_branches(bare: Path) -> dict[str, str]:
    """The bare remote's branches: name → tip."""
    out = git(bare, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads")
    return dict(line.split() for line in out.splitlines())


def reviewer_commit_on_top(bare: Path, tmp: Path) -> str:
    """A reviewer clones the remote, adds minReadySeconds on the proposal branch, pushes."""
    clone = tmp / "reviewer"
    git(tmp, "clone", "-q", "-b", BRANCH, str(bare), str(clone))
    git(clone, "config", "user.email", "rev@example.com")
    git(clone, "config", "user.name", "Rev")
    (clone / "deploy" / "checkout.yaml").write_text(
        (clone / "deploy" / "checkout.yaml").read_text() + "  minReadySeconds: 5\n"
    )
    git(clone, "commit", "-q", "-am", "reviewer: minReadySeconds")
    git(clone, "push", "-q", "origin", BRANCH)
    return git(clone, "rev-parse", "HEAD").strip()


def publish(forge: GitHubForge, p: Proposal, *, title: str, body: str) -> PullRequest:
    """``forge.open_pr`` and then what the agent's loop does with its result: record the
    proposal and its pull request once (forges never write the store themselves)."""
    pr = forge.open_pr(p, title=title, body=body)
    published = replace(p, pr=pr, branch=pr.branch or p.branch, commit=pr.commit or p.commit)
    forge.store.record_published(published, title=title, body=body)
    return pr
