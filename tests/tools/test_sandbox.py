"""The sandbox: certificates, process bookkeeping, and a real etcd + kube-apiserver on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import time
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kubesmith.errors import ToolError
from kubesmith.tools.binaries.cache import default_cache
from kubesmith.tools.sandbox import pki as sandbox_pki
from kubesmith.tools.sandbox import processes as sandbox_proc
from kubesmith.tools.sandbox.processes import Component
from kubesmith.tools.sandbox.server import Sandbox

BINARIES_MISSING = any(default_cache().tool_path(n) is None for n in ("etcd", "kube-apiserver"))
needs_binaries = pytest.mark.skipif(
    BINARIES_MISSING, reason="run `kubesmith tools install etcd kube-apiserver`"
)

WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {"kind": "Widget", "plural": "widgets", "singular": "widget"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {"size": {"type": "integer", "maximum": 10}},
                            }
                        },
                    }
                },
            }
        ],
    },
}


# ----------------------------------------------------------------------------- offline parts


def test_pki_chain_and_identities(tmp_path: Path) -> None:
    pki = sandbox_pki.generate(tmp_path / "pki")
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    server = x509.load_pem_x509_certificate(pki.server_cert.read_bytes())
    admin = x509.load_pem_x509_certificate(pki.admin_cert.read_bytes())
    server.verify_directly_issued_by(ca)
    admin.verify_directly_issued_by(ca)
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    assert "kubernetes.default.svc" in sans.get_values_for_type(x509.DNSName)
    orgs = admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    assert [o.value for o in orgs] == ["system:masters"]
    usage = admin.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in usage
    assert oct(pki.admin_key.stat().st_mode & 0o777) == "0o600"
    # The standard library accepts the pair as a client identity.
    ssl.create_default_context(cafile=str(pki.ca_cert)).load_cert_chain(
        str(pki.admin_cert), str(pki.admin_key)
    )


def test_kubeconfig_points_at_server_and_certs(tmp_path: Path) -> None:
    pki = sandbox_pki.generate(tmp_path / "pki")
    sandbox_proc.write_kubeconfig(tmp_path / "kc", "https://127.0.0.1:1234", pki, "ctx")
    config = yaml.safe_load((tmp_path / "kc").read_text())
    assert config["current-context"] == "ctx"
    assert config["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:1234"
    assert Path(config["users"][0]["user"]["client-key"]) == pki.admin_key


def test_alive_rejects_recycled_pid() -> None:
    stat = sandbox_proc._stat(os.getpid())
    assert stat is not None
    me = Component("x", os.getpid(), stat[1], 0, "", "")
    assert sandbox_proc.alive(me)
    assert not sandbox_proc.alive(Component("x", os.getpid(), stat[1] + 1, 0, "", ""))


@pytest.mark.slow
def test_free_port_avoids_ports_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert sandbox_proc.free_port({port}) != port


def test_status_of_empty_and_leftover_folders(tmp_path: Path) -> None:
    assert Sandbox(tmp_path / "none").status().running is False
    (tmp_path / "left" / "etcd-data").mkdir(parents=True)
    status = Sandbox(tmp_path / "left").status()
    assert status.running is False
    assert status.problems == ("leftover files from a sandbox that is gone",)


def test_server_without_sandbox_says_how_to_start(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="kubesmith sandbox up"):
        _ = Sandbox(tmp_path).server


# ----------------------------------------------------------------------------- real processes


@pytest.mark.integration
@needs_binaries
def test_session_sandbox_serves_and_installs_crds(kubesmith_sandbox: Sandbox) -> None:
    status = kubesmith_sandbox.status()
    assert status.running, status.problems
    assert kubesmith_sandbox.install_crds([WIDGET_CRD]) == 1
    rest = kubesmith_sandbox.rest()
    assert rest.get("/apis/example.com/v1/namespaces/default/widgets").status == 200
    # Reinstalling an existing CRD is fine (a second `sandbox up --repo` on the same folder).
    assert kubesmith_sandbox.install_crds([WIDGET_CRD]) == 1
    kubesmith_sandbox.ensure_namespace("sandbox-test")
    kubesmith_sandbox.ensure_namespace("sandbox-test")
    assert rest.get("/api/v1/namespaces/sandbox-test").status == 200
    # The kubeconfig is usable by a standard client.
    config = yaml.safe_load(kubesmith_sandbox.kubeconfig.read_text())
    assert config["clusters"][0]["cluster"]["server"] == kubesmith_sandbox.server


@pytest.mark.integration
@needs_binaries
def test_etcd_death_is_reported_and_stale_state_cleaned(tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path / "sb")
    sandbox.up()
    state = json.loads((tmp_path / "sb" / "state.json").read_text())
    try:
        os.kill(state["etcd"]["pid"], signal.SIGKILL)
        deadline = time.monotonic() + 5
        while sandbox.status().etcd["alive"] and time.monotonic() < deadline:  # type: ignore[index]
            time.sleep(0.05)
        status = Sandbox(tmp_path / "sb").status()  # as another process would see it
        assert not status.running
        assert any(
            p.startswith(f"etcd (pid {state['etcd']['pid']}) is not running")
            for p in status.problems
        )
        # `up` on the broken folder stops the orphaned API server and starts afresh.
        fresh = Sandbox(tmp_path / "sb").up()
        assert fresh.running
        assert fresh.apiserver is not None
        assert fresh.apiserver["pid"] != state["apiserver"]["pid"]
        assert not sandbox_proc.alive(Component(**state["apiserver"]))
    finally:
        Sandbox(tmp_path / "sb").down()
    assert sorted(p.name for p in (tmp_path / "sb").iterdir()) == [".lock"]


@pytest.mark.integration
@needs_binaries
def test_port_taken_at_start_moves_to_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The port chosen as free is taken before etcd binds it: etcd is started again elsewhere."""
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    real_free_port = sandbox_proc.free_port
    handed_out: list[int] = []

    def racy_free_port(avoid: set[int] | None = None) -> int:
        port = taken if not handed_out else real_free_port(avoid)
        handed_out.append(port)
        return port

    monkeypatch.setattr(sandbox_proc, "free_port", racy_free_port)
    messages: list[str] = []
    etcd = default_cache().ensure("etcd", build=False)
    try:
        comp = sandbox_proc._start_etcd(tmp_path, etcd, 30.0, messages.append)
        try:
            assert comp.port not in (taken, 0)
            assert sandbox_proc.alive(comp)
            assert any(f"port {taken}" in m for m in messages)
        finally:
            sandbox_proc.stop(comp)
    finally:
        blocker.close()
