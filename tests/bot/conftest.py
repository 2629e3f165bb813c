"""Fixtures for the bot: a real server on loopback, signed deliveries, a bare remote, cassettes.

The bot runs in uvicorn on a free 127.0.0.1 port in a thread of the test process, so vcrpy
(which patches httpx in-process) plays the GitHub API from the hand-written cassettes in
``cassettes/`` while the real client code runs. Payloads are GitHub's documented webhook shapes
(``payloads/``), filled with the shas and clone URL of a bare repository on disk and signed here.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import vcr

from kubesmith.bot.app import create_app
from kubesmith.bot.config import BotConfig
from kubesmith.bot.queue import JobQueue
from kubesmith.bot.service import Bot
from kubesmith.bot.signature import sign
from kubesmith.config import Settings
from kubesmith.tools.forges.github import GitHubClient, client_from_settings, parse_slug
from tests.conftest import git
from tests.store.conftest import pg_server_url, pg_url  # noqa: F401 - PostgreSQL fixtures

HERE = Path(__file__).parent
API = "https://ghe.example.com/api/v3"
SECRET = "test-webhook-secret-not-real"
ENV = {
    "GITHUB_TOKEN": "ghs_test_token_not_real",
    "GITHUB_API_URL": API,
    "GITHUB_WEBHOOK_SECRET": SECRET,
    "KUBESMITH_ALLOW_FILE_REMOTES": "1",
}
_SHA = re.compile(r"[0-9a-f]{40}")

GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  labels:
    app: checkout
spec:
  replicas: 2
  selector:
    matchLabels:
      app: checkout
  template:
    metadata:
      labels:
        app: checkout
    spec:
      containers:
        - name: checkout
          image: ghcr.io/acme/checkout:1.4.2
"""
BROKEN_LINE = 8  # "replicas: three"
CONFIG = "policy:\n  packs: [pss-baseline]\n"


def _path_without_shas(r1: Any, r2: Any) -> None:
    """Match paths with any commit sha in them (the test repository's shas vary per run)."""
    assert _SHA.sub("SHA", r1.path) == _SHA.sub("SHA", r2.path)


def recorder() -> vcr.VCR:
    """vcrpy with ``record_mode="none"``: a request missing from the cassette fails."""
    v = vcr.VCR(
        cassette_library_dir=str(HERE / "cassettes"),
        record_mode="none",
        match_on=["method", "host", "path_sha"],
        ignore_localhost=True,  # the deliveries to the bot itself are real HTTP
    )
    v.register_matcher("path_sha", _path_without_shas)
    return v


def fill(cassette: Any, **values: str) -> Any:
    """Replace ``__KEY__`` placeholders in the cassette's response bodies with this run's values
    (the test repository's shas and clone URL); returns the cassette."""
    return replace_in_cassette(
        cassette, {f"__{key.upper()}__": value for key, value in values.items()}
    )


def replace_in_cassette(cassette: Any, replacements: dict[str, str]) -> Any:
    """Replace each key of ``replacements`` by its value in the cassette's response bodies;
    returns the cassette."""
    for response in cassette.responses:
        body = response["body"]["string"]
        text = body.decode() if isinstance(body, bytes) else body
        for old, new in replacements.items():
            text = text.replace(old, new)
        response["body"]["string"] = text.encode() if isinstance(body, bytes) else text
    return cassette


@dataclass
class Sent:
    """One request the bot sent to the GitHub API."""

    method: str
    path: str
    body: Any


@dataclass
class PullRepo:
    """A bare remote with ``main`` and a pull request branch that breaks a manifest."""

    bare: Path
    work: Path
    base_sha: str
    head_sha: str
    head_ref: str = "break-replicas"

    def push_fix(self, text: str, message: str) -> str:
        """Commit ``text`` as deploy/checkout.yaml on the PR branch, push it; the new head sha."""
        (self.work / "deploy" / "checkout.yaml").write_text(text)
        git(self.work, "commit", "-q", "-am", message)
        git(self.work, "push", "-q", "origin", self.head_ref)
        self.head_sha = git(self.work, "rev-parse", "HEAD").strip()
        return self.head_sha


def make_pull_repo(
    make_repo: Callable[..., Path], tmp_path: Path, head_ref: str = "break-replicas"
) -> PullRepo:
    """``main`` with a valid Deployment; ``head_ref`` sets ``replicas: three`` (line 8)."""
    work = make_repo(files={"deploy/checkout.yaml": GOOD, ".kubesmith.yaml": CONFIG})
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(work, "remote", "add", "origin", str(bare))
    git(work, "push", "-q", "origin", "main")
    base = git(work, "rev-parse", "HEAD").strip()
    git(work, "checkout", "-q", "-b", head_ref)
    repo = PullRepo(bare, work, base, "", head_ref)
    repo.push_fix(GOOD.replace("replicas: 2", "replicas: three"), "three replicas")
    return repo


@pytest.fixture
def pull_repo(make_repo: Callable[..., Path], tmp_path: Path) -> PullRepo:
    """The pull request ``break-replicas`` (#7) on a bare remote."""
    return make_pull_repo(make_repo, tmp_path)


def payload(name: str, **values: Any) -> dict[str, Any]:
    """``payloads/<name>.json`` with ``__KEY__`` placeholders replaced by ``values``."""
    text = (HERE / "payloads" / f"{name}.json").read_text()
    for key, value in values.items():
        text = text.replace(f"__{key.upper()}__", json.dumps(str(value))[1:-1])
    data: dict[str, Any] = json.loads(text)
    return data


def pr_payload(repo: PullRepo, action: str = "opened", **extra: Any) -> dict[str, Any]:
    """A ``pull_request`` delivery for the repository's pull request #7."""
    return payload(
        "pull_request",
        action=action,
        clone_url=repo.bare.as_uri(),
        head_sha=repo.head_sha,
        base_sha=repo.base_sha,
        **extra,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class BotServer:
    """``kubesmith bot serve`` in a thread: post signed deliveries, wait for jobs, restart."""

    data_dir: Path
    overrides: dict[str, Any] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    port: int = 0
    bot: Bot | None = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _clients: list[httpx.Client] = field(default_factory=list)

    def _log(self, request: httpx.Request) -> None:
        raw = request.content
        self.sent.append(
            Sent(
                request.method,
                request.url.path.removeprefix("/api/v3"),
                json.loads(raw) if raw else None,
            )
        )

    def client(self, repo: str, installation: int | None) -> GitHubClient:
        http = httpx.Client(event_hooks={"request": [self._log]}, timeout=5.0)
        self._clients.append(http)
        return client_from_settings(
            Settings(), env=ENV, slug=parse_slug(repo), installation_id=installation,
            client=http, sleep=lambda _s: None,
        )  # fmt: skip

    def start(self, **overrides: Any) -> BotServer:
        options = {"concurrency": 1, "poll": 0.05, "backoff": 0.05, "lease": 30.0}
        options |= self.overrides | overrides
        config = BotConfig.from_env(self.data_dir, ENV, **options)
        self.bot = Bot(config, clients=self.client)
        self.port = _free_port()
        cfg = uvicorn.Config(
            create_app(self.bot), host="127.0.0.1", port=self.port, log_level="warning",
            lifespan="on",
        )  # fmt: skip
        self._server = uvicorn.Server(cfg)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            assert time.monotonic() < deadline, "the bot did not start"
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(30)
        self._server = self._thread = None
        for c in self._clients:
            c.close()
        self._clients.clear()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def post(
        self,
        event: str,
        body: dict[str, Any] | bytes,
        *,
        delivery: str | None = None,
        secret: str | None = SECRET,
        signature: str | None = None,
    ) -> httpx.Response:
        """POST a delivery, signed with ``secret`` (None: unsigned) unless ``signature`` given."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "User-Agent": "GitHub-Hookshot/test",
        }
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        elif secret is not None:
            headers["X-Hub-Signature-256"] = sign(secret, raw)
        return httpx.post(f"{self.url}/webhook", content=raw, headers=headers, timeout=10)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10)

    def queue(self) -> JobQueue:
        url = self.overrides.get("store_url") or f"sqlite:///{self.data_dir / 'kubesmith.db'}"
        return JobQueue.open(url)

    def wait_for(
        self, status: str = "done", count: int = 1, timeout: float = 60
    ) -> list[dict[str, Any]]:
        """Wait until ``count`` jobs have ``status``; every job then (fails on timeout)."""
        q = self.queue()
        try:
            deadline = time.monotonic() + timeout
            while True:
                jobs = [j for j in q.jobs() if j["status"] != "ignored"]
                if sum(j["status"] == status for j in jobs) >= count:
                    return jobs
                failed = [j for j in jobs if j["status"] == "failed"]
                assert not failed or status == "failed", f"job failed: {failed}"
                assert time.monotonic() < deadline, f"timed out waiting; jobs: {jobs}"
                time.sleep(0.05)
        finally:
            q.close()

    def calls(self) -> list[tuple[str, str]]:
        return [(s.method, _SHA.sub("SHA", s.path)) for s in self.sent]


@pytest.fixture
def bot_server(tmp_path: Path) -> Iterator[BotServer]:
    server = BotServer(tmp_path / "bot-data")
    yield server
    server.stop()


KUBESMITH_BRANCH = "kubesmith/scale-checkout-to-3-4f1c2a9"


def seed_kubesmith_pull(
    store_url: str,
    proposal_id: str = "4f1c2a9b7d3e",
    number: int = 12,
    branch: str = KUBESMITH_BRANCH,
    repository: str = "acme/manifests",
) -> None:
    """Record in the bot's store that kubesmith opened pull request ``number`` for a proposal,
    as the bot's ``/kubesmith`` command does: only such pull requests' outcomes are learned."""
    from kubesmith.model import Proposal, PullRequest
    from kubesmith.store import Store

    with Store.open(store_url) as store:
        store.save_proposal(
            Proposal(proposal_id, "scale checkout to 3", "offline", "main", branch, None, (), "")
        )
        pr = PullRequest("github", str(number), f"https://ghe.example.com/{repository}/pull/{number}",
                         "open", "scale checkout to 3", repository)  # fmt: skip
        store.save_pull_request(
            proposal_id, pr, title=pr.title, body="", base="main", branch=branch
        )
