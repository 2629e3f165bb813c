"""A malformed manifest: named once with its line, in plain words, by validate and by propose."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_REPO

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))
BROKEN = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata: {a: [\n"


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def kubesmith(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KUBESMITH, *args], capture_output=True, text=True, check=False)


def test_validate_names_the_broken_line_once(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(BROKEN)
    proc = kubesmith("validate", "--repo", str(tmp_path), "--policies", "none", "-o", "json")
    assert proc.returncode == 1
    [finding] = json.loads(proc.stdout)["findings"]
    assert (finding["file"], finding["line"]) == ("broken.yaml", 6)
    message = finding["message"]
    assert message.startswith("not valid YAML: ")  # file and line are fields, not repeated
    assert "<unicode string>" not in message and "\n" not in message
    text = kubesmith("validate", "--repo", str(tmp_path), "--policies", "none").stdout
    assert text.count("broken.yaml:6") == 1


def test_propose_reports_a_file_it_cannot_read(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(source=EXAMPLE_REPO, files={"base/broken.yaml": BROKEN})
    proc = kubesmith("propose", "scale cart to 3", "--repo", str(repo), "--no-pr")
    assert proc.returncode == 0, proc.stderr
    assert "base/broken.yaml:6" in proc.stderr  # on stderr with the progress, never in stdout
    assert "base/broken.yaml" not in proc.stdout
    assert "replicas: 3" in proc.stdout
