"""Validating a folder with no manifests says so instead of reporting a quiet pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def test_an_empty_selection_is_pointed_out(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no manifests here\n")
    proc = subprocess.run(
        [KUBESMITH, "validate", "--repo", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert "no YAML files" in proc.stderr
    assert "workspace.include" in proc.stderr
