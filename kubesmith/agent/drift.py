"""Drift: where the live cluster no longer matches what the repository renders.

Compared the way GitOps tools compare, so that what the API server adds is not drift: only the
fields the repository sets are compared (defaulted fields, ``status``, ``managedFields``,
``resourceVersion``/``uid``/``generation``/``creationTimestamp`` and annotations the server or
kubectl add never count), ``spec.replicas`` of a workload an HPA scales is the HPA's, and paths
in ``drift.ignore`` of ``.kubesmith.yaml`` are skipped. Secret values are never reported: a
changed Secret field says only that it differs. The cluster is read with the dry-run's
read-only client.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kubesmith.agent.fielddiff import diff_fields, field_matches
from kubesmith.config import Settings
from kubesmith.model import ChangeSet, Edit, RemoveField, SetField
from kubesmith.workspace import DirectorySource, Workspace
from kubesmith.workspace.kustomize import KUSTOMIZATION_NAMES

Status = Literal["only-in-git", "only-in-cluster", "changed"]
_HIDDEN = "(hidden: Secret value)"
_SERVER_META = ("managedFields", "resourceVersion", "uid", "generation", "creationTimestamp",
                "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")  # fmt: skip
_SERVER_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",
                       "deployment.kubernetes.io/revision")  # fmt: skip
_SYSTEM = {("ConfigMap", "kube-root-ca.crt"), ("ServiceAccount", "default"),
           ("Service", "kubernetes")}  # fmt: skip

Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class FieldDrift:
    """One field the repository sets whose live value differs (None: absent)."""

    path: str
    git: Any
    live: Any


@dataclass(frozen=True)
class ResourceDrift:
    """One resource that drifted: only in Git, only in the cluster, or changed fields."""

    resource: str
    status: Status
    fields: tuple[FieldDrift, ...] = ()
    key: tuple[str, str, str, str] = ("", "", "", "")
    """(apiVersion, kind, namespace, name) as compared."""


@dataclass(frozen=True)
class DriftReport:
    """Every drifted resource, and how many resources were compared."""

    resources: tuple[ResourceDrift, ...]
    compared: int
    unserved: tuple[str, ...] = ()


def _label(key: Key) -> str:
    _, kind, ns, name = key
    return f"{kind}/{ns + '/' if ns else ''}{name}"


def clean(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``obj`` without what the server sets (status, server metadata, kubectl annotations)."""
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = dict(out.get("metadata") or {})
    for k in _SERVER_META:
        meta.pop(k, None)
    notes = {k: v for k, v in (meta.get("annotations") or {}).items()
             if k not in _SERVER_ANNOTATIONS}  # fmt: skip
    if notes:
        meta["annotations"] = notes
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    if out.get("kind") == "Secret" and isinstance(out.get("stringData"), Mapping):
        # the API server stores stringData as base64 data: compare in that form
        encoded = {k: base64.b64encode(str(v).encode()).decode()
                   for k, v in out.pop("stringData").items()}  # fmt: skip
        out["data"] = {**(out.get("data") or {}), **encoded}
    return out


def project(live: Any, desired: Any) -> Any:
    """``live`` cut down to the shape of ``desired``: only the fields the repository sets."""
    if isinstance(desired, Mapping):
        if not isinstance(live, Mapping):
            return None
        return {k: project(live[k], v) for k, v in desired.items() if k in live}
    if isinstance(desired, list):
        if not isinstance(live, list):
            return None
        names = [d.get("name") if isinstance(d, Mapping) else None for d in desired]
        if names and all(isinstance(n, str) for n in names):
            by_name = {i.get("name"): i for i in live if isinstance(i, Mapping)}
            return [project(by_name.get(n), d) for n, d in zip(names, desired, strict=True)]
        return [project(live[i] if i < len(live) else None, d) for i, d in enumerate(desired)]
    return live


def compare(
    desired: Sequence[Mapping[str, Any]],
    live: Mapping[Key, Mapping[str, Any]],
    *,
    ignore: Sequence[str] = (),
    default_namespace: str = "default",
    namespaced: Mapping[tuple[str, str], bool] | None = None,
) -> DriftReport:
    """Drift between the rendered ``desired`` objects and the ``live`` ones (by key)."""
    from kubesmith.tools.dryrun.live import key_of

    def key(obj: Mapping[str, Any]) -> Key:
        k = key_of(obj)
        scoped = (namespaced or {}).get((k[0], k[1]), True)
        return (k[0], k[1], (k[2] or default_namespace) if scoped else "", k[3])

    hpa_owned = {
        (str((d.get("spec") or {}).get("scaleTargetRef", {}).get("kind")),
         str((d.get("spec") or {}).get("scaleTargetRef", {}).get("name")))
        for d in desired if d.get("kind") == "HorizontalPodAutoscaler"
    }  # fmt: skip
    out: list[ResourceDrift] = []
    wanted = {key(d): d for d in desired}
    for k, d in wanted.items():
        have = live.get(k)
        if have is None:
            out.append(ResourceDrift(_label(k), "only-in-git", key=k))
            continue
        want = clean(d)
        got = project(clean(have), want)
        fields = []
        for change in diff_fields(want, got):
            path = change.path
            if path and any(field_matches(path, p) for p in ignore):
                continue
            if path == "spec.replicas" and (k[1], k[3]) in hpa_owned:
                continue
            secret = k[1] == "Secret" and path.startswith(("data", "stringData"))
            fields.append(FieldDrift(path, _HIDDEN if secret else change.before,
                                     _HIDDEN if secret else change.after))  # fmt: skip
        if fields:
            out.append(ResourceDrift(_label(k), "changed", tuple(fields), k))
    spaces = {k[2] for k in wanted}
    kinds = {(k[0], k[1]) for k in wanted}
    for k, obj in live.items():
        if k in wanted or (k[0], k[1]) not in kinds or (k[2] and k[2] not in spaces):
            continue
        if (k[1], k[3]) in _SYSTEM or (obj.get("metadata") or {}).get("ownerReferences"):
            continue
        out.append(ResourceDrift(_label(k), "only-in-cluster", key=k))
    return DriftReport(tuple(sorted(out, key=lambda r: r.resource)), len(wanted))


def desired_objects(
    repo: Path, settings: Settings, path: str | None = None
) -> list[dict[str, Any]]:
    """What the repository deploys from ``path``: a kustomization rendered with the pinned
    kustomize, else the plain resources under it (patches excluded)."""
    folder = (path or ".").strip("/") or "."
    if any((repo / folder / n).is_file() for n in KUSTOMIZATION_NAMES):
        from kubesmith.agent.validation.rendering import render

        return [dict(m.obj) for m in render(repo, "" if folder == "." else folder)]
    ws = Workspace.load(repo, settings, DirectorySource(repo))
    prefix = "" if folder == "." else folder + "/"
    return [dict(d.obj) for d in ws.resources if d.file.startswith(prefix) and d.overlay is None]


def drift(
    repo: Path,
    settings: Settings,
    *,
    path: str | None = None,
    kubeconfig: str | Path | None = None,
    context: str | None = None,
    ignore: Sequence[str] = (),
) -> DriftReport:
    """Compare what ``repo`` renders from ``path`` with the live cluster (read-only).

    ``ignore`` adds field paths to ``settings.dry_run.drift_ignore``.

    Raises:
        ConfigError: no usable cluster configuration.
        ToolError: the cluster cannot be reached, or kustomize failed.
    """
    from kubesmith.tools.dryrun.live import read_live

    desired = desired_objects(repo, settings, path)
    spaces = {str((d.get("metadata") or {}).get("namespace") or "default") for d in desired}
    kinds = {(str(d.get("apiVersion")), str(d.get("kind"))) for d in desired}
    live = read_live(kinds, spaces, kubeconfig=kubeconfig, context=context)
    scoped = {(k[0], k[1]): bool(k[2]) for k in live.objects}
    ignored = (*settings.dry_run.drift_ignore, *ignore)  # the repository's list, and the caller's
    report = compare(desired, live.objects, ignore=ignored, namespaced=scoped)
    return DriftReport(report.resources, report.compared, live.unserved)


def adopt_live(
    report: DriftReport, ws: Workspace, fields: Sequence[str] = ()
) -> tuple[ChangeSet, list[str]]:
    """Edits bringing the repository to the live values of the drifted ``fields`` (all when
    empty), and what could not be adopted (Secret values, resources not in a plain file).

    The edits go through the Agent's loop like any change, so one that an overlay hides is
    caught by the effect proof.
    """
    edits: list[Edit] = []
    skipped: list[str] = []
    for r in report.resources:
        if r.status != "changed":
            continue
        _, kind, ns, name = r.key
        chosen = [
            f for f in r.fields if not fields or any(field_matches(f.path, p) for p in fields)
        ]
        if not chosen:
            continue
        if kind == "Secret":
            skipped += [f"{r.resource} {f.path}: Secret values are never written" for f in chosen]
            continue
        docs = [d for d in ws.find(kind=kind, name=name) if d.ref.namespace in (ns, None)]
        if len(docs) != 1:
            skipped += [f"{r.resource} {f.path}: not one plain manifest to edit" for f in chosen]
            continue
        ref, file = docs[0].ref, docs[0].file
        for f in chosen:
            if f.live is None:
                edits.append(RemoveField(ref, f.path, file))
            else:
                edits.append(SetField(ref, f.path, f.live, file))
    names = ", ".join(sorted({r.resource for r in report.resources if r.status == "changed"}))
    return ChangeSet(
        f"bring {names or 'the repository'} in line with the cluster",
        tuple(edits),
        planner="drift",
        rationale="Adopts the live values kubesmith drift found, so Git matches the cluster.",
    ), skipped
