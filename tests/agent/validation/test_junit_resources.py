"""JUnit reports list one test case per resource checked, clean ones included (issue 16: only
resources with findings were listed, although one test case per resource is documented)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from kubesmith.agent.validation.report import render_junit, resources_by_file
from kubesmith.cli.main import _register, cli
from kubesmith.model import Finding, ResourceRef

TWO_DEPLOYMENTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1.0
        securityContext: {privileged: true}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: registry.example.com/api:1.0}]
"""
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\n"


def _cases(xml: str) -> dict[str, dict[str, bool]]:
    """file → test case → failed?"""
    root = ET.fromstring(xml)
    return {
        suite.get("name", ""): {
            case.get("name", ""): case.find("failure") is not None
            for case in suite.findall("testcase")
        }
        for suite in root.findall("testsuite")
    }


def test_every_resource_is_a_test_case(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"apps/web.yaml": TWO_DEPLOYMENTS, "apps/cm.yaml": CONFIG_MAP})
    files = ["apps/web.yaml", "apps/cm.yaml"]
    resources = resources_by_file(repo, files)
    assert resources == {
        "apps/web.yaml": ["Deployment/shop/web", "Deployment/shop/api"],
        "apps/cm.yaml": ["ConfigMap/shop/settings"],
    }
    web = ResourceRef("apps/v1", "Deployment", "web", "shop")
    finding = Finding("policy", "error", "privileged", "apps/web.yaml", 12, web, None, "p/0")
    cases = _cases(render_junit([finding], files, resources=resources))
    assert cases == {
        "apps/web.yaml": {"Deployment/shop/web": True, "Deployment/shop/api": False},
        "apps/cm.yaml": {"ConfigMap/shop/settings": False},
    }


def test_kubesmith_validate_junit_lists_clean_resources(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        files={
            "apps/web.yaml": TWO_DEPLOYMENTS,
            "apps/cm.yaml": CONFIG_MAP,
            ".kubesmith.yaml": "schema: {enabled: false}\npolicy: {packs: [pss-baseline]}\n",
        }
    )
    _register()
    result = CliRunner().invoke(cli, ["validate", "--repo", str(repo), "-o", "junit"])
    assert result.exit_code == 1, result.output
    cases = _cases(result.stdout)
    assert cases["apps/web.yaml"] == {"Deployment/shop/web": True, "Deployment/shop/api": False}
    assert cases["apps/cm.yaml"] == {"ConfigMap/shop/settings": False}
