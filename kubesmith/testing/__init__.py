"""Doubles and fixtures for users' own tests of code built on kubesmith.

- :class:`InMemoryForge` (``kubesmith.testing.forge``): pull requests kept in memory.
- ``kubesmith_sandbox`` (``kubesmith.testing.sandbox``): a session-scoped pytest fixture with a
  running sandbox API server; add ``pytest_plugins = ["kubesmith.testing"]`` to your root
  conftest, or ``from kubesmith.testing import kubesmith_sandbox`` in a conftest.
- :class:`ScriptedChatModel`, :func:`scripted_reply` (``kubesmith.testing.scripted_model``): a
  LangChain chat model that replays a script (needs the ``llm`` extra).
- :class:`ScriptedOpenAI` and its replies ``tool_calls``/``text``/``refusal``/``error``
  (``kubesmith.testing.openai_server``): an OpenAI-compatible server on 127.0.0.1 that serves
  scripted replies, so the real ``openai`` client code runs.
- :func:`compare_policies` (``kubesmith.testing.policy_agreement.compare``): the offline policy
  engine against a sandbox API server, policy by policy.

Every name loads on first use: importing this package imports neither pytest nor LangChain
(the eval harness uses the scripted server at run time, where neither need be installed).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubesmith.testing.forge import InMemoryForge
    from kubesmith.testing.openai_server import (
        Reply,
        ScriptedOpenAI,
        error,
        refusal,
        text,
        tool_calls,
    )
    from kubesmith.testing.policy_agreement import AgreementReport
    from kubesmith.testing.policy_agreement import compare as compare_policies
    from kubesmith.testing.sandbox import kubesmith_sandbox
    from kubesmith.testing.scripted_model import (
        ScriptedChatModel,
        ScriptedRequest,
        ScriptExhausted,
        scripted_reply,
    )

# pytest loads the fixture module through this list when a conftest names this package.
pytest_plugins = ["kubesmith.testing.sandbox"]

_LAZY: dict[str, tuple[str, str]] = {
    "InMemoryForge": ("kubesmith.testing.forge", "InMemoryForge"),
    "kubesmith_sandbox": ("kubesmith.testing.sandbox", "kubesmith_sandbox"),
    "ScriptedChatModel": ("kubesmith.testing.scripted_model", "ScriptedChatModel"),
    "ScriptedRequest": ("kubesmith.testing.scripted_model", "ScriptedRequest"),
    "ScriptExhausted": ("kubesmith.testing.scripted_model", "ScriptExhausted"),
    "scripted_reply": ("kubesmith.testing.scripted_model", "scripted_reply"),
    "ScriptedOpenAI": ("kubesmith.testing.openai_server", "ScriptedOpenAI"),
    "Reply": ("kubesmith.testing.openai_server", "Reply"),
    "tool_calls": ("kubesmith.testing.openai_server", "tool_calls"),
    "text": ("kubesmith.testing.openai_server", "text"),
    "refusal": ("kubesmith.testing.openai_server", "refusal"),
    "error": ("kubesmith.testing.openai_server", "error"),
    "compare_policies": ("kubesmith.testing.policy_agreement", "compare"),
    "AgreementReport": ("kubesmith.testing.policy_agreement", "AgreementReport"),
}

__all__ = [
    "AgreementReport",
    "InMemoryForge",
    "Reply",
    "ScriptExhausted",
    "ScriptedChatModel",
    "ScriptedOpenAI",
    "ScriptedRequest",
    "compare_policies",
    "error",
    "kubesmith_sandbox",
    "refusal",
    "scripted_reply",
    "text",
    "tool_calls",
]


# No ``__dir__`` listing the lazy names: pytest reads every name ``dir()`` lists from a plugin
# module, which would import them all (LangChain, the kubernetes client) and register the
# fixture twice.
def __getattr__(name: str) -> object:
    """Import a double's module on first use of its name."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attr = _LAZY[name]
    return getattr(importlib.import_module(module), attr)
