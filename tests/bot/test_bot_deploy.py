"""examples/deploy: the bot's Kubernetes manifests pass kubesmith's own validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kubesmith.cli.main import _register, cli

DEPLOY = Path(__file__).resolve().parents[2] / "examples" / "deploy"


def _objects() -> dict[str, dict]:
    out = {}
    for f in sorted(DEPLOY.glob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            if doc and "kind" in doc and doc["kind"] != "Kustomization":
                out[doc["kind"]] = doc
    return out


@pytest.mark.slow
def test_deploy_manifests_pass_pss_restricted_and_best_practices() -> None:
    _register()
    result = CliRunner().invoke(
        cli,
        ["validate", str(DEPLOY), "--repo", str(DEPLOY), "--policies",
         "pss-restricted,best-practices", "--output", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    assert report["files"] == 5
    problems = [f for f in report["findings"] if f["severity"] != "info"]
    assert problems == []


def test_deploy_has_probes_resources_secret_references_and_no_secret_values() -> None:
    objs = _objects()
    assert {"Deployment", "Service", "NetworkPolicy", "PodDisruptionBudget"} <= set(objs)
    assert "Secret" not in objs
    pod = objs["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"requests", "limits"} <= set(container["resources"])
    refs = {e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"] if "valueFrom" in e}
    assert {"webhook-secret", "store-url"} <= refs
    assert container["args"][:2] == ["bot", "serve"]
