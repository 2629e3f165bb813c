"""Fixtures of the agent's tests."""

from __future__ import annotations

import shutil

import pytest

from kubesmith.workspace import Workspace
from tests.conftest import EXAMPLE_REPO


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The example repository, loaded once per module: planning never writes, so a module's
    tests can share it."""
    root = tmp_path_factory.mktemp("shop") / "repo"
    shutil.copytree(EXAMPLE_REPO, root)
    return Workspace.load(root)
