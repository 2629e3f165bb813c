"""``review list`` in an 80-column pipe cuts nothing off: ids and branches are there in full."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubesmith.cli.main import _register, cli

# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def test_long_titles_and_branches_are_not_cut(example_repo: Path) -> None:
    _register()
    runner = CliRunner()
    intent = "scale checkout to 3 in staging and set its memory limit to 512Mi"
    made = runner.invoke(cli, ["propose", intent, "--repo", str(example_repo), "-o", "json"])
    assert made.exit_code == 0, made.stderr
    pr = json.loads(made.stdout)["pr"]
    listed = runner.invoke(cli, ["review", "list", "--repo", str(example_repo)])
    assert listed.exit_code == 0
    assert "…" not in listed.stdout
    assert pr["id"] in listed.stdout
    assert all(len(line) <= 80 for line in listed.stdout.splitlines())
