"""An endpoint that cannot be reached is named in the error, so a wrong OPENAI_BASE_URL shows."""

from __future__ import annotations

import socket

import pytest

pytest.importorskip("langchain_openai")

from langchain_core.messages import HumanMessage

from kubesmith.agent.llm.chat import build_chat_model, invoke
from kubesmith.config import ModelSettings
from kubesmith.errors import RunError


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_connection_error_names_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    port = closed_port()
    url = f"http://127.0.0.1:{port}/v1"
    model = build_chat_model(ModelSettings(model="openai:gpt-4o-mini", base_url=url))
    with pytest.raises(RunError) as info:
        invoke(model, [HumanMessage("hi")], attempts=1, sleep=lambda _s: None)
    assert f"127.0.0.1:{port}/v1" in str(info.value)
