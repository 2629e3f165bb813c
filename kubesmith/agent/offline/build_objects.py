"""Builders for metadata and for the objects that belong to a workload: Service, HPA, PDB.

A new Service/HPA/PDB is written into the same file as its workload (see ``docs/intents.md``):
a Kustomize base lists files, so the new object is rendered without touching the
kustomization, and a reviewer finds it next to the workload it serves.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kubesmith.agent.offline.build_pod import View, container_path
from kubesmith.agent.offline.changes import DropObject, FieldChange, NewObject, Plan, get_path
from kubesmith.agent.offline.resolve import containers_of, describe, pick_containers
from kubesmith.agent.offline.specs import Autoscale, Budget, Expose, FieldSet, Meta
from kubesmith.errors import ReferenceError_, UsageError
from kubesmith.kinds import pod_meta_path
from kubesmith.model import format_path

if TYPE_CHECKING:
    from kubesmith.workspace import Document, Workspace

_LABEL_VALUE = re.compile(r"^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


def _check_label(key: str, value: str) -> None:
    prefix, _, name = key.rpartition("/")
    if not _LABEL_NAME.match(name) or len(prefix) > 253:
        raise UsageError(f"{key!r} is not a valid label key (name part: 63 alphanumerics, -, _, .)")
    if not _LABEL_VALUE.match(value):
        raise UsageError(f"{value!r} is not a valid label value (63 alphanumerics, -, _, .)")


def build_meta(spec: Meta, doc: Document, view: View) -> Plan:
    """Labels/annotations on the object (or its pod template with ``pod``)."""
    plan = Plan()
    meta = pod_meta_path(doc.ref.kind) if spec.pod else "metadata"
    if meta is None:
        raise UsageError(f"{describe(doc)} has no pod template")
    where = f"{doc.ref}{' pod template' if spec.pod else ''}"
    word = spec.field[:-1]
    for key, value in spec.set:
        if spec.field == "labels":
            _check_label(key, value)
        path = format_path([*meta.split("."), spec.field, key])
        note = f"Set {word} {key}={value} on {where}."
        plan.changes.append(FieldChange(doc, path, value, note=note))
    obj = view(doc)
    for key in spec.remove:
        path = format_path([*meta.split("."), spec.field, key])
        found, _ = get_path(obj, path)
        if not found:
            _, existing = get_path(obj, format_path([*meta.split("."), spec.field]))
            keys = sorted(existing) if isinstance(existing, dict) else []
            raise ReferenceError_(
                f"{where} has no {word} {key!r}" + (f" (it has {', '.join(keys)})" if keys else ""),
                reference=key,
                candidates=keys,
            )
        plan.changes.append(
            FieldChange(doc, path, remove=True, note=f"Remove {word} {key} from {where}.")
        )
    return plan


def _pod_labels(obj: dict[str, Any]) -> dict[str, str]:
    found, selector = get_path(obj, "spec.selector.matchLabels")
    if found and isinstance(selector, dict) and selector:
        return {str(k): str(v) for k, v in selector.items()}
    found, labels = get_path(obj, "spec.template.metadata.labels")
    return {str(k): str(v) for k, v in labels.items()} if found and isinstance(labels, dict) else {}


def _selects(selector: Any, pods: dict[str, str]) -> bool:
    return (
        isinstance(selector, dict)
        and bool(selector)
        and all(pods.get(str(k)) == str(v) for k, v in selector.items())
    )


def _metadata(doc: Document, name: str) -> dict[str, Any]:
    """A new object's metadata: its name, the workload's namespace when the workload's own
    manifest sets one (a Kustomize namespace applies to both anyway), and its app label."""
    meta: dict[str, Any] = {"name": name}
    _, namespace = get_path(doc.obj, "metadata.namespace")
    if namespace:
        meta["namespace"] = namespace
    if labels := _owner_labels(doc):
        meta["labels"] = labels
    return meta


def _owner_labels(doc: Document) -> dict[str, str]:
    """The workload's identifying label, so the new object is found with it (``-l app=x``)."""
    for key in ("app", "app.kubernetes.io/name"):
        if doc.labels.get(key):
            return {key: doc.labels[key]}
    return {}


def build_expose(
    spec: Expose,
    doc: Document,
    container: str | None,
    view: View,
    ws: Workspace,
    *,
    env: str | None = None,
) -> Plan:
    """A port on the workload's Service; the Service is created when none selects the pods."""
    plan = Plan()
    obj = view(doc)
    pods = _pod_labels(obj)
    if not pods:
        raise UsageError(f"{describe(doc)} has no selector labels to point a Service at")
    name = pick_containers(doc, container)[0] if spec.port or spec.target else None
    cports = [
        p
        for c in containers_of(obj, doc.ref.kind)
        if name is None or c.get("name") == name
        for p in c.get("ports") or []
        if isinstance(p, dict)
    ]
    wanted: list[dict[str, Any]] = []
    if spec.port is None and spec.target is None:
        if not cports:
            raise UsageError(
                f"{describe(doc)} declares no container ports; say which port to expose"
            )
        for p in cports:
            entry = {
                "name": p.get("name") or f"port-{p['containerPort']}",
                "port": p["containerPort"],
            }
            entry["targetPort"] = p.get("name") or p["containerPort"]
            wanted.append(entry)
    else:
        target = spec.target if spec.target is not None else spec.port
        match = next(
            (p for p in cports if p.get("containerPort") == target or p.get("name") == target), None
        )
        if match is None and isinstance(target, int) and name is not None:
            path = f"{container_path(doc, name)}.ports[containerPort={target}].containerPort"
            note = f"Declare container port {target} on {doc.ref} container {name}."
            plan.changes.append(FieldChange(doc, path, target, note=note))
        elif match is None:
            raise UsageError(f"{describe(doc)} has no container port named {target!r}")
        port = spec.port if spec.port is not None else int(match["containerPort"]) if match else 0
        pname = (match or {}).get("name") or f"port-{port}"
        wanted.append(
            {"name": pname, "port": port, "targetPort": (match or {}).get("name") or target}
        )
    services = [
        s
        for s in ws.find(kind="Service", namespace=doc.ref.namespace)
        if s.overlay in (doc.overlay, env) and _selects(s.obj.get("spec", {}).get("selector"), pods)
    ]
    if services and spec.type != "Headless":
        # "make the web service a LoadBalancer": the Service that selects the pods changes
        # type; another Service is never created next to it.
        svc = services[0]
        current = (view(svc).get("spec") or {}).get("type") or "ClusterIP"
        if spec.type is not None and current != spec.type:
            note = f"Change {svc.ref} from {current} to {spec.type}."
            plan.changes.append(FieldChange(svc, "spec.type", spec.type, note=note))
        ports = [p for p in svc.obj.get("spec", {}).get("ports") or [] if isinstance(p, dict)]
        for entry in wanted:
            if any(p.get("port") == entry["port"] for p in ports):
                continue
            if spec.type is not None and any(
                p.get("targetPort", p.get("port")) == entry["targetPort"] for p in ports
            ):
                continue  # a type change: the pods' port is already reached
            names = {p.get("name") for p in ports}
            if entry["name"] in names:
                entry["name"] = f"port-{entry['port']}"
            note = f"Expose port {entry['port']} on {svc.ref} (targets {entry['targetPort']})."
            plan.changes.append(FieldChange(svc, f"spec.ports[{len(ports)}]", entry, note=note))
            ports.append(entry)
        if not plan.changes:
            kind = f" as a {spec.type}" if spec.type else ""
            raise UsageError(
                f"{describe(svc)} already exposes {', '.join(str(e['port']) for e in wanted)}{kind}"
            )
        return plan
    taken = {d.ref.name for d in ws.find(kind="Service", name=doc.ref.name)}
    svc_name = doc.ref.name if not taken else f"{doc.ref.name}-{(spec.type or 'svc').lower()}"
    svc_spec: dict[str, Any] = {}
    if spec.type == "Headless":
        svc_spec["clusterIP"] = "None"
    elif spec.type:
        svc_spec["type"] = spec.type
    svc_spec["selector"] = pods
    svc_spec["ports"] = wanted
    manifest: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(doc, svc_name),
    }
    manifest["spec"] = svc_spec
    ports_txt = ", ".join(f"{e['port']}->{e['targetPort']}" for e in wanted)
    kind = f" ({spec.type})" if spec.type else ""
    note = f"Create Service {svc_name}{kind} for {doc.ref} on {ports_txt}."
    plan.changes.append(NewObject(doc, manifest, note=note))
    return plan


def _targets_of(ws: Workspace, kind: str, doc: Document, env: str | None) -> list[Document]:
    return [
        h
        for h in ws.find(kind=kind, namespace=doc.ref.namespace)
        if h.overlay in (doc.overlay, env)
        and (h.obj.get("spec") or {}).get("scaleTargetRef", {}).get("name") == doc.ref.name
    ]


def build_hpa(
    spec: Autoscale, doc: Document, view: View, ws: Workspace, env: str | None = None
) -> Plan:
    """Create (or update) an autoscaling/v2 HPA; default min = replicas, max = 3 × min, 80% CPU."""
    plan = Plan()
    existing = _targets_of(ws, "HorizontalPodAutoscaler", doc, env)
    if spec.remove:
        if not existing:
            raise ReferenceError_(
                f"{describe(doc)} has no HorizontalPodAutoscaler", reference=str(doc.ref)
            )
        return Plan(
            [DropObject(h, note=f"Delete {h.ref}, which scaled {doc.ref}.") for h in existing]
        )
    obj = view(doc)
    if existing:
        hpa = existing[0]
        for field, value in (("minReplicas", spec.min), ("maxReplicas", spec.max)):
            if value is not None:
                note = f"Set {field} of {hpa.ref} to {value}."
                plan.changes.append(FieldChange(hpa, f"spec.{field}", value, note=note))
        metrics = hpa.obj.get("spec", {}).get("metrics") or []
        for resource, value in (("cpu", spec.cpu), ("memory", spec.memory)):
            if value is None:
                continue
            idx = next(
                (
                    i
                    for i, m in enumerate(metrics)
                    if (m.get("resource") or {}).get("name") == resource
                ),
                len(metrics),
            )
            note = f"Set the {resource} utilization target of {hpa.ref} to {value}%."
            plan.changes.append(
                FieldChange(hpa, f"spec.metrics[{idx}]", _metric(resource, value), note=note)
            )
        if not plan.changes:
            raise UsageError(
                f"{describe(hpa)} already exists; say what to change (min, max, cpu %)"
            )
        return plan
    replicas = obj.get("spec", {}).get("replicas", 1)
    low = spec.min if spec.min is not None else max(1, replicas if isinstance(replicas, int) else 1)
    high = spec.max if spec.max is not None else max(low * 3, low + 1)
    if low > high:
        raise UsageError(f"the autoscaler's minimum ({low}) is above its maximum ({high})")
    metrics = []
    if spec.cpu is not None or spec.memory is None:
        metrics.append(_metric("cpu", spec.cpu or 80))
    if spec.memory is not None:
        metrics.append(_metric("memory", spec.memory))
    manifest: dict[str, Any] = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _metadata(doc, doc.ref.name),
        "spec": {
            "scaleTargetRef": {
                "apiVersion": doc.ref.api_version,
                "kind": doc.ref.kind,
                "name": doc.ref.name,
            },
            "minReplicas": low,
            "maxReplicas": high,
            "metrics": metrics,
        },
    }
    targets = ", ".join(
        f"{m['resource']['name']} {m['resource']['target']['averageUtilization']}%" for m in metrics
    )
    note = (
        f"Create HorizontalPodAutoscaler {doc.ref.name} for {doc.ref}: "
        f"{low}-{high} replicas at {targets}."
    )
    plan.changes.append(NewObject(doc, manifest, note=note))
    for resource in ("cpu", "memory"):
        if not any(m["resource"]["name"] == resource for m in metrics):
            continue
        missing = [
            str(c.get("name"))
            for c in containers_of(obj, doc.ref.kind)
            if not get_path(c, f"resources.requests.{resource}")[0]
        ]
        if missing:
            amount = "100m" if resource == "cpu" else "128Mi"
            plan.questions.append(
                f"{doc.ref.name} container(s) {', '.join(missing)} set no {resource} request, "
                f"which a {resource} utilization target needs; add one (e.g. 'set "
                f"{doc.ref.name} {resource} request to {amount}')?"
            )
    return plan


def _metric(resource: str, value: int) -> dict[str, Any]:
    return {
        "type": "Resource",
        "resource": {
            "name": resource,
            "target": {"type": "Utilization", "averageUtilization": value},
        },
    }


def build_pdb(
    spec: Budget, doc: Document, view: View, ws: Workspace, env: str | None = None
) -> Plan:
    """Create (or update) a policy/v1 PodDisruptionBudget; default maxUnavailable 1."""
    obj = view(doc)
    pods = _pod_labels(obj)
    existing = [
        p
        for p in ws.find(kind="PodDisruptionBudget", namespace=doc.ref.namespace)
        if p.overlay in (doc.overlay, env)
        and _selects((p.obj.get("spec") or {}).get("selector", {}).get("matchLabels"), pods)
    ]
    if spec.remove:
        if not existing:
            raise ReferenceError_(
                f"{describe(doc)} has no PodDisruptionBudget", reference=str(doc.ref)
            )
        return Plan(
            [DropObject(p, note=f"Delete {p.ref}, which covered {doc.ref}.") for p in existing]
        )
    field, value = (
        ("minAvailable", spec.min_available)
        if spec.min_available is not None
        else ("maxUnavailable", spec.max_unavailable if spec.max_unavailable is not None else 1)
    )
    other = "maxUnavailable" if field == "minAvailable" else "minAvailable"
    plan = Plan()
    replicas = obj.get("spec", {}).get("replicas", 1)
    if (
        field == "minAvailable"
        and isinstance(value, int)
        and isinstance(replicas, int)
        and value >= replicas
    ):
        plan.questions.append(
            f"{doc.ref.name} runs {replicas} replica(s) and the budget keeps {value} available, so "
            f"no pod can ever be evicted (node drains will block); scale up or lower minAvailable?"
        )
    if existing:
        pdb = existing[0]
        plan.changes.append(
            FieldChange(pdb, f"spec.{field}", value, note=f"Set {field} of {pdb.ref} to {value}.")
        )
        if other in (pdb.obj.get("spec") or {}):
            plan.changes.append(FieldChange(pdb, f"spec.{other}", remove=True))
        return plan
    if not pods:
        raise UsageError(f"{describe(doc)} has no selector labels for a PodDisruptionBudget")
    manifest: dict[str, Any] = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _metadata(doc, doc.ref.name),
        "spec": {field: value, "selector": {"matchLabels": pods}},
    }
    note = f"Create PodDisruptionBudget {doc.ref.name} for {doc.ref} with {field} {value}."
    plan.changes.append(NewObject(doc, manifest, note=note))
    return plan


def build_field(spec: FieldSet, doc: Document, view: View) -> Plan:
    """An explicit field path; removing an absent field is an error, not a silent no-op."""
    found, old = get_path(view(doc), spec.path)
    if spec.remove:
        if not found:
            raise ReferenceError_(f"{describe(doc)} has no field {spec.path}", reference=spec.path)
        note = f"Remove {spec.path} from {doc.ref}."
        return Plan([FieldChange(doc, spec.path, remove=True, note=note)])
    before = f" from {old}" if found and not isinstance(old, (dict, list)) else ""
    note = f"Set {spec.path} of {doc.ref}{before} to {spec.value}."
    return Plan([FieldChange(doc, spec.path, spec.value, note=note)])


def build_delete(doc: Document) -> Plan:
    """Delete the resource."""
    return Plan([DropObject(doc, note=f"Delete {doc.ref} ({doc.file}).")])
