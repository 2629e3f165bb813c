"""LLM planner: prompt tokens as the repository grows, and the loop's own time per iteration.

Measured with :class:`kubesmith.testing.ScriptedChatModel` (no hosted model here), whose usage
metadata estimates tokens from exactly what kubesmith sent: system prompt, tool schemas,
the change request, the selected manifests and every tool result.

Goals (issue 6): the same intent on 5,000 resources costs at most 1.5x the prompt tokens of 50
resources; one loop iteration (plan, reset, apply; model time and validators excluded) on 1,000
resources takes under 300 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from kubesmith.agent.llm import LLMPlanner
from kubesmith.agent.llm.context import estimate_tokens
from kubesmith.agent.loop import Agent
from kubesmith.config import ModelSettings, Settings
from kubesmith.testing import ScriptedChatModel, scripted_reply
from kubesmith.workspace import Workspace

INTENT = "make checkout highly available: 3 replicas and a 512Mi memory limit"
SETTINGS = ModelSettings(model="openai:gpt-4o-mini")
_GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}

_APP = """\
# {name}: one of the shop's services
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app: {name}
    tier: {tier}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
        tier: {tier}
    spec:
      containers:
        - name: {name}
          image: registry.example.com/shop/{name}:1.0.{n}
          env:
            - name: LOG_LEVEL
              value: info
          resources:
            limits:
              memory: 256Mi
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  labels:
    app: {name}
spec:
  selector:
    app: {name}
  ports:
    - port: 8080
"""


def make_repo(root: Path, resources: int) -> Path:
    """A repository of ``resources`` resources: checkout plus filler apps (2 resources each)."""
    (root / "apps").mkdir(parents=True)
    (root / "apps" / "checkout.yaml").write_text(_APP.format(name="checkout", tier="backend", n=0))
    for i in range(1, resources // 2):
        name = f"svc-{i:04d}"
        tier = ("backend", "frontend", "batch")[i % 3]
        (root / "apps" / f"{name}.yaml").write_text(_APP.format(name=name, tier=tier, n=i))
    return root


def _model() -> ScriptedChatModel:
    return ScriptedChatModel(script=_script())


def _script() -> list[Any]:
    target = {"kind": "Deployment", "name": "checkout"}
    return [
        scripted_reply(("get_resource", target)),
        scripted_reply(
            ("set_field", {**target, "path": "spec.replicas", "value": 3}),
            (
                "set_field",
                {
                    **target,
                    "path": "spec.template.spec.containers[name=checkout].resources.limits.memory",
                    "value": "512Mi",
                },
            ),
        ),
        scripted_reply(("finish", {"rationale": "three replicas, more memory"})),
    ]


def prompt_tokens(resources: int) -> dict[str, int]:
    """Tokens sent for :data:`INTENT` on a repository of ``resources`` resources."""
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.load(make_repo(Path(tmp) / "repo", resources), Settings())
        model = ScriptedChatModel(script=_script())
        cs = LLMPlanner(SETTINGS, model).plan(INTENT, ws)
        assert len(cs.edits) == 2, cs
        return {"first_prompt": _first(model), "total": cs.usage.tokens_in}


def _first(model: ScriptedChatModel) -> int:
    request = model.requests[0]
    return estimate_tokens(request.text + json.dumps(list(request.tools)))


def loop_overhead_ms(resources: int = 1000, rounds: int = 7) -> dict[str, float]:
    """Median time of one loop iteration minus the model's own time."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp) / "repo", resources)
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "repo"]):
            subprocess.run(["git", *args], cwd=repo, check=True, env=_GIT_ENV)
        agent = Agent(repo=repo, settings=Settings(), planner=LLMPlanner(SETTINGS, _model()))
        base = agent.load_base()
        loop_ms: list[float] = []
        for _ in range(rounds):
            agent.planner = LLMPlanner(SETTINGS, _model())
            started = time.perf_counter()
            attempt = agent.plan_and_repair(INTENT, base)
            elapsed = time.perf_counter() - started
            assert len(attempt.changes) == 2, attempt.changes
            loop_ms.append((elapsed - attempt.changeset.usage.latency_s) * 1000)
        return {
            "resources": resources,
            "iteration_ms_median": round(statistics.median(loop_ms), 1),
            "iteration_ms_max": round(max(loop_ms), 1),
            "model_calls_per_iteration": 3,
        }


def run() -> dict[str, Any]:
    """Figures for ``python -m benchmarks bench_llm``."""
    tokens = {n: prompt_tokens(n) for n in (50, 500, 5000)}
    ratio = tokens[5000]["total"] / tokens[50]["total"]
    overhead = loop_overhead_ms()
    return {
        "prompt_tokens": {str(n): t for n, t in tokens.items()},
        "ratio_5000_vs_50": round(ratio, 3),
        "ratio_goal": 1.5,
        "loop_overhead": overhead,
        "loop_overhead_goal_ms": 300,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
