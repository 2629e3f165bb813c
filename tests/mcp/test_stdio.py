"""``kubesmith mcp serve`` as a real subprocess, driven by the SDK's stdio client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters, types

from tests.mcp.test_session import answering, branches, data, pull_requests

pytestmark = pytest.mark.slow  # starts the server process

KUBESMITH = Path(sys.executable).with_name("kubesmith")


def test_stdio_session_proposes_validates_and_opens_a_local_pr(shop: Path) -> None:
    params = StdioServerParameters(
        command=str(KUBESMITH),
        args=["mcp", "serve", "--repo", str(shop)],
        env={**os.environ, "HOME": os.environ.get("HOME", str(shop))},
        cwd=shop,
    )
    seen: dict[str, Any] = {}

    async def main() -> None:
        async with Client(params, elicitation_callback=answering("accept")) as c:
            tools = {t.name for t in (await c.list_tools()).tools}
            seen["tools"] = tools
            seen["validate"] = data(await c.call_tool("validate", {}))
            proposed = data(await c.call_tool("propose_change", {"intent": "scale checkout to 3"}))
            opened = await c.call_tool("open_pr", {"proposal_id": proposed["proposal_id"]})
            seen["opened"] = data(opened)
            guide = await c.read_resource("kubesmith://guide/intents")
            seen["guide"] = [r for r in guide.contents if isinstance(r, types.TextResourceContents)]

    anyio.run(main)
    assert {"propose_change", "open_pr", "validate", "render", "explain"} <= seen["tools"]
    assert seen["validate"]["ok"] is True
    assert seen["opened"]["pull_request"]["forge"] == "local"
    assert [r.pr.id for r in pull_requests(shop)] == [seen["opened"]["pull_request"]["id"]]
    assert branches(shop) == [seen["opened"]["branch"]]
    assert seen["guide"] and "Intents" in seen["guide"][0].text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_http_serves_the_tools_at_slash_mcp(shop: Path, tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "server.log"
    command = [str(KUBESMITH), "mcp", "serve", "--repo", str(shop), "--http", f"127.0.0.1:{port}"]
    seen: dict[str, Any] = {}
    with log.open("w") as out, subprocess.Popen(command, stdout=out, stderr=out) as server:
        try:
            while "Uvicorn running" not in log.read_text():  # uvicorn says when it listens
                assert server.poll() is None, log.read_text()
                time.sleep(0.1)

            async def main() -> None:
                async with Client(f"http://127.0.0.1:{port}/mcp") as c:
                    seen["tools"] = {t.name for t in (await c.list_tools()).tools}
                    seen["validate"] = data(await c.call_tool("validate", {}))

            anyio.run(main)
        finally:
            server.terminate()
    assert "propose_change" in seen["tools"] and seen["validate"]["ok"] is True


def test_a_bad_http_address_is_a_usage_error(shop: Path) -> None:
    done = subprocess.run(
        [str(KUBESMITH), "mcp", "serve", "--repo", str(shop), "--http", "8765"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "HOST:PORT" in done.stderr
