"""The token over HTTPS-style remotes: sent as a header to a real git HTTP server, never stored.

A small WSGI server on 127.0.0.1 runs ``git http-backend`` (git's own smart-HTTP CGI program)
for a bare repository and demands ``Authorization: Basic x-access-token:<token>``, as GitHub
does for installation and personal tokens.
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from kubesmith.errors import ForgeError
from kubesmith.tools.forges.github import Pusher
from kubesmith.tools.git import GitRepo
from tests.conftest import git
from tests.tools.github.conftest import BRANCH, PID, make_proposal, remote_branches

TOKEN = "ghs_loopback_token_1234"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def _backend(root: Path, expected: str) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_AUTHORIZATION") != expected:
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"')])
            return [b"bad credentials\n"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GIT_PROJECT_ROOT": str(root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": "x-access-token",
            "REQUEST_METHOD": environ["REQUEST_METHOD"],
            "PATH_INFO": environ.get("PATH_INFO", ""),
            "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
            "CONTENT_LENGTH": str(len(body)),
        }
        if environ.get("HTTP_GIT_PROTOCOL"):
            env["GIT_PROTOCOL"] = environ["HTTP_GIT_PROTOCOL"]
        out = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=True
        ).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = "200 OK", []
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(": ")
            if name.lower() == "status":
                status = value
            elif name:
                headers.append((name, value))
        start_response(status, headers)
        return [payload]

    return app


@pytest.fixture
def http_remote(remote_repo: tuple[Path, Path]) -> Iterator[tuple[Path, Path]]:
    """The repository's origin served over HTTP on 127.0.0.1, requiring the token."""
    repo, bare = remote_repo
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    server = make_server(
        "127.0.0.1", 0, _backend(bare.parent, f"Basic {basic}"), handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    git(repo, "remote", "set-url", "origin", f"http://127.0.0.1:{server.server_port}/{bare.name}")
    try:
        yield repo, bare
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.slow
def test_token_is_sent_as_a_header_and_never_written_down(http_remote: tuple[Path, Path]) -> None:
    repo, bare = http_remote
    p = make_proposal(repo)
    assert p.commit is not None
    before = (repo / ".git" / "config").read_text()
    result = Pusher(GitRepo(repo), token=TOKEN).push(
        BRANCH, p.commit, proposal_id=PID, protected={"main"}
    )
    assert result.action == "created"
    assert remote_branches(bare)[BRANCH] == p.commit
    config = (repo / ".git" / "config").read_text()
    assert config == before
    assert TOKEN not in config and "extraheader" not in config.lower()
    assert TOKEN not in git(repo, "remote", "-v")


@pytest.mark.slow
def test_a_wrong_token_fails_clearly_without_echoing_it(http_remote: tuple[Path, Path]) -> None:
    repo, bare = http_remote
    p = make_proposal(repo)
    assert p.commit is not None
    with pytest.raises(ForgeError) as err:
        Pusher(GitRepo(repo), token="ghs_wrong_token").push(
            BRANCH, p.commit, proposal_id=PID, protected={"main"}
        )
    assert "ghs_wrong_token" not in str(err.value)
    assert "refused the credentials" in str(err.value)
    assert "GITHUB_TOKEN" in str(err.value)
    assert "origin" in str(err.value)
    assert set(remote_branches(bare)) == {"main"}
