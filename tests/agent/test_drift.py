"""Drift against the sandbox API server: objects the test creates and changes, not kubesmith."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesmith.agent.drift import compare, drift, project
from kubesmith.config import Settings
from kubesmith.testing import kubesmith_sandbox  # noqa: F401 - the fixture
from kubesmith.tools.sandbox.server import Sandbox
from tests.tools.test_sandbox import needs_binaries

NS = "drift-test"
OBJECTS: list[dict[str, Any]] = [
    {"apiVersion": "apps/v1", "kind": "Deployment",
     "metadata": {"name": "web", "namespace": NS, "labels": {"app": "web"}},
     "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
              "template": {"metadata": {"labels": {"app": "web"}},
                           "spec": {"containers": [{"name": "app", "image": "web:1.0",
                                                    "ports": [{"containerPort": 8080}]}]}}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NS},
     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": NS},
     "data": {"LOG_LEVEL": "info"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "token", "namespace": NS},
     "stringData": {"token": "s3cr3t-value"}},
]  # fmt: skip
PATHS = {"Deployment": "/apis/apps/v1/namespaces/{ns}/deployments",
         "Service": "/api/v1/namespaces/{ns}/services",
         "ConfigMap": "/api/v1/namespaces/{ns}/configmaps",
         "Secret": "/api/v1/namespaces/{ns}/secrets"}  # fmt: skip


def test_projection_keeps_only_what_the_repository_sets() -> None:
    live = {"spec": {"replicas": 3, "strategy": {"type": "RollingUpdate"},
                     "containers": [{"name": "b", "image": "y"}, {"name": "a", "image": "x",
                                                                   "imagePullPolicy": "Always"}]}}  # fmt: skip
    want = {"spec": {"replicas": 2, "containers": [{"name": "a", "image": "x"}]}}
    assert project(live, want) == {
        "spec": {"replicas": 3, "containers": [{"name": "a", "image": "x"}]}
    }
    key = ("apps/v1", "Deployment", "default", "web")
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "web"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}}}  # fmt: skip
    desired = [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, **want}]
    assert (
        compare(desired, {key: {**desired[0], **live}}).resources[0].fields[0].path
        == "spec.replicas"
    )
    assert (
        compare([*desired, hpa], {key: {**desired[0], **live}}).resources[0].status == "only-in-git"
    )
    assert compare(desired, {key: {**desired[0], **live}}, ignore=["spec.replicas"]).resources == ()


@pytest.mark.slow
@needs_binaries
def test_drift_reports_exactly_what_the_test_changed(
    kubesmith_sandbox: Sandbox,  # noqa: F811 - the fixture
    make_repo: Callable[..., Path],
) -> None:
    rest = kubesmith_sandbox.rest(timeout=15)
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
    assert rest.post("/api/v1/namespaces", ns).status in (201, 409)
    for obj in OBJECTS:
        r = rest.post(PATHS[obj["kind"]].format(ns=NS), obj)
        assert r.status == 201, r.text
    extra = {"name": "only-here"}
    repo = make_repo(files={"app.yaml": yaml.safe_dump_all([*OBJECTS,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "git-only", "namespace": NS},
         "data": {"a": "b"}}])})  # fmt: skip
    settings = Settings()
    fresh = drift(repo, settings, kubeconfig=kubesmith_sandbox.kubeconfig)
    assert [(r.resource, r.status) for r in fresh.resources] == [
        (f"ConfigMap/{NS}/git-only", "only-in-git")
    ]  # no false drift on freshly applied objects
    assert fresh.compared == 5

    def change(kind: str, name: str, edit: Callable[[dict[str, Any]], None]) -> None:
        path = PATHS[kind].format(ns=NS) + f"/{name}"
        body = rest.get(path).body
        edit(body)
        assert rest.request("PUT", path, body).status == 200

    change("Deployment", "web", lambda b: b["spec"].update(replicas=5))
    change("ConfigMap", "settings", lambda b: b["data"].update(LOG_LEVEL="debug", NEW="x"))
    change("Secret", "token", lambda b: b["data"].update(token="b3RoZXI="))
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {**extra, "namespace": NS}}
    assert rest.post(PATHS["ConfigMap"].format(ns=NS), cm).status == 201

    report = drift(repo, settings, kubeconfig=kubesmith_sandbox.kubeconfig)
    got = {r.resource: (r.status, [(f.path, f.git, f.live) for f in r.fields])
           for r in report.resources}  # fmt: skip
    assert got == {
        f"ConfigMap/{NS}/git-only": ("only-in-git", []),
        f"ConfigMap/{NS}/only-here": ("only-in-cluster", []),
        f"ConfigMap/{NS}/settings": ("changed", [("data.LOG_LEVEL", "info", "debug")]),
        f"Deployment/{NS}/web": ("changed", [("spec.replicas", 2, 5)]),
        f"Secret/{NS}/token": (
            "changed",
            [("data.token", "(hidden: Secret value)", "(hidden: Secret value)")],
        ),
    }
    assert "s3cr3t" not in repr(report) and "b3RoZXI" not in repr(report)

    from click.testing import CliRunner

    from kubesmith.cli.main import cli

    result = CliRunner().invoke(cli, ["drift", "--repo", str(repo), "--kubeconfig",
                                      str(kubesmith_sandbox.kubeconfig), "-o", "json"])  # fmt: skip
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert {r["resource"] for r in data["resources"]} == set(got)
    assert "s3cr3t" not in result.output
    (repo / ".kubesmith.yaml").write_text("dry_run:\n  drift_ignore: [spec.replicas, data]\n")
    ignored = drift(repo, Settings(dry_run={"drift_ignore": ["spec.replicas", "data"]}),
                    kubeconfig=kubesmith_sandbox.kubeconfig)  # fmt: skip
    assert {r.resource for r in ignored.resources} == {
        f"ConfigMap/{NS}/git-only",
        f"ConfigMap/{NS}/only-here",
    }
    text = CliRunner().invoke(cli, ["drift", "--repo", str(repo), "--kubeconfig",
                                    str(kubesmith_sandbox.kubeconfig)])  # fmt: skip
    assert text.exit_code == 1 and "only-in-cluster" in text.output, text.output
    assert "spec.replicas" not in text.output  # the repository's ignore list applies

    (repo / ".kubesmith.yaml").unlink()
    adopted = CliRunner().invoke(cli, ["drift", "--repo", str(repo), "--kubeconfig",
                                       str(kubesmith_sandbox.kubeconfig), "--propose",
                                       "--fields", "spec.replicas,data", "-o", "json"])  # fmt: skip
    assert adopted.exit_code == 0, adopted.output
    out = json.loads(adopted.output)
    assert sorted((c["path"], c["old"], c["new"]) for c in out["proposal"]["changes"]) == [
        ("data.LOG_LEVEL", "info", "debug"), ("spec.replicas", 2, 5)
    ]  # fmt: skip
    assert out["proposal"]["pr"] is not None
    assert any("Secret values are never written" in s for s in out["not_adopted"])
    assert "s3cr3t" not in adopted.output and "b3RoZXI" not in adopted.output
