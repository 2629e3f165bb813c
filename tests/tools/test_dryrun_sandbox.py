"""Dry-run against a real kube-apiserver (the session's sandbox)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from kubernetes import client as k8s

from kubesmith.model import Finding
from kubesmith.tools.dryrun.client import WriteRefused, read_only_client
from kubesmith.tools.dryrun.validator import DryRunValidator
from kubesmith.tools.sandbox.server import Sandbox
from kubesmith.workspace import Workspace
from tests.tools.test_sandbox import WIDGET_CRD, needs_binaries

pytestmark = [pytest.mark.integration, needs_binaries]


def deployment(
    name: str, namespace: str, *, template_app: str | None = None, replicas: int = 1
) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {template_app or name}
    spec:
      containers:
        - name: app
          image: nginx:1.27
"""


@pytest.fixture
def load(make_repo: Callable[..., Path]) -> Callable[[str], Workspace]:
    def factory(text: str) -> Workspace:
        return Workspace.load(make_repo(files={"app.yaml": text}))

    return factory


def _ns() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def _errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def test_selector_mismatch_is_an_error_at_the_labels_line(
    kubesmith_sandbox: Sandbox, load: Callable[[str], Workspace]
) -> None:
    ws = load(deployment("web", _ns(), template_app="other"))
    findings = DryRunValidator(sandbox=kubesmith_sandbox).validate(ws.resources)
    (f,) = findings
    assert (f.severity, f.validator, f.file) == ("error", "dry-run", "app.yaml")
    assert f.path == "spec.template.metadata.labels"
    assert "`selector` does not match template `labels`" in f.message
    assert f.line == 13  # the `labels:` line of the template


def test_valid_deployment_has_no_findings(
    kubesmith_sandbox: Sandbox, load: Callable[[str], Workspace]
) -> None:
    ns = _ns()
    ws = load(deployment("web", ns))
    assert DryRunValidator(sandbox=kubesmith_sandbox).validate(ws.resources) == []
    # dryRun=All persisted nothing (the namespace was created, being the sandbox's to manage).
    rest = kubesmith_sandbox.rest()
    assert rest.get(f"/apis/apps/v1/namespaces/{ns}/deployments/web").status == 404
    assert rest.get(f"/api/v1/namespaces/{ns}").status == 200


def test_unknown_field_points_at_its_line(
    kubesmith_sandbox: Sandbox, load: Callable[[str], Workspace]
) -> None:
    text = deployment("web", _ns()).replace(
        "image: nginx:1.27", "image: nginx:1.27\n          imagePullPolicyy: Always"
    )
    (f,) = DryRunValidator(sandbox=kubesmith_sandbox).validate(load(text).resources)
    assert f.severity == "error"
    assert f.path == "spec.template.spec.containers[name=app].imagePullPolicyy"
    assert f.line == 19
    assert "imagePullPolicyy" in f.message


def test_immutable_selector_change_and_live_diff(
    kubesmith_sandbox: Sandbox, load: Callable[[str], Workspace]
) -> None:
    ns = _ns()
    kubesmith_sandbox.ensure_namespace(ns)
    # A live object, created for real through the sandbox's admin client (not the validator's).
    live = load(deployment("web", ns)).resources[0].obj
    created = kubesmith_sandbox.rest().post(f"/apis/apps/v1/namespaces/{ns}/deployments", live)
    assert created.status == 201, created.text

    changed = deployment("web", ns, replicas=3).replace("app: web", "app: web2")
    findings = DryRunValidator(sandbox=kubesmith_sandbox).validate(load(changed).resources)
    assert any(
        f.path == "spec.selector" and "field is immutable" in f.message for f in _errors(findings)
    ), findings

    validator = DryRunValidator(sandbox=kubesmith_sandbox, diff=True)
    assert validator.validate(load(deployment("web", ns, replicas=3)).resources) == []
    diff = validator.diffs[f"Deployment/{ns}/web"]
    assert "-  replicas: 1\n+  replicas: 3\n" in diff
    assert "managedFields" not in diff
    assert "resourceVersion" not in diff


def test_custom_resources_are_checked_against_their_crd(
    kubesmith_sandbox: Sandbox, load: Callable[[str], Workspace]
) -> None:
    kubesmith_sandbox.install_crds([WIDGET_CRD])
    ns = _ns()
    text = (
        f"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: {ns}\n"
        "spec:\n  size: 11\n"
        "---\n"
        "apiVersion: nothere.example.org/v1\nkind: Gadget\nmetadata:\n  name: g\n"
    )
    findings = DryRunValidator(sandbox=kubesmith_sandbox).validate(load(text).resources)
    by_kind = {f.ref.kind: f for f in findings if f.ref}
    assert by_kind["Widget"].severity == "error"
    assert by_kind["Widget"].path == "spec.size"
    assert by_kind["Widget"].line == 7
    assert by_kind["Gadget"].severity == "warning"
    assert "not served" in by_kind["Gadget"].message


def test_admission_policy_denial_is_reported_with_the_policy_name(
    kubesmith_sandbox: Sandbox, load: Callable[[str], Workspace]
) -> None:
    rest = kubesmith_sandbox.rest()
    name = f"max-replicas-{uuid.uuid4().hex[:6]}"
    ns = _ns()
    base = "/apis/admissionregistration.k8s.io/v1"
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": ["apps"],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["deployments"],
                    }
                ]
            },
            "validations": [{"expression": "object.spec.replicas <= 5", "message": "at most 5"}],
        },
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {
            "policyName": name,
            "validationActions": ["Deny"],
            "matchResources": {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}
            },
        },
    }
    assert rest.post(f"{base}/validatingadmissionpolicies", policy).status == 201
    assert rest.post(f"{base}/validatingadmissionpolicybindings", binding).status == 201
    ws = load(deployment("web", ns, replicas=9))
    validator = DryRunValidator(sandbox=kubesmith_sandbox)
    deadline = time.monotonic() + 20  # the policy takes effect once its informer has synced
    findings = validator.validate(ws.resources)
    while not findings and time.monotonic() < deadline:
        time.sleep(0.2)
        findings = validator.validate(ws.resources)
    (f,) = findings
    assert (f.severity, f.rule) == ("error", name)
    assert "at most 5" in f.message


def test_read_only_client_refuses_real_writes(kubesmith_sandbox: Sandbox) -> None:
    ns = _ns()
    api = read_only_client(kubesmith_sandbox.kubeconfig)
    core = k8s.CoreV1Api(api)
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
    with pytest.raises(WriteRefused):
        core.create_namespace(body)
    core.create_namespace(body, dry_run="All")  # allowed, and persists nothing
    assert kubesmith_sandbox.rest().get(f"/api/v1/namespaces/{ns}").status == 404
    assert core.read_namespace("default").metadata.name == "default"


def test_stopped_sandbox_is_a_warning(tmp_path: Path, load: Callable[[str], Workspace]) -> None:
    ws = load(deployment("web", "default"))
    (f,) = DryRunValidator(sandbox=Sandbox(tmp_path / "never-started")).validate(ws.resources)
    assert f.severity == "warning"
    assert f.message.startswith("dry-run not performed: sandbox in ")


def test_cluster_mode_reports_missing_namespaces_and_diffs(
    kubesmith_sandbox: Sandbox, load: Callable[[str], Workspace]
) -> None:
    """The sandbox addressed as a user's cluster (kubeconfig only): nothing is created there."""
    existing, planned, unknown = _ns(), _ns(), _ns()
    kubesmith_sandbox.ensure_namespace(existing)
    text = "---\n".join(
        [
            deployment("web", existing),
            f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {planned}\n",
            deployment("api", planned),
            deployment("job", unknown),
        ]
    )
    validator = DryRunValidator(kubesmith_sandbox.kubeconfig)
    findings = validator.validate(load(text).resources)
    by_name = {f.ref.name: f for f in findings if f.ref}
    assert set(by_name) == {"api", "job"}
    assert all(f.severity == "warning" for f in findings)
    assert by_name["api"].message.endswith("(this change creates it)")
    assert by_name["job"].message.endswith("(no manifest here creates it)")
    assert by_name["job"].path == "metadata.namespace"
    # Nothing was created: not the namespaces, not the objects.
    rest = kubesmith_sandbox.rest()
    assert rest.get(f"/api/v1/namespaces/{planned}").status == 404
    assert rest.get(f"/apis/apps/v1/namespaces/{existing}/deployments/web").status == 404
    # Diffs are on by default against a cluster: new objects show as whole additions.
    assert validator.diffs[f"Deployment/{existing}/web"].startswith("--- /dev/null\n")
    assert f"Namespace/{planned}" in validator.diffs
