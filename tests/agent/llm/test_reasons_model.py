"""The model reader of reviewers' conventions, against recorded Chat Completions exchanges.

The real openai + langchain-openai client code runs; vcrpy answers from
``cassettes/reasons/<test name>.yaml`` (how they were made: ``cassettes/reasons/README.md``).
The scripted replies below are what the loopback server served when they were recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from kubesmith.agent.conventions import mine
from kubesmith.agent.reasons import ChangeContext, Stated
from kubesmith.agent.reasons_model import ModelReader, model_reader
from kubesmith.config import Settings
from kubesmith.model import Outcome, PullRequest
from kubesmith.testing.openai_server import Reply, ScriptedOpenAI, text, tool_calls
from tests.agent.llm.conftest import CASSETTES, RECORD_REAL

SETTINGS = Settings().merged(**{"llm.model": "openai:gpt-4o-mini"})


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES / "reasons")


@pytest.fixture
def endpoint(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Callable[[list[Reply]], AbstractContextManager[None]]:
    """Playback from the cassette, or (recording) the scripted loopback server."""
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


def reader() -> ModelReader:
    built = model_reader(SETTINGS)
    assert built is not None
    return built


@pytest.mark.slow  # the openai client runs `uname` for its headers
@pytest.mark.vcr
def test_two_conventions_through_the_typed_tool(endpoint: Any) -> None:
    replies = [
        tool_calls(
            (
                "report_conventions",
                {
                    "conventions": [
                        {"kind": "required_label", "key": "owner", "value": "shop"},
                        {"kind": "field_predicate", "on": "pod", "path": "volumes[*].hostPath",
                         "op": "forbidden"},
                        # not valid conventions: dropped, never repaired
                        {"kind": "required_label"},
                        {"kind": "field_predicate", "on": "object", "path": "metadata.name",
                         "op": "matches", "value": "^team-"},
                    ]
                },
            ),
        )
    ]  # fmt: skip
    with endpoint(replies):
        found = reader()(
            "pls no hostpath, and every workload needs teh owner lable (owner=shop)",
            [ChangeContext("Deployment", "spec.replicas", 3)],
        )
    assert found == [
        Stated("required_label", {"key": "owner", "value": "shop"}),
        Stated(
            "field_predicate",
            {"on": "pod", "path": "volumes[*].hostPath", "op": "forbidden", "value": None},
        ),
    ]


@pytest.mark.slow  # the openai client runs `uname` for its headers
@pytest.mark.vcr
def test_no_tool_call_falls_back_to_the_offline_reader(endpoint: Any) -> None:
    with endpoint([text("The reviewer wants an owner label.")]):
        r = reader()
        found = r("owner label pls")
    assert found == [Stated("required_label", {"key": "owner", "value": None})]
    assert r.fallbacks == 1


@pytest.mark.slow  # the openai client runs `uname` for its headers
@pytest.mark.vcr
def test_model_conventions_are_candidates_with_evidence_never_rules(endpoint: Any) -> None:
    replies = [
        tool_calls(
            ("report_conventions", {"conventions": [{"kind": "min_replicas", "n": 2}]}),
        )
    ]
    outcome = Outcome("p1", PullRequest("local", "p1", "", "rejected"), "rejected", "too low")
    with endpoint(replies):
        (rule,) = mine([outcome], reader=reader())
    assert (rule.kind, rule.params, rule.status) == ("min_replicas", {"n": 2}, "candidate")
    assert [(e.proposal_id, e.source, e.detail) for e in rule.evidence] == [
        ("p1", "rejection", "too low")
    ]


def test_no_model_configured_means_no_model_reader() -> None:
    assert model_reader(Settings()) is None
