"""Model strings, prices, the auto planner, the scripted model and the CLI summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from kubesmith.agent.llm import AutoPlanner, LLMPlanner, price_of
from kubesmith.agent.llm.chat import build_chat_model, split_model
from kubesmith.agent.llm.context import RepoView
from kubesmith.agent.llm.safety import Redactor
from kubesmith.agent.offline import OfflinePlanner
from kubesmith.agent.planner import Planner
from kubesmith.cli.render import print_proposal
from kubesmith.config import ModelSettings
from kubesmith.errors import ConfigError, IntentNotUnderstood
from kubesmith.model import Proposal, Usage
from kubesmith.testing import ScriptedChatModel, ScriptExhausted, scripted_reply
from kubesmith.workspace import Workspace

MODEL = ModelSettings(model="openai:gpt-4o-mini")


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("openai:gpt-4o-mini", ("openai", "gpt-4o-mini")),
        ("gpt-4o-mini", ("openai", "gpt-4o-mini")),
        ("azure_openai:my-deployment", ("azure_openai", "my-deployment")),
        ("llama3.1:8b", ("openai", "llama3.1:8b")),
        ("qwen2.5-coder:7b-instruct", ("openai", "qwen2.5-coder:7b-instruct")),
    ],
)
def test_model_strings(model: str, expected: tuple[str, str]) -> None:
    assert split_model(model) == expected


def test_prices_from_the_table_overrides_and_snapshots() -> None:
    assert price_of("openai:gpt-4o-mini") == (0.15, 0.60)
    assert price_of("gpt-4o-mini-2024-07-18") == (0.15, 0.60)
    assert price_of("gpt-4o-2024-08-06") == (2.50, 10.00)
    assert price_of("openai:llama3.1:8b") == (0.0, 0.0)
    assert price_of("openai:my-model", {"my-model": (1.0, 2.0)}) == (1.0, 2.0)
    assert price_of("openai:gpt-4o-mini", {"gpt-4o-mini": (0.0, 0.0)}) == (0.0, 0.0)


def test_openai_compatible_base_url_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    model = build_chat_model(ModelSettings(model="llama3.1:8b"))
    assert type(model).__name__ == "ChatOpenAI"
    assert getattr(model, "model_name", None) == "llama3.1:8b"
    assert str(getattr(model, "openai_api_base", "")) == "http://127.0.0.1:11434/v1"
    configured = build_chat_model(
        ModelSettings(model="gpt-4o-mini", base_url="http://127.0.0.1:8000/v1")
    )
    assert str(getattr(configured, "openai_api_base", "")) == "http://127.0.0.1:8000/v1"


def test_unknown_provider_package_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="model 'groq:llama'"):
        build_chat_model(ModelSettings(model="groq:llama"))


class Exploding:
    """Stands for an LLM planner that must not be built."""

    def __call__(self) -> Planner:
        raise AssertionError("the model was consulted")


def test_auto_planner_keeps_understood_intents_offline(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    auto = AutoPlanner(OfflinePlanner(), Exploding())
    cs = auto.plan("scale checkout to 3", ws)
    assert cs.planner == "offline"
    assert cs.usage == Usage()


def test_auto_planner_hands_the_rest_to_the_model(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    model = ScriptedChatModel(
        script=[
            scripted_reply(
                (
                    "set_field",
                    {"kind": "Deployment", "name": "checkout", "path": "spec.replicas", "value": 3},
                )
            ),
            scripted_reply(("finish", {"rationale": "ha"})),
        ]
    )
    auto = AutoPlanner(OfflinePlanner(), lambda: LLMPlanner(MODEL, model))
    cs = auto.plan("make checkout highly available across zones", ws)
    assert cs.planner == "llm"
    assert cs.usage.calls == 2


def test_auto_planner_without_a_model_keeps_the_offline_message(example_repo: Path) -> None:
    def no_model() -> Planner:
        raise ConfigError("the LLM planner has no model; configure a model: set KUBESMITH_MODEL")

    auto = AutoPlanner(OfflinePlanner(), no_model)
    with pytest.raises(IntentNotUnderstood, match="KUBESMITH_MODEL") as info:
        auto.plan("make checkout highly available across zones", Workspace.load(example_repo))
    assert "did not understand" in str(info.value)


def test_scripted_model_says_when_the_script_runs_out() -> None:
    model = ScriptedChatModel(script=[scripted_reply(("finish", {"rationale": "x"}))])
    model.invoke("one")
    with pytest.raises(ScriptExhausted, match="call 2 has none"):
        model.invoke("two")
    assert [r.text for r in model.requests] == ["one", "two"]


def test_context_is_chosen_by_relevance(example_repo: Path) -> None:
    view = RepoView(Workspace.load(example_repo), Redactor())
    ranked = [d.ref.name for _, d in view.rank("give the payments service more memory")]
    assert ranked[0] == "payments"
    assert "payments-secrets" in ranked  # referenced by the payments Deployment
    context = view.context("give the payments service more memory")
    assert "name: payments" in context
    assert "sk_test_placeholder" not in context


def test_cli_summary_shows_model_usage() -> None:
    console = Console(record=True, width=120)
    proposal = Proposal(
        id="p1",
        intent="x",
        planner="llm",
        base="main",
        branch=None,
        commit=None,
        changes=(),
        diff="",
        usage=Usage(calls=2, tokens_in=4200, tokens_out=140, latency_s=1.25, cost_usd=0.00071),
        rationale="The model declined: no.",
    )
    print_proposal(console, proposal)
    text = console.export_text()
    assert "model: 2 call(s), 4,200 tokens in / 140 out, 1.2 s, about $0.0007" in text
    assert "The model declined: no." in text


def test_auto_planner_repairs_with_the_planner_that_made_the_plan(example_repo: Path) -> None:
    from kubesmith.model import ChangeSet, Finding

    ws = Workspace.load(example_repo)
    model = ScriptedChatModel(script=[scripted_reply(("finish", {"rationale": "nothing better"}))])
    auto = AutoPlanner(OfflinePlanner(), lambda: LLMPlanner(MODEL, model))
    previous = ChangeSet("scale checkout to 3", (), planner="llm")
    finding = Finding("schema", "error", "bad")
    cs = auto.plan("scale checkout to 3", ws, findings=[finding], previous=previous)
    assert cs.planner == "llm"
    assert "Repair request" in model.requests[0].text
    offline_previous = auto.plan("scale checkout to 3", ws)
    again = auto.plan("scale checkout to 3", ws, findings=[finding], previous=offline_previous)
    assert again.planner == "offline"
    assert len(model.requests) == 1


def test_cost_budget_stops_planning(example_repo: Path) -> None:
    from kubesmith.agent.llm import BudgetExceeded

    pricey = MODEL.model_copy(
        update={"max_cost_usd": 0.0001, "prices": {"gpt-4o-mini": (100.0, 100.0)}}
    )
    model = ScriptedChatModel(
        script=[scripted_reply(("get_resource", {"kind": "Deployment", "name": "checkout"}))] * 2
    )
    with pytest.raises(BudgetExceeded, match=r"llm.max_cost_usd"):
        LLMPlanner(pricey, model).plan("look at checkout", Workspace.load(example_repo))
    assert len(model.requests) == 1


def test_prompts_load_from_package_data_and_render_in_one_pass() -> None:
    from kubesmith.prompts import load_prompt, render_prompt

    assert "untrusted-repository-data" in load_prompt("system")
    text = render_prompt(
        "task", intent="{context}", conventions="", summary="3 resources", context="C"
    )
    assert "<change-request>\n{context}\n</change-request>" in text  # a value never expands
    with pytest.raises(ConfigError, match="missing"):
        load_prompt("no_such_prompt")
    with pytest.raises(ConfigError, match="invalid prompt name"):
        load_prompt("../system")
