"""`--dry-run sandbox` on validate and propose: the API server's own checks, for real."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubesmith.cli.main import cli
from kubesmith.tools.binaries.cache import tool_path

pytestmark = pytest.mark.integration

MISMATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: other
    spec:
      containers:
        - name: web
          image: nginx:1.25
"""


@pytest.fixture(autouse=True)
def _needs_binaries() -> None:
    if tool_path("kube-apiserver") is None or tool_path("etcd") is None:
        pytest.skip("kube-apiserver/etcd are not built; run `kubesmith tools install`")


def test_validate_dry_run_finds_what_schema_passes(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"web.yaml": MISMATCH})
    runner = CliRunner()
    schema_only = runner.invoke(
        cli, ["validate", "--repo", str(repo), "--policies", "none", "-o", "json"]
    )
    assert schema_only.exit_code == 0, schema_only.output
    result = runner.invoke(
        cli,
        [
            "validate",
            "--repo",
            str(repo),
            "--policies",
            "none",
            "--dry-run",
            "sandbox",
            "-o",
            "json",
        ],
    )
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    mismatch = [f for f in findings if f["validator"] == "dry-run"]
    assert mismatch and mismatch[0]["line"] == 12
    assert "selector" in mismatch[0]["message"]
