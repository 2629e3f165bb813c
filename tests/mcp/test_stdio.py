"""``kubesmith mcp serve`` as a real subprocess, driven by the SDK's stdio client."""

from __future__ import annotations

import os
import sys
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
