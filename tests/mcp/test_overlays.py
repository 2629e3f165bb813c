"""Tools that render with the pinned kustomize, on the example repository (overlays, a Secret)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client

from kubesmith.tools.binaries.cache import tool_path
from tests.mcp.test_session import data, run, text

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,  # kustomize runs as a process
    pytest.mark.skipif(tool_path("kustomize") is None, reason="kustomize is not built"),
]


def test_render_shows_an_overlay_with_secrets_masked(example_repo: Path) -> None:
    planted = "planted-mcp-render-value"
    secret = example_repo / "base" / "payments-secret.yaml"
    secret.write_text(secret.read_text().replace('"whsec_placeholder"', planted))
    (example_repo / ".kubesmith.yaml").write_text("schema: {engine: embedded}\n")

    async def body(c: Client) -> None:
        rendered = data(await c.call_tool("render", {"overlay": "overlays/prod"}))
        assert rendered["overlay"] == "overlays/prod"
        kinds = " ".join(o["resource"] for o in rendered["objects"])
        assert "Deployment" in kinds and "Secret" in kinds
        every = json.dumps(rendered)
        assert "<untrusted-repository-data" in every
        for o in rendered["objects"]:
            if "Secret" in o["resource"]:
                assert "<redacted:secret-" in o["yaml"]
        assert planted not in every
        missing = await c.call_tool("render", {"overlay": "base/nowhere"})
        assert missing.is_error and "does not exist" in text(missing)

    run(example_repo, body)


def test_propose_change_on_an_overlay_returns_the_rendered_diff(example_repo: Path) -> None:
    async def body(c: Client) -> None:
        proposed = data(
            await c.call_tool("propose_change", {"intent": "scale cart to 4 in staging"})
        )
        assert proposed["can_open_pr"], proposed["findings"]
        assert "staging" in proposed["rendered_diff"]
        assert "4" in proposed["rendered_diff"]

    run(example_repo, body)
