"""Builders for changes inside a workload's pod template: replicas, images, resources, env,
pull policy, probes and securityContext."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubesmith.agent.offline.changes import FieldChange, Plan, get_path
from kubesmith.agent.offline.resolve import containers_of, describe, pick_containers
from kubesmith.agent.offline.specs import (
    EnvVar,
    Image,
    Probe,
    PullPolicy,
    Resources,
    Scale,
    Security,
)
from kubesmith.errors import ReferenceError_, UsageError
from kubesmith.kinds import pod_spec_path

if TYPE_CHECKING:
    from kubesmith.workspace import Document, Workspace

View = Callable[["Document"], dict[str, Any]]
"""The object as the environment being edited sees it (base + overlay patch)."""


def container_path(doc: Document, name: str) -> str:
    """Field path of container ``name`` in ``doc``."""
    return f"{pod_spec_path(doc.ref.kind)}.containers[name={name}]"


def _container(obj: dict[str, Any], doc: Document, name: str) -> dict[str, Any]:
    return next((c for c in containers_of(obj, doc.ref.kind) if c.get("name") == name), {})


def build_scale(spec: Scale, doc: Document, view: View) -> Plan:
    """Replicas: set, add or multiply (at least 0; a decrease never goes below 1 by itself)."""
    current = view(doc).get("spec", {}).get("replicas", 1)
    current = current if isinstance(current, int) else 1
    if spec.mode == "set":
        new = int(spec.amount)
    elif spec.mode == "add":
        new = current + int(spec.amount)
    elif spec.amount >= 1:
        new = math.ceil(current * spec.amount)
    else:
        new = max(1, math.floor(current * spec.amount))
    if new < 0:
        raise UsageError(
            f"{describe(doc)} has {current} replicas; it cannot lose {-int(spec.amount)}"
        )
    note = (
        f"Set {doc.ref} replicas from {current} to {new}."
        if new != current
        else f"{doc.ref} already runs {new} replicas."
    )
    asked = (
        [f"{doc.ref} runs {current} replicas, not {spec.expected} as the request says; "
         f"this sets {new} anyway"]
        if spec.expected is not None and spec.expected != current
        else []
    )  # fmt: skip
    return Plan([FieldChange(doc, "spec.replicas", new, note=note)], asked)


def split_image(image: str) -> tuple[str, str]:
    """``registry:5000/app:1.2`` → (``registry:5000/app``, ``:1.2``); digests keep their ``@``."""
    if "@" in image:
        repo, _, digest = image.partition("@")
        return repo.rsplit(":", 1)[0] if ":" in repo.rsplit("/", 1)[-1] else repo, "@" + digest
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repo, _, tag = image.rpartition(":")
        return repo, ":" + tag
    return image, ""


def build_image(spec: Image, doc: Document, container: str | None, view: View) -> Plan:
    """A new image, or a new tag (or digest) on the current image."""
    plan = Plan()
    obj = view(doc)
    for name in pick_containers(doc, container):
        old = str(_container(obj, doc, name).get("image", ""))
        if spec.image:
            new = spec.image
        else:
            tag = spec.tag or ""
            suffix = "@" + tag if tag.startswith("sha256:") else ":" + tag
            new = split_image(old)[0] + suffix
        where = f" (container {name})" if container else ""
        plan.changes.append(
            FieldChange(
                doc,
                f"{container_path(doc, name)}.image",
                new,
                note=f"Set the image of {doc.ref}{where} from {old or 'none'} to {new}.",
                image=(old, new),
            )
        )
    return plan


def build_resources(spec: Resources, doc: Document, container: str | None, view: View) -> Plan:
    """CPU/memory requests and limits; removing one that is absent is an error, not a no-op."""
    plan = Plan()
    obj = view(doc)
    for name in pick_containers(doc, container):
        base = f"{container_path(doc, name)}.resources"
        for section, resource, value in spec.items:
            path = f"{base}.{section}" + (f".{resource}" if resource else "")
            found, old = get_path(obj, path)
            what = f"{resource} {section[:-1]}" if resource else section
            if value is None:
                if not found:
                    raise ReferenceError_(
                        f"{describe(doc)} (container {name}) sets no {what}; nothing to remove",
                        reference=str(doc.ref),
                    )
                shown = (
                    ", ".join(f"{k} {v}" for k, v in old.items()) if isinstance(old, dict) else old
                )
                note = f"Remove the {what} ({shown}) of {doc.ref} container {name}."
                plan.changes.append(FieldChange(doc, path, remove=True, note=note))
            else:
                before = f" from {old}" if found else ""
                note = f"Set the {what} of {doc.ref} container {name}{before} to {value}."
                plan.changes.append(FieldChange(doc, path, value, note=note))
    return plan


def build_env(
    spec: EnvVar, doc: Document, container: str | None, view: View, ws: Workspace
) -> Plan:
    """Env vars from literals, ConfigMap keys or Secret keys; or their removal."""
    plan = Plan()
    obj = view(doc)
    for name in pick_containers(doc, container):
        path = f"{container_path(doc, name)}.env[name={spec.name}]"
        found, current = get_path(obj, path)
        current = current if isinstance(current, dict) else {}
        target = f"{doc.ref} container {name}"
        if spec.source == "remove":
            if not found:
                names = [str(e.get("name")) for e in _container(obj, doc, name).get("env") or []]
                raise ReferenceError_(
                    f"{target} has no env var {spec.name!r}"
                    + (f" (it has {', '.join(names)})" if names else ""),
                    reference=spec.name,
                    candidates=names,
                )
            plan.changes.append(
                FieldChange(
                    doc, path, remove=True, note=f"Remove env var {spec.name} from {target}."
                )
            )
            continue
        if spec.source == "value":
            if "valueFrom" in current:
                plan.changes.append(FieldChange(doc, f"{path}.valueFrom", remove=True))
            note = f"Set env var {spec.name}={spec.value} on {target}."
            plan.changes.append(FieldChange(doc, f"{path}.value", spec.value, note=note))
            continue
        ref_key = "configMapKeyRef" if spec.source == "configMap" else "secretKeyRef"
        kind = "ConfigMap" if spec.source == "configMap" else "Secret"
        if "value" in current:
            plan.changes.append(FieldChange(doc, f"{path}.value", remove=True))
        value = {ref_key: {"name": spec.source_name, "key": spec.key}}
        note = f"Set env var {spec.name} on {target} from {kind} {spec.source_name} key {spec.key}."
        plan.changes.append(FieldChange(doc, f"{path}.valueFrom", value, note=note))
        plan.questions.extend(_check_source(ws, kind, spec))
    return plan


def _check_source(ws: Workspace, kind: str, spec: EnvVar) -> list[str]:
    found = ws.find(kind=kind, name=str(spec.source_name))
    if not found:
        return [
            f"{kind} {spec.source_name} is not in this repository; is it created elsewhere "
            f"(e.g. by a secrets operator)?"
        ]
    keys = {
        str(k)
        for d in found
        for sect in ("data", "stringData", "binaryData")
        for k in (d.obj.get(sect) or {})
    }
    if spec.key not in keys:
        return [
            f"{kind} {spec.source_name} has no key {spec.key!r} "
            f"(it has {', '.join(sorted(keys)) or 'none'}); is that intended?"
        ]
    return []


def build_pull_policy(spec: PullPolicy, doc: Document, container: str | None) -> Plan:
    """imagePullPolicy on the chosen container."""
    plan = Plan()
    for name in pick_containers(doc, container):
        note = f"Set imagePullPolicy of {doc.ref} container {name} to {spec.policy}."
        path = f"{container_path(doc, name)}.imagePullPolicy"
        plan.changes.append(FieldChange(doc, path, spec.policy, note=note))
    return plan


def build_probe(spec: Probe, doc: Document, container: str | None, view: View) -> Plan:
    """Readiness/liveness/startup probes; without a path or handler a TCP check, with a question."""
    plan = Plan()
    obj = view(doc)
    for name in pick_containers(doc, container):
        c = _container(obj, doc, name)
        base = container_path(doc, name)
        if spec.remove:
            present = [k for k in spec.kinds if f"{k}Probe" in c]
            if not present:
                raise ReferenceError_(
                    f"{doc.ref} container {name} has no {' or '.join(spec.kinds)} probe",
                    reference=str(doc.ref),
                )
            for k in present:
                note = f"Remove the {k} probe of {doc.ref} container {name}."
                plan.changes.append(FieldChange(doc, f"{base}.{k}Probe", remove=True, note=note))
            continue
        port = _probe_port(spec, c, doc, name)
        handler = spec.handler or "tcp"
        probe: dict[str, Any]
        if handler == "http":
            probe = {"httpGet": {"path": spec.path or "/", "port": port}}
            how = f"HTTP GET {spec.path or '/'} on port {port}"
        elif handler == "grpc":
            probe = {"grpc": {"port": _port_number(port, c, doc, name)}}
            how = f"gRPC health check on port {probe['grpc']['port']}"
        else:
            probe = {"tcpSocket": {"port": port}}
            how = f"TCP check on port {port}"
        if spec.delay is not None:
            probe["initialDelaySeconds"] = spec.delay
        if spec.period is not None:
            probe["periodSeconds"] = spec.period
        if spec.handler is None:
            plan.questions.append(
                f"No health endpoint was given for {doc.ref.name}, so the probe is a {how}; "
                f"would an HTTP path (e.g. '/healthz') be better?"
            )
        for k in spec.kinds:
            verb = "Replace" if f"{k}Probe" in c else "Add"
            note = f"{verb} the {k} probe of {doc.ref} container {name}: {how}."
            plan.changes.append(FieldChange(doc, f"{base}.{k}Probe", probe, note=note))
    return plan


def _probe_port(spec: Probe, c: dict[str, Any], doc: Document, name: str) -> int | str:
    if spec.port is not None:
        return spec.port
    ports = [p for p in c.get("ports") or [] if isinstance(p, dict)]
    if not ports:
        raise UsageError(
            f"{doc.ref} container {name} declares no ports; say which port to probe, "
            f"e.g. 'port 8080'"
        )
    first = ports[0]
    return str(first["name"]) if first.get("name") else int(first.get("containerPort", 0))


def _port_number(port: int | str, c: dict[str, Any], doc: Document, name: str) -> int:
    if isinstance(port, int):
        return port
    for p in c.get("ports") or []:
        if isinstance(p, dict) and p.get("name") == port:
            return int(p["containerPort"])
    raise UsageError(f"{doc.ref} container {name} has no port named {port!r}")


def build_security(spec: Security, doc: Document, container: str | None, view: View) -> Plan:
    """securityContext hardening; settings already in place are left alone."""
    plan = Plan()
    obj = view(doc)
    pod = pod_spec_path(doc.ref.kind)
    wanted: list[tuple[str, Any, str]] = []
    if "runAsNonRoot" in spec.settings:
        wanted.append((f"{pod}.securityContext.runAsNonRoot", True, "runAsNonRoot: true"))
    if "seccomp" in spec.settings:
        wanted.append(
            (
                f"{pod}.securityContext.seccompProfile.type",
                "RuntimeDefault",
                "the RuntimeDefault seccomp profile",
            )
        )
    for name in pick_containers(doc, container, many_ok=True):
        sc = f"{container_path(doc, name)}.securityContext"
        if "allowPrivilegeEscalation" in spec.settings:
            wanted.append(
                (
                    f"{sc}.allowPrivilegeEscalation",
                    False,
                    f"allowPrivilegeEscalation: false on {name}",
                )
            )
        if "readOnlyRootFilesystem" in spec.settings:
            wanted.append(
                (f"{sc}.readOnlyRootFilesystem", True, f"a read-only root filesystem on {name}")
            )
        if "dropCapabilities" in spec.settings:
            wanted.append(
                (f"{sc}.capabilities.drop", ["ALL"], f"dropping ALL capabilities on {name}")
            )
    for path, value, what in wanted:
        found, old = get_path(obj, path)
        if found and (old == value or (isinstance(old, list) and "ALL" in old)):
            continue
        plan.changes.append(FieldChange(doc, path, value, note=f"Harden {doc.ref}: {what}."))
    return plan
