"""The ``kubesmith_sandbox`` pytest fixture: one sandbox API server per test session.

A plugin module of its own (loaded through ``kubesmith.testing``'s ``pytest_plugins``), so that
``import kubesmith.testing`` does not import pytest: the eval harness's replay mode uses the
scripted OpenAI-compatible server from this package at run time, where pytest is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kubesmith.tools.binaries.cache import default_cache
from kubesmith.tools.sandbox.server import Sandbox


@pytest.fixture(scope="session")
def kubesmith_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A running sandbox (etcd + kube-apiserver on loopback) shared by the whole test session.

    Starting one takes a few seconds, so one per session; tests that need isolation use their
    own namespaces. Skips the test when the binaries are not built (with the command to build
    them). Use it by adding ``pytest_plugins = ["kubesmith.testing"]`` to the root conftest, or
    ``from kubesmith.testing import kubesmith_sandbox`` in a conftest.
    """
    cache = default_cache()
    missing = [n for n in ("etcd", "kube-apiserver") if cache.tool_path(n) is None]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not built; run `kubesmith tools install {' '.join(missing)}`"
        )
    with Sandbox(tmp_path_factory.mktemp("kubesmith-sandbox")) as sandbox:
        yield sandbox
