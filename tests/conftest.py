"""Shared fixtures: real git repositories in temporary folders, and the public corpora."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.process_guard import _processes_are_marked  # noqa: F401 - an autouse fixture

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_REPO = ROOT / "examples" / "manifests"
CORPORA = ROOT.parent / "shared" / "corpora"


# A developer's own configuration must never reach a model or a forge from the test suite.
_ENVIRONMENT = (
    "KUBESMITH_MODEL",
    "KUBESMITH_PLANNER",
    "KUBESMITH_STORE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITHUB_API_URL",
    "GITHUB_REPOSITORY",
    "LANGSMITH_TRACING",
    "LANGCHAIN_TRACING_V2",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return its stdout (raises on failure)."""
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def init_repo(path: Path, files: dict[str, str] | None = None, source: Path | None = None) -> Path:
    """Create a git repository at ``path`` with one commit on ``main``."""
    path.mkdir(parents=True, exist_ok=True)
    if source is not None:
        shutil.copytree(source, path, dirs_exist_ok=True)
    for rel, text in (files or {}).items():
        f = path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "dev@example.com")
    git(path, "config", "user.name", "Dev")
    git(path, "config", "commit.gpgsign", "false")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial", "--allow-empty")
    return path


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_repo(files={...})`` or ``make_repo(source=dir)`` → a committed git repo."""
    counter = iter(range(1000))

    def factory(files: dict[str, str] | None = None, source: Path | None = None) -> Path:
        return init_repo(tmp_path / f"repo{next(counter)}", files, source)

    return factory


@pytest.fixture
def example_repo(make_repo: Callable[..., Path]) -> Path:
    """A committed copy of examples/manifests in a temporary git repository."""
    return make_repo(source=EXAMPLE_REPO)


def corpus_dir(name: str) -> Path:
    """A folder of ../shared/corpora, or skip the test with the reason when it is absent."""
    path = CORPORA / name
    if not path.is_dir():
        pytest.skip(f"corpus {path} is not present (it lives beside the checkout in shared/)")
    return path
