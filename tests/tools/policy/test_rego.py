"""Rego policies through the real conftest binary, merged into the policy findings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.config import PolicySettings
from kubesmith.tools.binaries.cache import tool_path
from kubesmith.tools.policy import PolicyValidator
from kubesmith.tools.policy.rego import RegoValidator
from kubesmith.workspace import Workspace

REGO = """\
package main

import rego.v1

deny contains msg if {
  input.kind == "Deployment"
  not input.spec.template.spec.securityContext.runAsNonRoot
  msg := sprintf("%s must run as non-root", [input.metadata.name])
}

warn contains msg if {
  input.kind == "Deployment"
  input.spec.replicas < 2
  msg := sprintf("%s has fewer than 2 replicas", [input.metadata.name])
}
"""

DEPLOYMENT = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27
"""


@pytest.mark.integration
def test_rego_denies_and_warnings_become_findings(make_repo: Callable[..., Path]) -> None:
    if tool_path("conftest") is None:
        pytest.skip("conftest is not installed (kubesmith tools install conftest)")
    repo = make_repo(files={"opa/main.rego": REGO, "apps/web.yaml": DEPLOYMENT})
    settings = PolicySettings(packs=(), rego_folders=("opa",))
    findings = PolicyValidator(settings, repo).validate(Workspace.load(repo).documents)
    got = {(f.severity, f.message, f.file, f.line, f.rule) for f in findings}
    assert got == {
        ("error", "web must run as non-root", "apps/web.yaml", 6, "rego:main"),
        ("warning", "web has fewer than 2 replicas", "apps/web.yaml", 6, "rego:main"),
    }


def test_missing_conftest_is_said_not_silently_passed(
    make_repo: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(files={"opa/main.rego": REGO, "apps/web.yaml": DEPLOYMENT})
    docs = Workspace.load(repo).documents
    monkeypatch.setenv("KUBESMITH_TOOL_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    findings = RegoValidator(("opa",), repo).validate(docs)
    assert [(f.severity, f.rule) for f in findings] == [("info", "rego")]
    assert "conftest is not" in findings[0].message


def test_missing_rego_folder_is_an_error(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    repo = make_repo(files={"apps/web.yaml": DEPLOYMENT})
    fake = tmp_path / "conftest"
    fake.write_text("#!/bin/sh\nexit 0\n")
    findings = RegoValidator(("opa",), repo, binary=fake).validate(Workspace.load(repo).documents)
    assert [(f.severity, f.message) for f in findings] == [
        ("error", f"Rego folder not found: {repo / 'opa'}")
    ]
