"""Pod Security Standards cases per level and Kubernetes version, after PodSecurity admission's own.

PSA tests itself with fixture *generators*: for each check (and each version where the check
changed) a list of pods that must pass and pods that must fail, each made by tweaking the minimal
valid pod of the level and version. This module writes the same cases as data (the facts — which
field, which value, from which version — are PSA's; the code is ours), plus the version-boundary
cases PSA's list leaves implicit: a value a newer version allows fails at the version before, and a
check added in 1.34 does not apply at 1.33.

``cases(level, minor)`` gives every case that applies to a namespace enforcing ``level`` at
``v1.<minor>``, with the expected verdict.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Pod = dict[str, Any]
Tweak = Callable[[Pod], None]

MINORS = tuple(range(25, 38))
"""The Kubernetes minors the schemas (and so the PSS packs) cover."""

LEVELS = ("baseline", "restricted")


@dataclass(frozen=True)
class Case:
    """One pod and the verdict PSA gives it at one level and version."""

    name: str
    check: str
    """The PSA check the case exercises (PSA's check ID)."""
    allowed: bool
    pod: Pod = field(compare=False)


# ---------------------------------------------------------------------------------------------
# minimal valid pods and tweak helpers
# ---------------------------------------------------------------------------------------------


def _container(name: str) -> dict[str, Any]:
    return {"name": name, "image": "registry.k8s.io/pause"}


def baseline_pod() -> Pod:
    """PSA's minimal baseline pod: one init container and one container, nothing else."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "base"},
        "spec": {
            "initContainers": [_container("initcontainer1")],
            "containers": [_container("container1")],
        },
    }


def restricted_pod() -> Pod:
    """The minimal restricted pod from 1.22 on: non-root, RuntimeDefault seccomp, no escalation,
    every capability dropped."""
    pod = baseline_pod()
    pod["spec"]["securityContext"] = {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    for c in _containers(pod):
        c["securityContext"] = {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        }
    return pod


def windows_restricted_pod() -> Pod:
    """From 1.25, a Windows pod is restricted with only runAsNonRoot (the Linux-only controls
    do not apply to it)."""
    pod = baseline_pod()
    pod["spec"]["securityContext"] = {"runAsNonRoot": True}
    pod["spec"]["os"] = {"name": "windows"}
    return pod


def _containers(pod: Pod) -> list[dict[str, Any]]:
    return [*pod["spec"].get("initContainers", []), *pod["spec"].get("containers", [])]


def _c(pod: Pod) -> dict[str, Any]:
    return pod["spec"]["containers"][0]


def _init(pod: Pod) -> dict[str, Any]:
    return pod["spec"]["initContainers"][0]


def _psc(pod: Pod) -> dict[str, Any]:
    sc: dict[str, Any] = pod["spec"].setdefault("securityContext", {})
    return sc


def _sc(container: dict[str, Any]) -> dict[str, Any]:
    sc: dict[str, Any] = container.setdefault("securityContext", {})
    return sc


def _caps(container: dict[str, Any]) -> dict[str, Any]:
    caps: dict[str, Any] = _sc(container).setdefault("capabilities", {})
    return caps


def _set(path: str, value: Any) -> Tweak:
    """A tweak setting ``value`` (None: removing it) at a dotted path from the pod spec; ``c`` /
    ``init`` start at the first container's / init container's securityContext, ``pod`` at the
    pod's, ``meta`` at the metadata."""
    head, _, rest = path.partition(".")

    def tweak(pod: Pod) -> None:
        target = {
            "c": lambda: _sc(_c(pod)),
            "init": lambda: _sc(_init(pod)),
            "pod": lambda: _psc(pod),
            "meta": lambda: pod["metadata"],
        }
        node = target[head]() if head in target else pod["spec"]
        keys = rest.split(".") if head in target else path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = copy.deepcopy(value)

    return tweak


def _all(*tweaks: Tweak) -> Tweak:
    def tweak(pod: Pod) -> None:
        for t in tweaks:
            t(pod)

    return tweak


def _volumes(*volumes: dict[str, Any]) -> Tweak:
    return _set("volumes", list(volumes))


def _sysctls(*names: str) -> Tweak:
    return _set("pod.sysctls", [{"name": n, "value": "1"} for n in names])


# ---------------------------------------------------------------------------------------------
# the checks: level, first version, and per version the pass / fail tweaks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generator:
    """The cases of one check from one version on (until the next generator of the check)."""

    check: str
    level: str
    since: int
    passing: Callable[[str], list[Tweak]]
    """The pass tweaks, by the level being tested (some only make sense at one level)."""
    failing: list[Tweak]


SAFE_SYSCTLS = {
    0: ("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"),
    27: ("net.ipv4.ip_local_reserved_ports",),
    29: ("net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
         "net.ipv4.tcp_keepalive_probes"),
    32: ("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"),
    37: ("net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"),
}  # fmt: skip
"""The sysctls PSA's baseline allows, by the version that added them."""

DEFAULT_CAPS = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]  # fmt: skip

APPARMOR = "container.apparmor.security.beta.kubernetes.io/"

RESTRICTED_VOLUMES = [
    {"gcePersistentDisk": {"pdName": "test"}},
    {"awsElasticBlockStore": {"volumeID": "test"}},
    {"gitRepo": {"repository": "github.com/kubernetes/kubernetes"}},
    {"nfs": {"server": "test", "path": "/test"}},
    {"iscsi": {"targetPortal": "test", "iqn": "iqn.2001-04.com.example:storage.kube.sys1.xyz", "lun": 0}},
    {"glusterfs": {"path": "test", "endpoints": "test"}},
    {"rbd": {"monitors": ["test"], "image": "test"}},
    {"flexVolume": {"driver": "test"}},
    {"cinder": {"volumeID": "test"}},
    {"cephfs": {"monitors": ["test"]}},
    {"flocker": {"datasetName": "test"}},
    {"fc": {"wwids": ["test"]}},
    {"azureFile": {"secretName": "test", "shareName": "test"}},
    {"vsphereVolume": {"volumePath": "test"}},
    {"quobyte": {"registry": "localhost:1234", "volume": "test"}},
    {"azureDisk": {"diskName": "test", "diskURI": "https://test.blob.core.windows.net/test/test.vhd"}},
    {"portworxVolume": {"volumeID": "test", "fsType": "ext4"}},
    {"scaleIO": {"volumeName": "test", "gateway": "localhost", "system": "test", "secretRef": {"name": "s"}}},
    {"storageos": {"volumeName": "test"}},
    {"hostPath": {"path": "/dev/null"}},
]  # fmt: skip


def _none(_: str) -> list[Tweak]:
    return []


def _probe(handler: str, host: str | None) -> dict[str, Any]:
    action: dict[str, Any] = {"port": 8080}
    if host is not None:
        action["host"] = host
    return {handler: action}


def _generators() -> list[Generator]:
    gens: list[Generator] = []

    def add(check: str, level: str, since: int, passing: Callable[[str], list[Tweak]],
            failing: list[Tweak]) -> None:  # fmt: skip
        gens.append(Generator(check, level, since, passing, failing))

    # --- baseline ------------------------------------------------------------------------------
    add("appArmorProfile", "baseline", 0,
        lambda _: [_set("meta.annotations", {APPARMOR + "container1": "runtime/default",
                                                  APPARMOR + "initcontainer1": "localhost/foo"})],
        [_set("meta.annotations", {APPARMOR + "container1": "unconfined"}),
         _set("meta.annotations", {APPARMOR + "initcontainer1": "unconfined"})])  # fmt: skip
    add("capabilities_baseline", "baseline", 0,
        lambda level: [] if level == "restricted" else [
            _all(_set("c.capabilities.add", DEFAULT_CAPS), _set("init.capabilities.add", DEFAULT_CAPS))],
        [_set("c.capabilities.add", ["NET_RAW"]), _set("init.capabilities.add", ["NET_RAW"]),
         _set("c.capabilities.add", ["chown"]), _set("c.capabilities.add", ["CAP_CHOWN"])])  # fmt: skip
    add(
        "hostNamespaces",
        "baseline",
        0,
        _none,
        [_set("hostIPC", True), _set("hostNetwork", True), _set("hostPID", True)],
    )
    add("hostPathVolumes", "baseline", 0, _none,
        [_volumes({"name": "volume-emptydir", "emptyDir": {}},
                  {"name": "volume-hostpath", "hostPath": {"path": "/a"}}),
         _volumes({"name": "volume-hostpath-a", "hostPath": {"path": "/a"}},
                  {"name": "volume-hostpath-b", "hostPath": {"path": "/b"}})])  # fmt: skip
    add("hostPorts", "baseline", 0,
        lambda _: [_open_ports()],
        [_port("containers", 12345), _port("initContainers", 12346), _two_ports()])  # fmt: skip
    add("hostProbesAndHostLifecycle", "baseline", 34,
        lambda _: [lambda p: None, _probe_on("livenessProbe", "httpGet", None),
                   _probe_on("readinessProbe", "tcpSocket", None)],
        _probe_failures())  # fmt: skip
    add("privileged", "baseline", 0,
        lambda _: [_all(_set("c.privileged", False), _set("init.privileged", False))],
        [_all(_set("c.privileged", True), _set("c.allowPrivilegeEscalation", None)),
         _all(_set("init.privileged", True), _set("init.allowPrivilegeEscalation", None))])  # fmt: skip
    add("procMount", "baseline", 0,
        lambda _: [_all(_set("c.procMount", "Default"), _set("init.procMount", "Default"),
                        _set("hostUsers", False))],
        [_all(_set("c.procMount", "Unmasked"), _set("hostUsers", False)),
         _all(_set("init.procMount", "Unmasked"), _set("hostUsers", False))])  # fmt: skip
    add("procMount", "baseline", 35,
        lambda level: [_all(_set("c.procMount", "Default"), _set("init.procMount", "Default"),
                            _set("hostUsers", False))] + ([] if level == "restricted" else [
            _all(_set("c.procMount", "Unmasked"), _set("init.procMount", "Unmasked"),
                 _set("hostUsers", False))]),
        [_all(_set("c.procMount", "Unmasked"), _set("hostUsers", True)),
         _all(_set("init.procMount", "Unmasked"), _set("hostUsers", True))])  # fmt: skip
    add("seLinuxOptions", "baseline", 0,
        lambda _: [_all(_set("pod.seLinuxOptions", None), _set("init.seLinuxOptions", {})),
                   _all(_set("pod.seLinuxOptions", {"type": "container_t"}),
                        _set("c.seLinuxOptions", {"type": "container_init_t", "level": "somevalue"}),
                        _set("init.seLinuxOptions", {"type": "container_kvm_t"}))],
        [_set("pod.seLinuxOptions", {"type": "somevalue"}), _set("c.seLinuxOptions", {"type": "somevalue"}),
         _set("init.seLinuxOptions", {"type": "somevalue"}), _set("pod.seLinuxOptions", {"user": "somevalue"}),
         _set("pod.seLinuxOptions", {"role": "somevalue"})])  # fmt: skip
    add("seccompProfile_baseline", "baseline", 19,
        lambda level: [] if level == "restricted" else [
            _all(_set("pod.seccompProfile", {"type": "RuntimeDefault"}),
                 _set("c.seccompProfile", {"type": "RuntimeDefault"}))],
        [_set("pod.seccompProfile", {"type": "Unconfined"}), _set("c.seccompProfile", {"type": "Unconfined"}),
         _set("init.seccompProfile", {"type": "Unconfined"})])  # fmt: skip
    allowed: list[str] = []
    for since, names in SAFE_SYSCTLS.items():
        allowed += names
        add("sysctls", "baseline", since,
            lambda _, names=tuple(allowed): [_set("pod.sysctls", None), _sysctls(*names)],
            [_sysctls("othersysctl")])  # fmt: skip
    add("windowsHostProcess", "baseline", 0, _none,
        [_all(_set("hostNetwork", True), _set("pod.windowsOptions", {"hostProcess": True})),
         _all(_set("hostNetwork", True), _set("c.windowsOptions", {"hostProcess": True}),
              _set("init.windowsOptions", {"hostProcess": True}))])  # fmt: skip

    # --- restricted ----------------------------------------------------------------------------
    add("allowPrivilegeEscalation", "restricted", 8, _none,
        [_set("c.allowPrivilegeEscalation", True), _set("init.allowPrivilegeEscalation", True),
         _set("c.allowPrivilegeEscalation", None), lambda p: _c(p).pop("securityContext", None)])  # fmt: skip
    add("capabilities_restricted", "restricted", 22,
        lambda _: [_all(_set("c.capabilities", {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}),
                        _set("init.capabilities", {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}))],
        [_set("c.capabilities.drop", []), _set("init.capabilities.drop", []),
         _all(_set("c.capabilities.drop", _ALL_BUT_ALL), _set("init.capabilities.drop", _ALL_BUT_ALL)),
         _all(_set("c.capabilities", {"drop": ["ALL"], "add": DEFAULT_CAPS}),
              _set("init.capabilities", {"drop": ["ALL"], "add": DEFAULT_CAPS}))])  # fmt: skip
    add("procMount_restricted", "restricted", 35,
        lambda _: [_all(_set("c.procMount", "Default"), _set("init.procMount", "Default"),
                        _set("hostUsers", False))],
        [_all(_set("c.procMount", "Unmasked"), _set("hostUsers", False)),
         _all(_set("init.procMount", "Unmasked"), _set("hostUsers", False))])  # fmt: skip
    add("restrictedVolumes", "restricted", 0,
        lambda _: [_volumes({"name": "volume0"}, {"name": "volume1", "emptyDir": {}},
                            {"name": "volume2", "secret": {"secretName": "test"}},
                            {"name": "volume3", "persistentVolumeClaim": {"claimName": "test"}},
                            {"name": "volume4", "downwardAPI": {"items": [
                                {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
                            {"name": "volume5", "configMap": {"name": "test"}},
                            {"name": "volume6", "projected": {"sources": []}})],
        [_volumes({"name": "volume1", **v}) for v in RESTRICTED_VOLUMES])  # fmt: skip
    add("runAsNonRoot", "restricted", 0,
        lambda _: [_all(_set("pod.runAsNonRoot", True), _set("c.runAsNonRoot", None), _set("init.runAsNonRoot", None)),
                   _all(_set("pod.runAsNonRoot", None), _set("c.runAsNonRoot", True), _set("init.runAsNonRoot", True))],
        [_all(_set("pod.runAsNonRoot", None), _set("c.runAsNonRoot", None), _set("init.runAsNonRoot", None)),
         _set("pod.runAsNonRoot", False), _set("c.runAsNonRoot", False), _set("init.runAsNonRoot", False),
         # kubesmith#16: the pod says false, every container says true — still a violation
         _all(_set("pod.runAsNonRoot", False), _set("c.runAsNonRoot", True), _set("init.runAsNonRoot", True))])  # fmt: skip
    add("runAsUser", "restricted", 23,
        lambda _: [_all(_set("pod.runAsUser", 1000), _set("c.runAsUser", 1000), _set("init.runAsUser", 1000))],
        [_set("pod.runAsUser", 0), _set("c.runAsUser", 0), _set("init.runAsUser", 0)])  # fmt: skip
    add("seccompProfile_restricted", "restricted", 19,
        lambda _: [_set("pod.seccompProfile", {"type": "RuntimeDefault"}),
                   _set("pod.seccompProfile", {"type": "Localhost", "localhostProfile": "testing"}),
                   _all(_set("pod.seccompProfile", None), _set("c.seccompProfile", {"type": "RuntimeDefault"}),
                        _set("init.seccompProfile", {"type": "Localhost", "localhostProfile": "testing"}))],
        [_set("pod.seccompProfile", None), _set("pod.seccompProfile", {"type": "Unconfined"}),
         _all(_set("pod.seccompProfile", None), _set("c.seccompProfile", {"type": "RuntimeDefault"})),
         _all(_set("pod.seccompProfile", None), _set("init.seccompProfile", {"type": "RuntimeDefault"})),
         _all(_set("pod.seccompProfile", None), _set("c.seccompProfile", {"type": "RuntimeDefault"}),
              _set("init.seccompProfile", {"type": "Unconfined"}))])  # fmt: skip
    return gens


_ALL_BUT_ALL = ["SYS_TIME", "SYS_MODULE", "SYS_RAWIO", "SYS_PACCT", "SYS_ADMIN", "SYS_NICE",
                "SYS_RESOURCE", "SYS_TTY_CONFIG", "MKNOD", "AUDIT_WRITE", "AUDIT_CONTROL",
                "MAC_OVERRIDE", "MAC_ADMIN", "NET_ADMIN", "SYSLOG", "CHOWN", "NET_RAW",
                "DAC_OVERRIDE", "FOWNER", "DAC_READ_SEARCH", "FSETID", "KILL", "SETGID", "SETUID",
                "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "IPC_LOCK", "IPC_OWNER",
                "SYS_CHROOT", "SYS_PTRACE", "SYS_BOOT", "LEASE", "SETFCAP", "WAKE_ALARM",
                "BLOCK_SUSPEND"]  # fmt: skip


def _port(field_name: str, port: int) -> Tweak:
    def tweak(pod: Pod) -> None:
        pod["spec"][field_name][0]["ports"] = [{"containerPort": port, "hostPort": port}]

    return tweak


def _open_ports() -> Tweak:
    def tweak(pod: Pod) -> None:
        _c(pod)["ports"] = [{"containerPort": 12345}]
        _init(pod)["ports"] = [{"containerPort": 12346}]

    return tweak


def _two_ports() -> Tweak:
    def tweak(pod: Pod) -> None:
        _c(pod)["ports"] = [{"containerPort": 12345, "hostPort": 12345}, {"containerPort": 12347}]
        _init(pod)["ports"] = [
            {"containerPort": 12346, "hostPort": 12346},
            {"containerPort": 12348},
        ]

    return tweak


def _probe_on(probe: str, handler: str, host: str | None, init: bool = False) -> Tweak:
    def tweak(pod: Pod) -> None:
        container = _init(pod) if init else _c(pod)
        container[probe] = _probe(handler, host)
        if init:
            container["restartPolicy"] = "Always"  # a sidecar: init containers take probes then

    return tweak


def _probe_failures() -> list[Tweak]:
    def post_start(pod: Pod) -> None:
        _c(pod)["lifecycle"] = {"postStart": _probe("httpGet", "bad.host")}

    return [
        _probe_on("livenessProbe", "httpGet", "bad.host"),
        _probe_on("readinessProbe", "tcpSocket", "8.8.8.8", init=True),
        post_start,
        _probe_on("livenessProbe", "httpGet", "127.0.0.1"),
        _probe_on("readinessProbe", "tcpSocket", "::1"),
    ]


GENERATORS = _generators()

# ---------------------------------------------------------------------------------------------
# cases per level and version
# ---------------------------------------------------------------------------------------------


def minimal_pod(level: str) -> Pod:
    """The minimal valid pod of ``level`` for every version from 1.25."""
    return restricted_pod() if level == "restricted" else baseline_pod()


def _applies(gen_level: str, level: str) -> bool:
    return gen_level == level or level == "restricted"


def _generator(check: str, level: str, minor: int) -> Generator | None:
    """The newest generator of ``check`` at or below ``minor`` (PSA walks versions down)."""
    found = [
        g for g in GENERATORS if g.check == check and g.since <= minor and _applies(g.level, level)
    ]
    return max(found, key=lambda g: g.since) if found else None


def _made(base: Pod, tweak: Tweak, name: str) -> Pod:
    pod = copy.deepcopy(base)
    tweak(pod)
    pod["metadata"]["name"] = name
    return pod


def _fixture_cases(level: str, minor: int) -> Iterator[Case]:
    base = minimal_pod(level)
    yield Case("base", "base", True, _made(base, lambda p: None, "base"))
    if level == "restricted":
        linux = _made(base, _set("os", {"name": "linux"}), "base-linux")
        yield Case("base-linux", "base", True, linux)
        yield Case(
            "base-windows",
            "base",
            True,
            _made(windows_restricted_pod(), lambda p: None, "base-windows"),
        )
    for check in sorted({g.check for g in GENERATORS}):
        gen = _generator(check, level, minor)
        if gen is None:
            continue
        for i, tweak in enumerate(gen.passing(level)):
            name = f"{check.lower().replace('_', '-')}-pass{i}"
            yield Case(name, check, True, _made(base, tweak, name))
        for i, tweak in enumerate(gen.failing):
            name = f"{check.lower().replace('_', '-')}-fail{i}"
            yield Case(name, check, False, _made(base, tweak, name))


def _boundary_cases(level: str, minor: int) -> Iterator[Case]:
    """What changes at a version boundary, stated per version (facts from PSA's checks)."""
    base = minimal_pod(level)

    def case(name: str, check: str, allowed: bool, tweak: Tweak, pod: Pod | None = None) -> Case:
        return Case(name, check, allowed, _made(pod or base, tweak, name))

    # each sysctl is allowed from the version that added it, forbidden before
    for since, names in SAFE_SYSCTLS.items():
        for name in names:
            slug = name.replace(".", "-").replace("_", "-")
            yield case(f"sysctl-{slug}", "sysctls", minor >= since, _sysctls(name))
    yield case("selinux-container-engine-t", "seLinuxOptions", minor >= 31,
               _set("c.seLinuxOptions", {"type": "container_engine_t"}))  # fmt: skip
    for i, tweak in enumerate(_probe_failures()):
        yield case(f"probe-host-{i}", "hostProbesAndHostLifecycle", minor < 34, tweak)
    user_ns = _set("hostUsers", False)
    # user namespaces: baseline tolerates an unmasked /proc from 1.35; restricted never does
    yield case("procmount-unmasked-userns", "procMount", level == "baseline" and minor >= 35,
               _all(_set("c.procMount", "Unmasked"), user_ns))  # fmt: skip
    if level == "restricted":
        # ... and restricted lets a user-namespace pod run as root (uid 0 in its namespace) from 1.35
        yield case("runasnonroot-false-userns", "runAsNonRoot", minor >= 35,
                   _all(_set("pod.runAsNonRoot", False), user_ns))  # fmt: skip
        yield case(
            "runasuser-0-userns", "runAsUser", minor >= 35, _all(_set("pod.runAsUser", 0), user_ns)
        )
        # restricted replaces baseline's capabilities and seccomp checks, and skips Windows pods
        windows = windows_restricted_pod()
        yield case("windows-add-sys-admin", "capabilities_restricted", True,
                   _set("c.capabilities", {"add": ["SYS_ADMIN"]}), windows)  # fmt: skip
        yield case("windows-seccomp-unconfined", "seccompProfile_restricted", True,
                   _set("pod.seccompProfile", {"type": "Unconfined"}), windows)  # fmt: skip
        yield case("windows-privileged", "privileged", False, _set("c.privileged", True), windows)
    else:
        windows = _made(baseline_pod(), _set("os", {"name": "windows"}), "windows")
        yield case("windows-add-sys-admin", "capabilities_baseline", False,
                   _set("c.capabilities", {"add": ["SYS_ADMIN"]}), windows)  # fmt: skip
        yield case("windows-seccomp-unconfined", "seccompProfile_baseline", False,
                   _set("pod.seccompProfile", {"type": "Unconfined"}), windows)  # fmt: skip


def cases(level: str, minor: int) -> list[Case]:
    """Every case for a namespace enforcing ``level`` at Kubernetes ``1.<minor>``."""
    return [*_fixture_cases(level, minor), *_boundary_cases(level, minor)]
