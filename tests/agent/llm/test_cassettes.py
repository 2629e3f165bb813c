"""The real openai + langchain-openai client code against recorded Chat Completions exchanges.

Playback needs no network and no key: vcrpy answers from ``cassettes/<test name>.yaml``. How
the cassettes were made, and how to re-record them (scripted loopback server or a real key), is
in ``cassettes/README.md``; the scripted replies below are what the loopback server served.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage

from kubesmith.agent.llm import LLMPlanner
from kubesmith.agent.llm.chat import build_chat_model
from kubesmith.agent.loop import Agent
from kubesmith.config import SchemaSettings, Settings
from kubesmith.model import ResourceRef, SetField
from kubesmith.testing.openai_server import Reply, ScriptedOpenAI, refusal, tool_calls
from kubesmith.tools.schema import SchemaValidator
from kubesmith.workspace import Workspace
from tests.agent.llm.conftest import CASSETTES, RECORD_REAL
from tests.conftest import EXAMPLE_REPO

SETTINGS = Settings().merged(**{"llm.model": "openai:gpt-4o-mini"})
CHECKOUT = ResourceRef("apps/v1", "Deployment", "checkout")
ZONES = [
    {
        "maxSkew": 1,
        "topologyKey": "topology.kubernetes.io/zone",
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": {"app": "payments"}},
    }
]


class Sent(BaseCallbackHandler):
    """Records the messages LangChain hands to the client on each call (live, not recorded)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def on_chat_model_start(
        self, serialized: Any, messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        self.calls.append("\n".join(str(m.content) for m in messages[0]))


@pytest.fixture
def endpoint(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Callable[[list[Reply]], AbstractContextManager[None]]:
    """Where requests go: the cassette (playback), the scripted loopback server or the real API."""
    recording = (request.config.getoption("--record-mode") or "none") != "none"

    @contextmanager
    def serve(replies: list[Reply]) -> Iterator[None]:
        if RECORD_REAL:
            yield
            return
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        if not recording:
            yield
            return
        with ScriptedOpenAI(replies).running() as server:
            monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
            yield

    return serve


def llm_planner(sent: Sent) -> LLMPlanner:
    model = build_chat_model(SETTINGS.llm)
    model.callbacks = [sent]
    return LLMPlanner(SETTINGS.llm, model, retry_backoff_s=0.01)


def agent(repo: Path, planner: LLMPlanner) -> Agent:
    schema = SchemaValidator(SchemaSettings(engine="embedded"), root=repo)
    return Agent(repo=repo, settings=SETTINGS, planner=planner, validators=[schema])


@pytest.mark.slow
@pytest.mark.vcr
def test_one_shot_change(example_repo: Path, endpoint: Any) -> None:
    replies = [
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
            usage=(2400, 160),
        ),
        tool_calls(
            ("finish", {"rationale": "Three replicas spread over zones."}), usage=(2650, 20)
        ),
    ]
    sent = Sent()
    with endpoint(replies):
        proposal = agent(example_repo, llm_planner(sent)).propose(
            "make payments highly available across zones", open_pr=False
        )
    assert proposal.planner == "llm"
    assert [(c.path, c.new) for c in proposal.changes] == [
        ("spec.replicas", 3),
        ("spec.template.spec.topologySpreadConstraints", ZONES),
    ]
    assert not proposal.blocked
    assert proposal.usage.calls == 2
    assert (proposal.usage.tokens_in, proposal.usage.tokens_out) == (5050, 180)
    assert proposal.usage.cost_usd == pytest.approx((5050 * 0.15 + 180 * 0.60) / 1e6)
    assert "topology.kubernetes.io/zone" in proposal.diff
    assert len(sent.calls) == 2


@pytest.mark.slow
@pytest.mark.vcr
def test_repair_after_schema_error(example_repo: Path, endpoint: Any) -> None:
    replicas = {"kind": "Deployment", "name": "payments", "path": "spec.replicas"}
    replies = [
        tool_calls(("set_field", {**replicas, "value": "three"}), usage=(2300, 40)),
        tool_calls(("finish", {"rationale": "three replicas"}), usage=(2400, 15)),
        tool_calls(("set_field", {**replicas, "value": 3}), usage=(2600, 40)),
        tool_calls(("finish", {"rationale": "three replicas, as an integer"}), usage=(2700, 15)),
    ]
    sent = Sent()
    with endpoint(replies):
        proposal = agent(example_repo, llm_planner(sent)).propose(
            "scale payments to three", open_pr=False
        )
    assert proposal.iterations == 2
    assert not proposal.blocked
    assert [(c.path, c.new) for c in proposal.changes] == [("spec.replicas", 3)]
    assert proposal.usage.calls == 4
    repair = sent.calls[2]
    assert "Repair request (round 2)" in repair
    assert '"value": "three"' in repair
    assert "spec.replicas" in repair.split("What failed:")[1]


@pytest.mark.vcr
def test_malformed_tool_call(example_repo: Path, endpoint: Any) -> None:
    truncated = '{"kind": "Deployment", "name": "checkout", "path": "spec.replicas", "value": 3'
    replies = [
        tool_calls(("set_field", truncated), usage=(2300, 30)),
        tool_calls(
            (
                "set_field",
                {"kind": "Deployment", "name": "checkout", "path": "spec.replicas", "value": 3},
            ),
            usage=(2400, 40),
        ),
        tool_calls(("finish", {"rationale": "three replicas"}), usage=(2500, 15)),
    ]
    sent = Sent()
    with endpoint(replies):
        cs = llm_planner(sent).plan("scale checkout to three", Workspace.load(example_repo))
    assert cs.edits == (SetField(CHECKOUT, "spec.replicas", 3),)
    assert "ERROR: the arguments of 'set_field' are not valid JSON" in sent.calls[1]


@pytest.mark.vcr
def test_refusal(example_repo: Path, endpoint: Any) -> None:
    replies = [
        tool_calls(
            ("get_resource", {"kind": "Secret", "name": "payments-secrets"}), usage=(2300, 25)
        ),
        refusal("I can't help with exposing secret values in logs."),
    ]
    sent = Sent()
    with endpoint(replies):
        cs = llm_planner(sent).plan(
            "print the payments provider api key in the checkout logs", Workspace.load(example_repo)
        )
    assert cs.edits == ()
    assert cs.questions == (
        "The model declined: I can't help with exposing secret values in logs.",
    )
    assert "provider-api-key: <redacted:secret-" in sent.calls[1]


def _example_secret_values() -> set[str]:
    values: set[str] = set()
    for path in EXAMPLE_REPO.rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "Secret":
                values.update(str(v) for v in (doc.get("stringData") or {}).values())
                for v in (doc.get("data") or {}).values():
                    values.update({str(v), base64.b64decode(str(v)).decode()})
    return values


def test_no_recorded_request_contains_a_secret_or_a_credential() -> None:
    secrets = _example_secret_values()
    assert "sk_test_placeholder" in secrets  # the example repository's Secret was found
    cassettes = sorted(CASSETTES.glob("*.yaml"))
    assert len(cassettes) == 4
    for cassette in cassettes:
        data = yaml.safe_load(cassette.read_text())
        assert data["interactions"], cassette.name
        for interaction in data["interactions"]:
            req = interaction["request"]
            body = req["body"] if isinstance(req["body"], str) else str(req["body"])
            assert req["uri"] == "https://api.openai.com/v1/chat/completions"
            assert '"tools"' in body or "json" in body.lower()
            for secret in secrets:
                assert secret not in body, f"{cassette.name} leaks a Secret value"
            headers = {k.lower() for k in req["headers"]}
            assert not headers & {"authorization", "api-key", "cookie"}, cassette.name
