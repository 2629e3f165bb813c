"""The import contracts in pyproject.toml (run by ``make lint``) fail on the imports they forbid.

Each test copies the package into a temporary folder, adds one bad import to the copy, and runs
``lint-imports`` there with the project's own configuration: it must exit non-zero and name the
offending import. The unchanged copy passes, so the failure is the injected import's doing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed"),
]


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's Python files and pyproject.toml, outside the checkout."""
    dest = tmp_path_factory.mktemp("layers")
    shutil.copytree(
        ROOT / "kubesmith",
        dest / "kubesmith",
        ignore=lambda _d, names: [n for n in names if n == "__pycache__" or n.endswith(".pyc")],
    )
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def inject(copy: Path, module: str, line: str) -> str:
    """Append ``line`` to ``module`` in the copy; returns the original text to restore."""
    path = copy / (module.replace(".", "/") + ".py")
    original = path.read_text(encoding="utf-8")
    path.write_text(original + f"\n{line}\n", encoding="utf-8")
    return original


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        # an adapter reaching up into the agent
        (
            "kubesmith.tools.git",
            "import kubesmith.agent.loop",
            "kubesmith.tools.git -> kubesmith.agent.loop",
        ),
        # the core reaching up into an adapter
        (
            "kubesmith.model",
            "import kubesmith.workspace.document",
            "kubesmith.model -> kubesmith.workspace.document",
        ),
        # one interface importing another
        (
            "kubesmith.bot.config",
            "import kubesmith.cli.main",
            "kubesmith.bot.config -> kubesmith.cli.main",
        ),
        # an adapter importing the package facade
        ("kubesmith.tools.git", "import kubesmith", "kubesmith.tools.git -> kubesmith"),
        # a cycle between two modules of one package
        (
            "kubesmith.tools.policy.quantity",
            "import kubesmith.tools.policy.k8slib",
            "No cycles are allowed in kubesmith.tools.policy.",
        ),
    ],
)
def test_a_forbidden_import_breaks_a_contract_and_is_named(
    copy: Path, module: str, line: str, expected: str
) -> None:
    original = inject(copy, module, line)
    try:
        result = lint(copy)
    finally:
        (copy / (module.replace(".", "/") + ".py")).write_text(original, encoding="utf-8")
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
    assert expected in result.stdout, result.stdout


def test_the_unchanged_package_keeps_every_contract(copy: Path) -> None:
    result = lint(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout
