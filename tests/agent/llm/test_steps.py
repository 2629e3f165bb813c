"""A listener (kubesmith chat) sees the model's words and tool calls as they happen."""

from __future__ import annotations

from kubesmith.agent.llm import LLMPlanner
from kubesmith.agent.steps import STEPS
from kubesmith.config import ModelSettings
from kubesmith.testing import ScriptedChatModel, scripted_reply
from kubesmith.workspace import Workspace
from tests.conftest import EXAMPLE_REPO


def test_steps_are_reported_only_to_a_listener() -> None:
    def script() -> ScriptedChatModel:
        return ScriptedChatModel(
            script=[
                scripted_reply(
                    (
                        "set_field",
                        {
                            "kind": "Deployment",
                            "name": "checkout",
                            "path": "spec.replicas",
                            "value": 3,
                        },
                    ),
                    content="Scaling checkout.",
                ),
                scripted_reply(("finish", {"rationale": "scaled"})),
            ]
        )

    ws = Workspace.load(EXAMPLE_REPO)
    settings = ModelSettings(model="openai:gpt-4o-mini")
    seen: list[str] = []
    token = STEPS.set(seen.append)
    try:
        LLMPlanner(settings, script(), sleep=lambda _: None).plan("scale checkout to 3", ws)
    finally:
        STEPS.reset(token)
    assert seen[0] == "Scaling checkout."
    assert seen[1].startswith("→ set_field(") and "spec.replicas" in seen[1]
    assert seen[2].startswith("→ finish(")
    before = list(seen)
    LLMPlanner(settings, script(), sleep=lambda _: None).plan("scale checkout to 3", ws)
    assert seen == before  # nobody listening: nothing reported
