"""``kubesmith propose --planner llm|auto`` end to end against an OpenAI-compatible server.

The server is the scripted one in ``openai_server.py``, on 127.0.0.1, reached through
``OPENAI_BASE_URL`` exactly as a local vLLM, Ollama or llama.cpp server would be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kubesmith.testing.openai_server import Reply, ScriptedOpenAI, error, tool_calls
from tests.conftest import git

pytestmark = pytest.mark.slow  # each test runs the CLI in a subprocess

KUBESMITH = Path(sys.executable).parent / "kubesmith"
ZONES = [
    {
        "maxSkew": 1,
        "topologyKey": "topology.kubernetes.io/zone",
        "whenUnsatisfiable": "ScheduleAnyway",
    }
]
HA = [
    tool_calls(
        (
            "set_field",
            {"kind": "Deployment", "name": "payments", "path": "spec.replicas", "value": 3},
        ),
        (
            "set_field",
            {
                "kind": "Deployment",
                "name": "payments",
                "path": "spec.template.spec.topologySpreadConstraints",
                "value": ZONES,
            },
        ),
        usage=(2000, 120),
    ),
    tool_calls(("finish", {"rationale": "Three replicas spread over zones."}), usage=(2200, 20)),
]


def propose(
    repo: Path, server: ScriptedOpenAI, intent: str, *args: str
) -> tuple[int, dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "KUBESMITH_"))}
    env["OPENAI_BASE_URL"] = server.base_url
    result = subprocess.run(
        [str(KUBESMITH), "propose", intent, "--repo", str(repo), "--no-pr", "-o", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_propose_with_the_llm_planner_through_a_base_url(example_repo: Path) -> None:
    with ScriptedOpenAI(HA).running() as server:
        code, proposal = propose(
            example_repo,
            server,
            "make payments highly available across zones",
            "--planner",
            "llm",
            "--model",
            "openai:gpt-4o-mini",
        )
    assert code == 0, proposal
    assert proposal["planner"] == "llm"
    assert [c["path"] for c in proposal["changes"]] == [
        "spec.replicas",
        "spec.template.spec.topologySpreadConstraints",
    ]
    assert proposal["usage"]["calls"] == 2
    assert proposal["usage"]["tokens_in"] == 4200
    assert proposal["usage"]["cost_usd"] > 0
    assert "topology.kubernetes.io/zone" in git(example_repo, "show", proposal["commit"])
    assert [r["model"] for r in server.requests] == ["gpt-4o-mini", "gpt-4o-mini"]
    assert {t["function"]["name"] for t in server.requests[0]["tools"]} >= {"set_field", "finish"}
    assert "sk_test_placeholder" not in json.dumps(server.requests)


def test_auto_planner_uses_the_model_only_when_the_offline_grammar_does_not_fit(
    example_repo: Path,
) -> None:
    with ScriptedOpenAI(HA).running() as server:
        _, offline = propose(example_repo, server, "scale payments to 5", "--model", "gpt-4o-mini")
        assert server.requests == []
        _, llm = propose(
            example_repo,
            server,
            "make payments highly available across zones",
            "--model",
            "gpt-4o-mini",
        )
    assert offline["planner"] == "offline"
    assert offline["usage"]["calls"] == 0
    assert llm["planner"] == "llm"
    assert len(server.requests) == 2


def test_server_errors_are_retried(example_repo: Path) -> None:
    replies: list[Reply] = [error(500, "overloaded"), error(429, "slow down"), *HA]
    with ScriptedOpenAI(replies).running() as server:
        code, proposal = propose(
            example_repo,
            server,
            "make payments highly available across zones",
            "--planner",
            "llm",
            "--model",
            "openai:gpt-4o-mini",
        )
    assert code == 0, proposal
    assert len(server.requests) == 4
    retries = [
        h.get("x-stainless-retry-count") or h.get("X-Stainless-Retry-Count") for h in server.headers
    ]
    assert retries[:3] == ["0", "1", "2"]


def test_llm_planner_without_a_model_explains_how_to_configure_one(example_repo: Path) -> None:
    with ScriptedOpenAI([]).running() as server:
        code, out = propose(
            example_repo, server, "make payments highly available", "--planner", "llm"
        )
    assert code == 2
    assert out["error"] == "ConfigError"
    assert "KUBESMITH_MODEL" in out["message"] and "--model" in out["message"]
