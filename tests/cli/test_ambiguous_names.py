"""An ambiguous name lists each candidate once, and the way to pick one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))
WEB = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: "nginx:1.25"}}]
"""


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def test_candidates_are_listed_once(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={f"{ns}/web.yaml": WEB.format(ns=ns) for ns in ("a", "b")})
    proc = subprocess.run(
        [KUBESMITH, "propose", "scale web to 3", "--repo", str(repo)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("Deployment/a/web") == 1
    assert proc.stderr.count("Deployment/b/web") == 1
    assert "namespace" in proc.stderr
    assert proc.stdout == ""
