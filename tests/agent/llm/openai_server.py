"""The scripted OpenAI-compatible server, now in the package (``kubesmith.evals.openai_server``).

It moved so that the eval harness's replay mode can serve hand-written model turns through the
same real client code; the tests and the cassette recordings import it from here as before.
"""

from __future__ import annotations

from kubesmith.evals.openai_server import (
    MODEL,
    Reply,
    ScriptedOpenAI,
    error,
    refusal,
    text,
    tool_calls,
)

__all__ = ["MODEL", "Reply", "ScriptedOpenAI", "error", "refusal", "text", "tool_calls"]
