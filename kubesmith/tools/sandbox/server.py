"""A throwaway Kubernetes API server on loopback: etcd + kube-apiserver, no nodes, no controllers.

Users without a cluster still deserve the API server's own validation (selectors that do not match
templates, immutable fields, name formats, admission policies). The sandbox starts the pinned
binaries from the tool cache on free ``127.0.0.1`` ports with freshly generated certificates,
waits for ``/readyz``, writes a kubeconfig and installs the repository's CRDs. Its state (pids,
ports, paths) is a JSON file in the sandbox folder, so ``kubesmith sandbox status`` and ``down``
work from another process, and stale state left by a crash is detected and cleaned.

Library use::

    with Sandbox(Path("/tmp/sb"), crds=crds) as sb:
        DryRunValidator(sandbox=sb).validate(documents)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kubesmith.errors import ToolError
from kubesmith.tools.binaries.cache import Progress, ToolCache, default_cache, default_cache_dir
from kubesmith.tools.sandbox import processes as proc
from kubesmith.tools.sandbox.processes import Component, Started
from kubesmith.tools.sandbox.rest import Rest

STATE_FILE = "state.json"
CONTEXT = "kubesmith-sandbox"
START_ATTEMPTS = 3
"""Retries when a port chosen as free was taken before the component bound it."""


def default_sandbox_dir() -> Path:
    """Where ``kubesmith sandbox up`` keeps its state unless ``--dir`` says otherwise."""
    return default_cache_dir() / "sandbox"


@dataclass(frozen=True)
class SandboxStatus:
    """What ``kubesmith sandbox status`` reports."""

    directory: str
    running: bool
    """True when both processes are alive and the API server answers ``/readyz``."""
    server: str | None = None
    kubeconfig: str | None = None
    etcd: dict[str, Any] | None = None
    apiserver: dict[str, Any] | None = None
    problems: tuple[str, ...] = ()
    started_at: str | None = None


def _dump(state: Started) -> dict[str, Any]:
    return asdict(state)


def _load(data: Mapping[str, Any]) -> Started:
    return Started(
        etcd=Component(**data["etcd"]),
        apiserver=Component(**data["apiserver"]),
        server=str(data["server"]),
        kubeconfig=str(data["kubeconfig"]),
        started_at=str(data["started_at"]),
    )


class Sandbox:
    """A local API server for server-side dry-run; a context manager that stops what it started.

    Args:
        directory: the sandbox's folder (state, certificates, etcd data, logs, kubeconfig).
        crds: CustomResourceDefinition objects to install once the server is ready.
        tools: where the etcd and kube-apiserver binaries come from (default: the tool cache).
        progress: called with human-readable progress lines (e.g. printing to stderr).
        startup_timeout: seconds to wait for each component to become ready.
        build: build missing binaries into the tool cache (slow the first time) instead of failing.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        crds: Sequence[Mapping[str, Any]] = (),
        tools: ToolCache | None = None,
        progress: Progress | None = None,
        startup_timeout: float = 60.0,
        build: bool = False,
    ) -> None:
        self.directory = (directory or default_sandbox_dir()).resolve()
        self.crds = list(crds)
        self.tools = tools or default_cache()
        self.progress: Progress = progress or (lambda _m: None)
        self.startup_timeout = startup_timeout
        self.build = build
        self._state: Started | None = None
        self._owned = False

    # ------------------------------------------------------------------ public API

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (exists while the sandbox runs)."""
        return self.directory / "kubeconfig"

    @property
    def server(self) -> str:
        """The API server's URL.

        Raises:
            ToolError: when the sandbox is not running.
        """
        return self._require().server

    @property
    def ca_cert(self) -> Path:
        """CA bundle that signed the serving certificate."""
        return self.directory / "pki" / "ca.crt"

    @property
    def admin_cert(self) -> tuple[Path, Path]:
        """The admin client certificate and key (group ``system:masters``)."""
        return self.directory / "pki" / "admin.crt", self.directory / "pki" / "admin.key"

    def rest(self, timeout: float = 5.0) -> Rest:
        """A small JSON client authenticated as the sandbox admin."""
        cert, key = self.admin_cert
        return Rest(self.server, self.ca_cert, cert, key, timeout)

    def up(self) -> SandboxStatus:
        """Start etcd and kube-apiserver, or reuse the ones already running in this folder.

        Raises:
            ToolError: a binary is missing, a component failed to start (its log tail is in the
                message) or did not become ready in time.
        """
        with self._lock():
            current = self._read_state()
            if current is not None and not self._status(current).problems:
                self._state = current
                self.progress(f"sandbox already running at {current.server}")
                self.install_crds(self.crds)
                return self.status()
            if current is not None or self._leftovers():
                self.progress("cleaning stale sandbox state")
                self._stop(current)
            etcd_bin = self._binary("etcd")
            apiserver_bin = self._binary("kube-apiserver")
            started = time.monotonic()
            self.directory.mkdir(parents=True, exist_ok=True)
            self._state = proc.start_all(
                self.directory,
                etcd_bin=etcd_bin,
                apiserver_bin=apiserver_bin,
                timeout=self.startup_timeout,
                progress=self.progress,
            )
            self._owned = True
            (self.directory / STATE_FILE).write_text(json.dumps(_dump(self._state), indent=2))
            self.progress(
                f"sandbox ready at {self._state.server} in {time.monotonic() - started:.1f}s"
            )
        self.install_crds(self.crds)
        return self.status()

    def down(self) -> None:
        """Stop both processes and remove the sandbox's state, certificates and data."""
        with self._lock():
            self._stop(self._read_state())
        self._state = None
        self._owned = False

    def status(self) -> SandboxStatus:
        """Whether the sandbox in this folder runs and is healthy; problems say what is wrong."""
        state = self._read_state()
        if state is None:
            problems = ("leftover files from a sandbox that is gone",) if self._leftovers() else ()
            return SandboxStatus(str(self.directory), running=False, problems=problems)
        return self._status(state)

    def install_crds(self, crds: Sequence[Mapping[str, Any]]) -> int:
        """Create (or keep) each CRD and wait until the API server serves it; return how many."""
        if not crds:
            return 0
        rest = self.rest()
        path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        names = []
        for crd in crds:
            resp = rest.post(path, crd)
            if resp.status not in (200, 201, 409):
                name = (crd.get("metadata") or {}).get("name", "?")
                raise ToolError(f"sandbox: cannot install CRD {name}: {resp.text[:500]}")
            names.append(str((crd.get("metadata") or {}).get("name", "")))
        deadline = time.monotonic() + 30
        for name, crd in zip(names, crds, strict=True):
            # Established means the API is registered; its storage may still be initialising
            # (429), so also wait until listing the custom resources answers.
            while not _established(rest.get(f"{path}/{name}").body) or not _serving(rest, crd):
                if time.monotonic() > deadline:
                    raise ToolError(f"sandbox: CRD {name} was not established within 30s")
                time.sleep(0.1)
        return len(names)

    def ensure_namespace(self, name: str) -> None:
        """Create namespace ``name`` in the sandbox unless it exists."""
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        resp = self.rest().post("/api/v1/namespaces", body)
        if resp.status not in (200, 201, 409):
            raise ToolError(f"sandbox: cannot create namespace {name}: {resp.text[:300]}")

    def __enter__(self) -> Sandbox:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._owned:
            self.down()

    # ------------------------------------------------------------------ internals

    def _require(self) -> Started:
        if self._state is None:
            self._state = self._read_state()
        if self._state is None:
            raise ToolError(
                f"no sandbox is running in {self.directory}; run `kubesmith sandbox up`"
            )
        return self._state

    def _binary(self, name: str) -> Path:
        if self.build:
            return self.tools.ensure(name, self.progress)
        return self.tools.ensure(name, build=False)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _read_state(self) -> Started | None:
        path = self.directory / STATE_FILE
        try:
            return _load(json.loads(path.read_text()))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return None  # a corrupt state file is stale state; _leftovers() sees the folders

    def _leftovers(self) -> bool:
        return any((self.directory / n).exists() for n in (*proc.OWNED, STATE_FILE))

    def _stop(self, state: Started | None) -> None:
        if state is not None:
            for comp in (state.apiserver, state.etcd):
                proc.stop(comp)
        for name in (*proc.OWNED, STATE_FILE):
            target = self.directory / name
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)

    def _status(self, state: Started) -> SandboxStatus:
        problems: list[str] = []
        etcd_alive = proc.alive(state.etcd)
        api_alive = proc.alive(state.apiserver)
        if not etcd_alive:
            problems.append(
                f"etcd (pid {state.etcd.pid}) is not running: the API server cannot read or "
                "write; restart with `kubesmith sandbox down && kubesmith sandbox up`"
            )
        if not api_alive:
            problems.append(f"kube-apiserver (pid {state.apiserver.pid}) is not running")
        ready = False
        if api_alive and etcd_alive:  # with etcd gone, /readyz would only hang for seconds
            cert, key = self.admin_cert
            try:
                rest = Rest(state.server, self.ca_cert, cert, key, timeout=5.0)
                resp = rest.get(proc.READYZ + "&verbose")
                ready = resp.status == 200
                if not ready:
                    failing = [ln for ln in resp.text.splitlines() if "failed" in ln]
                    problems.append("API server not ready: " + ("; ".join(failing) or resp.text))
            except OSError as e:
                problems.append(f"API server at {state.server} does not answer: {e}")
        return SandboxStatus(
            directory=str(self.directory),
            running=etcd_alive and api_alive and ready,
            server=state.server,
            kubeconfig=state.kubeconfig,
            etcd={**asdict(state.etcd), "alive": etcd_alive},
            apiserver={**asdict(state.apiserver), "alive": api_alive, "ready": ready},
            problems=tuple(problems),
            started_at=state.started_at,
        )


def _established(crd: Any) -> bool:
    conditions = ((crd or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def _serving(rest: Rest, crd: Mapping[str, Any]) -> bool:
    spec = crd.get("spec") or {}
    served = [v["name"] for v in spec.get("versions") or [] if v.get("served", True)]
    if not served:
        return True
    plural = (spec.get("names") or {}).get("plural", "")
    return rest.get(f"/apis/{spec.get('group')}/{served[0]}/{plural}?limit=1").status == 200
