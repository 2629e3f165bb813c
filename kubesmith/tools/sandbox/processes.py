"""Processes of the sandbox: start etcd and kube-apiserver, watch them, stop them.

Each process is identified by its pid *and* its start time (``/proc/<pid>/stat``), so a pid the
kernel recycled after a crash is never mistaken for a sandbox component and never signalled.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from kubesmith.errors import ToolError
from kubesmith.tools.binaries.cache import Progress
from kubesmith.tools.sandbox import pki as sandbox_pki
from kubesmith.tools.sandbox.rest import Rest

OWNED = ("etcd-data", "pki", "kubeconfig", "etcd.log", "kube-apiserver.log")
"""What a sandbox folder holds besides its state file; removed by ``down`` and stale cleanup."""

SERVICE_RANGE = "10.0.0.0/24"
READYZ = "/readyz?exclude=poststarthook/rbac/bootstrap-roles"
"""Readiness for dry-run: everything but the default RBAC roles, which the server keeps creating
in the background for a second or two after the rest is ready. The sandbox admin is in
``system:masters``, so nothing kubesmith does depends on them, and a cold start is that much
faster."""
_PORT_IN_USE = ("address already in use", "bind: address")


@dataclass(frozen=True)
class Component:
    """One running process of the sandbox."""

    name: str
    pid: int
    start_ticks: int
    port: int
    log: str
    binary: str


@dataclass(frozen=True)
class Started:
    """What :func:`start_all` brought up."""

    etcd: Component
    apiserver: Component
    server: str
    kubeconfig: str
    started_at: str


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) of ``pid``, or None when there is no such pid."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[19])


def alive(comp: Component) -> bool:
    """True when the component's process still runs (same pid *and* start time, not a zombie)."""
    stat = _stat(comp.pid)
    return stat is not None and stat[1] == comp.start_ticks and stat[0] not in ("Z", "X")


def stop(comp: Component, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; a process that is gone is left alone."""
    child = _CHILDREN.pop(comp.pid, None)
    if child is not None:  # ours and not reaped yet, so the pid cannot have been recycled
        child.terminate()
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return
    if not alive(comp):
        return
    os.kill(comp.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(comp) and time.monotonic() < deadline:
        _reap(comp.pid)
        time.sleep(0.05)
    if alive(comp):
        os.kill(comp.pid, signal.SIGKILL)
        while alive(comp):
            _reap(comp.pid)
            time.sleep(0.02)
    _reap(comp.pid)


_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
"""Processes this interpreter started and has not reaped; holding them keeps ``Popen`` from
warning that a child it lost track of still runs (the sandbox outlives the call on purpose)."""


def _reap(pid: int) -> None:
    """Collect the exit status when ``pid`` is our child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def free_port(avoid: set[int] | None = None) -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in (avoid or set()):
            return port


def _spawn(
    name: str, cmd: list[str], log: Path, port: int
) -> tuple[Component, subprocess.Popen[bytes]]:
    with open(log, "ab") as fh:
        # A new session: the sandbox outlives `kubesmith sandbox up` and ignores its Ctrl-C.
        child = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=fh, stderr=fh, start_new_session=True
        )
    _CHILDREN[child.pid] = child
    stat = _stat(child.pid)
    ticks = stat[1] if stat else 0
    return Component(name, child.pid, ticks, port, str(log), cmd[0]), child


def _tail(log: str, lines: int = 15) -> str:
    try:
        text = Path(log).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


class _PortTaken(Exception):
    """The component lost the race for its port; start it again on another one."""


def _wait(
    comp: Component,
    child: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            _CHILDREN.pop(child.pid, None)
            tail = _tail(comp.log)
            if any(marker in tail for marker in _PORT_IN_USE):
                raise _PortTaken(tail)
            raise ToolError(f"sandbox: {comp.name} exited with status {child.returncode}:\n{tail}")
        if ready():
            return
        time.sleep(0.05)
    stop(comp)
    raise ToolError(f"sandbox: {comp.name} was not ready after {timeout:g}s:\n{_tail(comp.log)}")


def _etcd_cmd(binary: Path, folder: Path, port: int, peer: int) -> list[str]:
    peer_url = f"http://127.0.0.1:{peer}"
    client_url = f"http://127.0.0.1:{port}"
    return [
        str(binary),
        "--name=kubesmith",
        f"--data-dir={folder / 'etcd-data'}",
        f"--listen-client-urls={client_url}",
        f"--advertise-client-urls={client_url}",
        f"--listen-peer-urls={peer_url}",
        f"--initial-advertise-peer-urls={peer_url}",
        f"--initial-cluster=kubesmith={peer_url}",
        "--initial-cluster-state=new",
        "--unsafe-no-fsync",  # a throwaway store: durability buys nothing, fsync costs seconds
        "--log-level=warn",
    ]


def _apiserver_cmd(binary: Path, pki: sandbox_pki.Pki, etcd_port: int, port: int) -> list[str]:
    return [
        str(binary),
        f"--etcd-servers=http://127.0.0.1:{etcd_port}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={port}",
        f"--tls-cert-file={pki.server_cert}",
        f"--tls-private-key-file={pki.server_key}",
        f"--client-ca-file={pki.ca_cert}",
        "--anonymous-auth=false",
        "--authorization-mode=RBAC",
        f"--service-account-key-file={pki.sa_pub}",
        f"--service-account-signing-key-file={pki.sa_key}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-cluster-ip-range={SERVICE_RANGE}",
        # No controller manager runs, so nothing creates service accounts: admitting a Pod must
        # not depend on one. ValidatingAdmissionPolicy and PodSecurity stay on (the defaults).
        "--disable-admission-plugins=ServiceAccount",
        "--enable-priority-and-fairness=false",
        "--endpoint-reconciler-type=none",
        "--allow-privileged=true",
        "--profiling=false",
        "--v=0",
    ]


def write_kubeconfig(path: Path, server: str, pki: sandbox_pki.Pki, context: str) -> None:
    """An admin kubeconfig for ``server`` (certificate paths, not embedded copies)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": context,
                "cluster": {"server": server, "certificate-authority": str(pki.ca_cert)},
            }
        ],
        "users": [
            {
                "name": context,
                "user": {
                    "client-certificate": str(pki.admin_cert),
                    "client-key": str(pki.admin_key),
                },
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(config, fh, sort_keys=False)


def _etcd_healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as resp:
            return b'"true"' in resp.read()
    except (OSError, urllib.error.URLError):
        return False


def _apiserver_ready(rest: Rest) -> bool:
    try:
        return rest.get(READYZ).status == 200
    except OSError:
        return False


def start_all(
    folder: Path,
    *,
    etcd_bin: Path,
    apiserver_bin: Path,
    timeout: float,
    progress: Progress,
    context: str = "kubesmith-sandbox",
) -> Started:
    """Generate certificates, start etcd then kube-apiserver, wait until ready, write kubeconfig.

    Raises:
        ToolError: a component exited or did not become ready (its log tail is in the message).
    """
    pki = sandbox_pki.generate(folder / "pki")
    etcd = _start_etcd(folder, etcd_bin, timeout, progress)
    try:
        apiserver, server = _start_apiserver(
            folder,
            binary=apiserver_bin,
            pki=pki,
            etcd=etcd,
            timeout=timeout,
            progress=progress,
        )
    except BaseException:
        stop(etcd)
        raise
    write_kubeconfig(folder / "kubeconfig", server, pki, context)
    return Started(
        etcd=etcd,
        apiserver=apiserver,
        server=server,
        kubeconfig=str(folder / "kubeconfig"),
        started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


def _start_etcd(folder: Path, binary: Path, timeout: float, progress: Progress) -> Component:
    for _attempt in range(3):
        port = free_port()
        peer = free_port({port})
        progress(f"starting etcd on 127.0.0.1:{port}")
        comp, child = _spawn(
            "etcd", _etcd_cmd(binary, folder, port, peer), folder / "etcd.log", port
        )
        try:
            _wait(comp, child, functools.partial(_etcd_healthy, port), timeout)
            return comp
        except _PortTaken:
            progress(f"port {port} or {peer} was taken; trying others")
    raise ToolError("sandbox: etcd could not bind a free port after 3 attempts")


def _start_apiserver(
    folder: Path,
    *,
    binary: Path,
    pki: sandbox_pki.Pki,
    etcd: Component,
    timeout: float,
    progress: Progress,
) -> tuple[Component, str]:
    for _attempt in range(3):
        port = free_port({etcd.port})
        server = f"https://127.0.0.1:{port}"
        progress(f"starting kube-apiserver on {server}")
        cmd = _apiserver_cmd(binary, pki, etcd.port, port)
        comp, child = _spawn("kube-apiserver", cmd, folder / "kube-apiserver.log", port)
        rest = Rest(server, pki.ca_cert, pki.admin_cert, pki.admin_key, timeout=2.0)
        try:
            _wait(comp, child, functools.partial(_apiserver_ready, rest), timeout)
            return comp, server
        except _PortTaken:
            progress(f"port {port} was taken; trying another")
    raise ToolError("sandbox: kube-apiserver could not bind a free port after 3 attempts")
