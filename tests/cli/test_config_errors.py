"""A broken ``.kubesmith.yaml`` is named with its line and in plain words."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def validate_json(repo: Path, config: str) -> tuple[int, str]:
    (repo / ".kubesmith.yaml").write_text(config)
    proc = subprocess.run(
        [KUBESMITH, "validate", "--repo", str(repo), "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout)["message"]


def test_malformed_config_names_its_line_on_one_line(tmp_path: Path) -> None:
    code, message = validate_json(tmp_path, "planner: offline\nllm: {model: [\n")
    assert code == 2
    assert ".kubesmith.yaml:3: not valid YAML" in message
    assert "<unicode string>" not in message and "\n" not in message


def test_unknown_setting_is_called_unknown(tmp_path: Path) -> None:
    code, message = validate_json(tmp_path, "planer: offline\nschema: {strict: true, kube: 1}\n")
    assert code == 2
    assert "planer: unknown setting" in message
    assert "schema.kube: unknown setting" in message
    assert "Extra inputs" not in message
