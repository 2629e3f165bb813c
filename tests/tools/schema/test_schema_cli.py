"""`kubesmith validate` as users and CI run it: exit codes, file:line, every output format."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kubesmith.cli.main import _register, cli
from tests.conftest import ROOT

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))

BROKEN = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: three
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx
          imagePullPolicyy: Always
"""

CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
"""


@pytest.fixture
def env(schema_cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The session's tool cache (schemas generated once); kubeconform found on PATH if present."""
    from kubesmith.tools.binaries.cache import tool_path

    found = tool_path("kubeconform")
    monkeypatch.setenv("KUBESMITH_TOOL_CACHE", str(schema_cache))
    if found is not None:
        monkeypatch.setenv("PATH", f"{found.parent}{os.pathsep}{os.environ['PATH']}")
    return dict(os.environ)


def run(*args: str) -> tuple[int, str]:
    _register()
    result = CliRunner().invoke(cli, ["validate", "--policies", "none", *args])
    return result.exit_code, result.stdout


@pytest.mark.slow
def test_the_example_repository_passes(env: dict[str, str], example_repo: Path) -> None:
    code, out = run("--repo", str(example_repo), "--engine", "embedded")
    assert code == 0, out
    assert "0 error(s)" in out
    assert "selector" not in out  # overlays' patches are rendered, never validated alone


def test_a_wrong_type_fails_at_its_line(
    env: dict[str, str], make_repo: Callable[..., Path]
) -> None:
    repo = make_repo(files={"apps/web.yaml": BROKEN})
    code, out = run("--repo", str(repo), "--engine", "embedded")
    assert code == 1
    assert "apps/web.yaml:6: error: spec.replicas:" in out
    assert "apps/web.yaml:16: error: spec.template.spec.containers[0].imagePullPolicyy" in out
    code, out = run("--repo", str(repo), "--engine", "embedded", "--no-strict")
    assert code == 1
    assert "imagePullPolicyy" not in out


def test_usage_errors_exit_2(env: dict[str, str], make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"web.yaml": BROKEN})
    assert run("--repo", str(repo), "--kube-version", "9.9")[0] == 2
    assert run("--repo", str(repo), "--output", "xml")[0] == 2
    assert run(str(repo / "missing.yaml"))[0] == 2


def test_machine_readable_outputs(env: dict[str, str], make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        files={
            "web.yaml": BROKEN,
            "ok/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
        }
    )
    base = ("--repo", str(repo), "--engine", "embedded")
    code, out = run(*base, "-o", "json")
    data = json.loads(out)
    assert code == 1
    assert data["ok"] is False
    assert data["summary"]["errors"] == 2
    assert {f["line"] for f in data["findings"]} == {6, 16}
    code, out = run(*base, "-o", "sarif")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results} == {
        6,
        16,
    }
    code, out = run(*base, "-o", "junit")
    root = ET.fromstring(out)
    assert root.get("failures") == "1"
    assert {s.get("name") for s in root.findall("testsuite")} == {"web.yaml", "ok/cm.yaml"}


def test_crd_dir_and_crds_in_the_repository(
    env: dict[str, str], make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    gadget = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: big}\n"
    repo = make_repo(files={"gadget.yaml": gadget})
    code, out = run("--repo", str(repo), "--engine", "embedded")
    assert code == 0
    assert "warning: no schema for example.com/v1 Gadget" in out
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "gadget-crd.yaml").write_text(CRD)
    code, out = run("--repo", str(repo), "--engine", "embedded", "--crd-dir", str(crds))
    assert code == 1
    assert "gadget.yaml:4: error: spec.size:" in out
    (repo / "crd.yaml").write_text(CRD)
    code, out = run("--repo", str(repo), "--engine", "embedded")
    assert code == 1
    assert "gadget.yaml:4: error: spec.size:" in out


def test_pre_commit_hook_definition() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    [hook] = [h for h in hooks if h["id"] == "kubesmith-validate"]
    assert hook["entry"] == "kubesmith validate"
    assert hook["language"] == "python"
    assert re.search(hook["files"], "deploy/web.yaml")


@pytest.mark.integration
def test_real_command_with_kubeconform(
    env: dict[str, str], make_repo: Callable[..., Path], kubeconform_bin: Path
) -> None:
    files = {
        "apps/web.yaml": BROKEN,
        "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
        "apps/kustomization.yaml": "resources: [web.yaml, cm.yaml]\n",
        "values.yaml": "replicaCount: 1\n",
        "dup.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
    }
    repo = make_repo(files=files)
    cmd = [KUBESMITH, "validate", "--repo", str(repo), "--policies", "none", "-o", "json"]
    env = {**env, "PYTHONPATH": str(ROOT)}
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 1, first.stderr
    data = json.loads(first.stdout)
    where = {(f["file"], f["line"], f["severity"]) for f in data["findings"]}
    assert ("apps/web.yaml", 6, "error") in where
    assert ("apps/web.yaml", 16, "error") in where
    assert ("dup.yaml", 5, "error") in where
    assert ("apps/kustomization.yaml", 1, "info") in where
    assert ("values.yaml", 1, "info") in where
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert json.loads(again.stdout) == data  # the verdict cache answers the same
    assert kubeconform_bin.exists()
