"""Doubles and fixtures for users' own tests of code built on kubesmith.

Each section belongs to one area; add new helpers in a section of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from kubesmith.tools.sandbox import Sandbox

# =============================================================================================
# Sandbox API server (server-side dry-run)
# =============================================================================================


@pytest.fixture(scope="session")
def kubesmith_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A running sandbox (etcd + kube-apiserver on loopback) shared by the whole test session.

    Starting one takes a few seconds, so one per session; tests that need isolation use their
    own namespaces. Skips the test when the binaries are not built (with the command to build
    them). Use it by adding ``pytest_plugins = ["kubesmith.testing"]`` to the root conftest, or
    ``from kubesmith.testing import kubesmith_sandbox`` in a conftest.
    """
    from kubesmith.tools.sandbox import Sandbox
    from kubesmith.tools.toolcache import default_cache

    cache = default_cache()
    missing = [n for n in ("etcd", "kube-apiserver") if cache.tool_path(n) is None]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not built; run `kubesmith tools install {' '.join(missing)}`"
        )
    with Sandbox(tmp_path_factory.mktemp("kubesmith-sandbox")) as sandbox:
        yield sandbox


# =============================================================================================
# Scripted chat model (LLM planner)
# =============================================================================================

if TYPE_CHECKING:
    from kubesmith.agent.llm.scripted import (  # noqa: F401 - re-exported lazily below
        ScriptedChatModel,
        ScriptedRequest,
        ScriptExhausted,
        scripted_reply,
    )

_LLM_DOUBLES = ("ScriptedChatModel", "ScriptedRequest", "ScriptExhausted", "scripted_reply")


def __getattr__(name: str) -> object:
    """Import the LLM doubles on first use: they need LangChain, which the llm extra installs."""
    if name in _LLM_DOUBLES:
        from kubesmith.agent.llm import scripted

        return getattr(scripted, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
