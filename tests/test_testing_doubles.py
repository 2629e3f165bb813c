"""kubesmith.testing.InMemoryForge honours the forge contract, so users can test with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import kubesmith.testing as testing
from kubesmith.agent.loop import open_agent
from kubesmith.errors import ForgeError
from kubesmith.model import Outcome
from kubesmith.testing import InMemoryForge
from kubesmith.tools.forges.base import Forge


@pytest.mark.slow
def test_in_memory_forge_with_the_real_agent(example_repo: Path) -> None:
    forge = InMemoryForge()
    assert isinstance(forge, Forge)
    agent = open_agent(example_repo, planner="offline")
    agent.forge = forge
    p = agent.propose("scale cart to 3")
    assert p.pr is not None and p.pr.forge == "memory"
    stored = forge.pull_requests[p.pr.id]
    assert stored["branch"] == p.branch and "scale cart to 3" in stored["body"]
    forge.comment(p.pr.id, "looks good")
    assert stored["comments"] == ["looks good"]
    forge.record(Outcome(p.id, p.pr, "accepted"))
    assert [o.status for o in forge.outcomes()] == ["accepted"]
    with pytest.raises(ForgeError):
        forge.comment("404", "nobody")


@pytest.mark.slow
def test_opening_the_same_branch_twice_updates_one_pull_request(example_repo: Path) -> None:
    forge = InMemoryForge()
    agent = open_agent(example_repo, planner="offline")
    agent.forge = None
    p = agent.propose("scale cart to 3")
    first = forge.open_pr(p, title="one", body="b1")
    second = forge.open_pr(p, title="two", body="b2")
    assert first.id == second.id and forge.opened == 1
    assert forge.pull_requests[first.id]["title"] == "two"


def test_every_public_double_loads_by_name() -> None:
    for name in testing.__all__:
        assert getattr(testing, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = testing.Nope  # type: ignore[attr-defined]


@pytest.mark.slow
def test_importing_the_package_loads_neither_pytest_nor_langchain() -> None:
    # The eval harness's replay mode imports kubesmith.testing.openai_server at run time, where
    # pytest (a dev dependency) and LangChain (the llm extra) need not be installed.
    code = (
        "import sys, kubesmith.testing, kubesmith.testing.openai_server; "
        "print(sorted(m for m in ('pytest', 'langchain_core') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


PLUGIN_USER = """
import sys


def test_the_plugin_imports_no_optional_double():
    assert "langchain_core" not in sys.modules
    assert "kubernetes" not in sys.modules
"""


@pytest.mark.slow
def test_pytest_plugins_registers_the_sandbox_fixture_once_and_nothing_heavy(
    tmp_path: Path,
) -> None:
    # pytest reads every name a plugin module lists in dir(): listing the lazy doubles there
    # imported LangChain and the kubernetes client at start-up and registered the fixture twice
    # (`pytest --fixtures` then crashed comparing the two).
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["kubesmith.testing"]\n')
    (tmp_path / "test_user.py").write_text(PLUGIN_USER)
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts="]
    listed = subprocess.run(
        [*args, "--fixtures"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert listed.returncode == 0, listed.stdout[-2000:]
    assert listed.stdout.count("kubesmith_sandbox [session scope]") == 1
    ran = subprocess.run([*args, "-q"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stdout[-2000:]
