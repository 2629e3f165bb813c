"""Deliveries from strangers: oversized, unsigned, forged, deeply nested, with hostile shas.

Over real HTTP on 127.0.0.1 (the bot in uvicorn, tests/bot/conftest.py), plus a direct test of
the bounded reader: a 1 GB body is never held, whatever its headers claim.
"""

from __future__ import annotations

import asyncio
import json
import socket
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from kubesmith.bot.checkout import checkout
from kubesmith.bot.intake import MAX_BODY, Refusal, parse_json, read_signed
from kubesmith.bot.signature import sign
from kubesmith.errors import UsageError
from tests.bot.conftest import SECRET, BotServer, PullRepo, pr_payload
from tests.conftest import git

# Starts a server and git processes (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow

GB = 1024**3
CHUNK = b"x" * (1024 * 1024)


def _raw_request(port: int, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    """Send a request by hand (so nothing in a client library reads or fixes it); the status."""
    lines = ["POST /webhook HTTP/1.1", "Host: 127.0.0.1"] + [
        f"{k}: {v}" for k, v in headers.items()
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        data = b""
        while b"\r\n\r\n" not in data:
            part = s.recv(65536)
            if not part:
                break
            data += part
    status = int(data.split(b" ", 2)[1])
    return status, data


def _headers(**extra: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        **extra,
    }


@pytest.mark.slow
def test_a_declared_1gb_body_is_refused_before_a_byte_is_read(bot_server: BotServer) -> None:
    bot_server.start(concurrency=0)
    # Nothing of the body is sent: an answer proves the bot did not wait to read it.
    status, _ = _raw_request(
        bot_server.port, _headers(**{"Content-Length": str(GB), "X-Hub-Signature-256": "sha256=0"})
    )
    assert status == 413


@pytest.mark.slow
def test_an_unsigned_body_is_refused_before_it_is_read(bot_server: BotServer) -> None:
    bot_server.start(concurrency=0)
    status, _ = _raw_request(bot_server.port, _headers(**{"Content-Length": str(MAX_BODY - 1)}))
    assert status == 401
    assert "unauthorized" in bot_server.get("/metrics").text


def _chunks(total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield CHUNK
        sent += len(CHUNK)


@pytest.mark.slow
def test_a_forged_chunked_stream_is_cut_off_with_bounded_memory(bot_server: BotServer) -> None:
    """200 MB without a Content-Length and with a forged signature: 413, and the process never
    holds more than the cap (tracemalloc sees every thread, the server's included)."""
    bot_server.start(concurrency=0)
    tracemalloc.start()
    try:
        try:
            r = httpx.post(
                f"{bot_server.url}/webhook",
                content=_chunks(200 * 1024 * 1024),
                headers=_headers(**{"X-Hub-Signature-256": "sha256=" + "0" * 64}),
                timeout=60,
            )
            status = r.status_code
        except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
            status = 413  # the bot closed the connection after answering; checked below
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 413
    assert peak < MAX_BODY + 16 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"
    assert 'result="too-large"' in bot_server.get("/metrics").text


@pytest.mark.slow
def test_the_reader_stops_at_the_cap_whatever_the_stream() -> None:
    consumed = 0

    async def one_gigabyte() -> AsyncIterator[bytes]:
        nonlocal consumed
        for _ in range(1024):
            consumed += 1
            yield CHUNK

    with pytest.raises(Refusal) as refused:
        asyncio.run(read_signed(SECRET, one_gigabyte(), "sha256=" + "0" * 64))
    assert refused.value.status == 413
    assert consumed == MAX_BODY // len(CHUNK) + 1  # one chunk past the cap, then no more


def test_a_forged_signature_within_the_cap_is_refused() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"a": 1}'

    with pytest.raises(Refusal) as refused:
        asyncio.run(read_signed(SECRET, body(), sign("guessed", b'{"a": 1}')))
    assert refused.value.status == 401
    assert asyncio.run(read_signed(SECRET, body(), sign(SECRET, b'{"a": 1}'))) == b'{"a": 1}'


@pytest.mark.slow
@pytest.mark.parametrize("depth", [100, 100_000])
def test_signed_deeply_nested_json_is_a_clean_400(bot_server: BotServer, depth: int) -> None:
    bot_server.start(concurrency=0)
    body = b'{"a": ' * depth + b"1" + b"}" * depth
    r = bot_server.post("pull_request", body)
    assert r.status_code == 400
    assert "nested" in r.json()["error"]
    q = bot_server.queue()
    try:
        assert q.jobs() == []
    finally:
        q.close()


def test_nesting_inside_an_ignored_field_is_refused_too() -> None:
    payload = {"action": "opened", "extra": json.loads("[" * 80 + "]" * 80)}
    with pytest.raises(Refusal, match="nested deeper"):
        parse_json(json.dumps(payload).encode())
    assert parse_json(b'{"a": [[1]]}') == {"a": [[1]]}


@pytest.mark.slow
@pytest.mark.parametrize(
    "sha", ["--upload-pack=touch /tmp/pwned", "HEAD", "abc", "g" * 40, "1" * 40 + "\n"]
)
def test_a_head_sha_that_is_not_a_commit_id_is_refused(
    bot_server: BotServer, pull_repo: PullRepo, sha: str
) -> None:
    bot_server.start(concurrency=0)
    body = pr_payload(pull_repo)
    body["pull_request"]["head"]["sha"] = sha
    r = bot_server.post("pull_request", body)
    assert r.status_code == 400
    assert "head.sha" in r.json()["error"]


@pytest.mark.slow
@pytest.mark.parametrize("ref", ["--upload-pack=x", "a..b", "a b", "x:y", ""])
def test_a_head_ref_git_would_take_as_an_option_or_refspec_is_refused(
    bot_server: BotServer, pull_repo: PullRepo, ref: str
) -> None:
    bot_server.start(concurrency=0)
    body = pr_payload(pull_repo)
    body["pull_request"]["head"]["ref"] = ref
    assert bot_server.post("pull_request", body).status_code == 400


def test_a_symlink_in_the_pull_request_does_not_leave_the_checkout(
    pull_repo: PullRepo, tmp_path: Path
) -> None:
    """A link to a file on the bot's host is checked out as a file naming it, in head and base."""
    outside = tmp_path / "host-secret.txt"
    outside.write_text("HOST-ONLY-CONTENT\n")
    link = pull_repo.work / "deploy" / "leak.yaml"
    link.symlink_to(outside)
    git(pull_repo.work, "add", "deploy/leak.yaml")
    git(pull_repo.work, "commit", "-q", "-m", "a link out")
    git(pull_repo.work, "push", "-q", "origin", pull_repo.head_ref)
    head_sha = git(pull_repo.work, "rev-parse", "HEAD").strip()
    with checkout(
        tmp_path / "job", pull_repo.bare.as_uri(), None, head_ref=pull_repo.head_ref,
        head_sha=head_sha, base_ref="main", base_sha=pull_repo.base_sha, allow_file=True,
    ) as co:  # fmt: skip
        checked_out = co.head / "deploy" / "leak.yaml"
        assert not checked_out.is_symlink()
        assert checked_out.read_text() == str(outside)
        assert "deploy/leak.yaml" in co.changed_files()
        assert not any(p.is_symlink() for p in co.head.rglob("*") if ".git" not in p.parts)


def test_checkout_refuses_a_sha_that_is_not_a_commit_id(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a commit id"), checkout(
        tmp_path / "job", "https://ghe.example.com/acme/m.git", None, head_ref="x",
        head_sha="--upload-pack=touch /tmp/x", base_ref="main", base_sha="1" * 40,
    ):  # fmt: skip
        pass
