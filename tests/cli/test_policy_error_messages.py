"""A policy that cannot evaluate a resource says why in a line, not with the whole object."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_REPO

pytest.importorskip("cel_expr_python")
KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def test_evaluation_errors_are_short(tmp_path: Path) -> None:
    text = (EXAMPLE_REPO / "base" / "checkout.yaml").read_text()
    assert "replicas: 2\n" in text
    (tmp_path / "checkout.yaml").write_text(
        text.replace("replicas: 2\n", "replicas: 99999999999999999999\n")
    )
    proc = subprocess.run(
        [
            KUBESMITH,
            "validate",
            "--repo",
            str(tmp_path),
            "--policies",
            "pss-baseline",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    failed = [
        f for f in json.loads(proc.stdout)["findings"] if f["message"].startswith("cannot evaluate")
    ]
    assert failed, proc.stdout
    for f in failed:
        assert len(f["message"]) <= 300, f["message"]
        assert "registry.example.com" not in f["message"]  # no dump of the object
        assert "out of range" in f["message"]
