"""Dry-run without a server: the read-only guard, status mapping, diffs, unreachable targets."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client as k8s

from kubesmith.tools.dryrun.client import WriteRefused, check_request, read_only_client
from kubesmith.tools.dryrun.diff import CHANGED, HIDDEN, live_diff
from kubesmith.tools.dryrun.status import api_path, status_findings
from kubesmith.tools.dryrun.validator import DryRunValidator
from kubesmith.workspace import Workspace

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""


def _kubeconfig(path: Path, server: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "c", "cluster": {"server": server, "insecure-skip-tls-verify": True}}
                ],
                "users": [{"name": "u", "user": {"token": "not-a-real-token"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    return path


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server on loopback that accepts connections and never answers (a hung API server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                held.append(conn)
            except TimeoutError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    t.join()
    for c in held:
        c.close()
    sock.close()


@pytest.fixture
def shop(make_repo: Callable[..., Path]) -> Workspace:
    return Workspace.load(make_repo(files={"web.yaml": DEPLOYMENT}))


# ----------------------------------------------------------------------------- read-only guard


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "https://h/api/v1/namespaces"),
        ("HEAD", "https://h/version"),
        ("PATCH", "https://h/apis/apps/v1/namespaces/a/deployments/x?dryRun=All&force=true"),
        ("POST", "https://h/api/v1/namespaces?fieldManager=k&dryRun=All"),
        ("DELETE", "https://h/api/v1/namespaces/a?dryRun=All"),
    ],
)
def test_reads_and_dry_runs_pass(method: str, url: str) -> None:
    check_request(method, url)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "https://h/api/v1/namespaces"),
        ("PATCH", "https://h/apis/apps/v1/namespaces/a/deployments/x?fieldManager=kubesmith"),
        ("PUT", "https://h/api/v1/namespaces/a?dryRun="),
        ("DELETE", "https://h/api/v1/namespaces/a?dryRun=All&dryRun=None"),
        ("delete", "https://h/api/v1/namespaces/a"),
        ("GET", "https://h/api/v1/namespaces/a/pods/b/exec?command=sh"),
        ("GET", "https://h/api/v1/namespaces/a/services/b:80/proxy/admin"),
        ("POST", "https://h/api/v1/namespaces/a/pods/b/portforward?dryRun=All"),
        ("GET", "https://h/api/v1/nodes/n1/proxy/metrics"),
    ],
)
def test_writes_are_refused(method: str, url: str) -> None:
    with pytest.raises(WriteRefused, match="refused"):
        check_request(method, url)


def test_reading_an_object_named_like_a_subresource_is_fine() -> None:
    check_request("GET", "https://h/api/v1/namespaces/a/configmaps/proxy")
    check_request("GET", "https://h/apis/apps/v1/namespaces/exec/deployments/attach")


def test_transport_cannot_be_swapped(tmp_path: Path) -> None:
    """The websocket helper (`kubernetes.stream`) swaps `call_api`; the sealed client refuses."""
    from kubernetes.stream import stream

    kubeconfig = _kubeconfig(tmp_path / "kc", f"https://127.0.0.1:{_closed_port()}")
    api = read_only_client(kubeconfig, timeout=1)
    with pytest.raises(WriteRefused, match="cannot be replaced"):
        api.rest_client = None
    with pytest.raises(WriteRefused):
        stream(k8s.CoreV1Api(api).connect_get_namespaced_pod_exec, "p", "ns", command=["sh"])


def test_client_refuses_writes_before_sending(tmp_path: Path) -> None:
    """Every write path of the generated API refuses; nothing reaches the (absent) server."""
    kubeconfig = _kubeconfig(tmp_path / "kc", f"https://127.0.0.1:{_closed_port()}")
    api = read_only_client(kubeconfig, timeout=1)
    core = k8s.CoreV1Api(api)
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}
    with pytest.raises(WriteRefused):
        core.create_namespace(body)
    with pytest.raises(WriteRefused):
        core.delete_namespace("x")
    with pytest.raises(WriteRefused):
        core.patch_namespace("x", {"metadata": {"labels": {"a": "b"}}})
    # The lowest layer, as any future code path would reach it.
    with pytest.raises(WriteRefused):
        api.call_api("PUT", api.configuration.host + "/apis/apps/v1/namespaces/a/deployments/b")


# ----------------------------------------------------------------------------- status mapping


def test_rbac_forbidden_is_a_not_checked_warning(shop: Workspace) -> None:
    (doc,) = shop.resources
    body = json.dumps(
        {
            "kind": "Status",
            "message": 'deployments.apps "web" is forbidden: User "bob" cannot patch resource '
            '"deployments" in API group "apps" in the namespace "shop"',
            "reason": "Forbidden",
            "code": 403,
        }
    )
    (f,) = status_findings(doc, 403, body)
    assert f.severity == "warning"
    assert f.message.startswith("dry-run not performed for Deployment/shop/web")


def test_policy_denial_names_the_policy(shop: Workspace) -> None:
    (doc,) = shop.resources
    body = {
        "kind": "Status",
        "message": 'deployments.apps "web" is forbidden: ValidatingAdmissionPolicy '
        "'max-replicas' with binding 'max-replicas' denied request: too many replicas",
        "reason": "Invalid",
        "details": {"causes": [{"message": "too many replicas", "field": "spec.replicas"}]},
        "code": 422,
    }
    (f,) = status_findings(doc, 422, json.dumps(body).encode())
    assert (f.severity, f.rule, f.path) == ("error", "max-replicas", "spec.replicas")


def test_cause_without_parsable_field_keeps_it_in_message(shop: Workspace) -> None:
    (doc,) = shop.resources
    body = {"reason": "Invalid", "details": {"causes": [{"message": "bad", "field": "[[x"}]}}
    (f,) = status_findings(doc, 422, json.dumps(body))
    assert f.message == "[[x: bad"
    assert f.line == doc.line


def test_api_paths_become_kubesmith_paths() -> None:
    assert api_path('.spec.template.spec.containers[name="web"].imagePullPolicyy') == (
        "spec.template.spec.containers[name=web].imagePullPolicyy"
    )
    assert api_path("metadata.labels[app.kubernetes.io/name]") == (
        'metadata.labels["app.kubernetes.io/name"]'
    )
    assert api_path("spec.ports[0].port") == "spec.ports[0].port"
    assert api_path("") is None


# ----------------------------------------------------------------------------- live diff


def test_diff_drops_server_bookkeeping() -> None:
    live = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "resourceVersion": "1", "uid": "a", "generation": 1},
        "spec": {"replicas": 1},
        "status": {"readyReplicas": 1},
    }
    result = {
        **live,
        "metadata": {**live["metadata"], "resourceVersion": "2", "generation": 2},  # type: ignore[dict-item]
        "spec": {"replicas": 3},
        "status": {},
    }
    text = live_diff(live, result, "Deployment/web")
    assert "-  replicas: 1\n+  replicas: 3\n" in text
    assert "resourceVersion" not in text
    assert "generation" not in text
    assert live_diff(live, {**live, "status": {"x": 1}}, "Deployment/web") == ""


def test_diff_masks_secret_values() -> None:
    live = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}
    live["data"] = {"user": "YWRtaW4=", "password": "b2xk"}  # type: ignore[assignment]
    result = {**live, "data": {"user": "YWRtaW4=", "password": "bmV3"}}
    text = live_diff(live, result, "Secret/s")
    assert "YWRtaW4=" not in text
    assert "b2xk" not in text
    assert "bmV3" not in text
    assert f"-  password: {HIDDEN}\n+  password: {CHANGED}\n" in text
    assert f"   user: {HIDDEN}\n" in text


# ----------------------------------------------------------------------------- no server


def test_unreachable_server_is_a_warning_not_a_pass(tmp_path: Path, shop: Workspace) -> None:
    kubeconfig = _kubeconfig(tmp_path / "kc", f"https://127.0.0.1:{_closed_port()}")
    findings = DryRunValidator(kubeconfig, timeout=2).validate(shop.resources)
    (f,) = findings
    assert f.severity == "warning"
    assert f.message.startswith("dry-run not performed: ")
    assert "1 resource not checked" in f.message


@pytest.mark.slow
def test_hung_server_times_out_as_a_warning(
    tmp_path: Path, shop: Workspace, silent_server: str
) -> None:
    kubeconfig = _kubeconfig(tmp_path / "kc", silent_server)
    (f,) = DryRunValidator(kubeconfig, timeout=0.5).validate(shop.resources)
    assert f.severity == "warning"
    assert "dry-run not performed" in f.message


def test_missing_kubeconfig_is_a_warning(tmp_path: Path, shop: Workspace) -> None:
    (f,) = DryRunValidator(tmp_path / "nope").validate(shop.resources)
    assert f.severity == "warning"
    assert "cannot load cluster configuration" in f.message


def test_nothing_to_check_needs_no_server(tmp_path: Path) -> None:
    assert DryRunValidator(tmp_path / "nope").validate([]) == []


def test_unnamed_resource_is_reported_not_skipped(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    text = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n"
    ws = Workspace.load(make_repo(files={"job.yaml": text}))
    (f,) = DryRunValidator(tmp_path / "nope").validate(ws.resources)
    assert (f.severity, f.file) == ("info", "job.yaml")
    assert "metadata.name" in f.message
