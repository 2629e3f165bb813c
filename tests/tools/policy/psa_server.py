"""PodSecurity admission of a real API server against the offline PSS packs, object by object.

The server is the reference. For each level and version a namespace is labelled
``pod-security.kubernetes.io/enforce=<level>`` and ``enforce-version=v1.<minor>`` (and the same
``warn`` labels), and every object is sent as a dry-run create:

- a Pod is *denied* when the server refuses it with "violates PodSecurity" (enforce);
- a workload (Deployment, Job, ... — PSA never rejects those, it judges their pod template) is
  *denied* when the response carries a "would violate PodSecurity" warning (warn).

An object the server refuses for another reason (API validation: a field a Windows pod may not
set, a hostUsers pod without user-namespace support...) cannot be compared and is *skipped*, with
the reason. The offline verdict is the pack's: denied when any policy of ``pss-<level>:v1.<minor>``
fails.
"""

from __future__ import annotations

import concurrent.futures
import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubesmith.tools.policy.celenv import CelEnvironment
from kubesmith.tools.policy.evaluator import Evaluator
from kubesmith.tools.policy.matching import Kinds
from kubesmith.tools.policy.packs import load_packs
from kubesmith.tools.sandbox.rest import Rest

WORKLOADS = {
    "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments",
    "StatefulSet": "/apis/apps/v1/namespaces/{ns}/statefulsets",
    "DaemonSet": "/apis/apps/v1/namespaces/{ns}/daemonsets",
    "ReplicaSet": "/apis/apps/v1/namespaces/{ns}/replicasets",
    "Job": "/apis/batch/v1/namespaces/{ns}/jobs",
    "CronJob": "/apis/batch/v1/namespaces/{ns}/cronjobs",
    "ReplicationController": "/api/v1/namespaces/{ns}/replicationcontrollers",
    "PodTemplate": "/api/v1/namespaces/{ns}/podtemplates",
}
"""The objects PSA judges besides Pods: everything that carries a pod template."""

KINDS = ("Pod", *WORKLOADS)


@dataclass(frozen=True)
class Verdict:
    """Both enforcers on one object at one level and version."""

    source: str
    level: str
    minor: int
    kind: str
    server_denied: bool | None
    """None: the server refused the object for another reason (see ``detail``)."""
    offline_denied: bool
    detail: str = ""
    offline_policies: tuple[str, ...] = ()

    @property
    def compared(self) -> bool:
        """The server judged it (it did not refuse the object for another reason)."""
        return self.server_denied is not None

    @property
    def agrees(self) -> bool:
        """Both said the same."""
        return self.server_denied == self.offline_denied

    def __str__(self) -> str:
        server = "denied" if self.server_denied else "allowed"
        offline = "denied" if self.offline_denied else "allowed"
        return (
            f"{self.source} ({self.kind}) at {self.level}:v1.{self.minor}: server {server}, "
            f"offline {offline} {list(self.offline_policies)} — server said: {self.detail[:300]}"
        )


@dataclass
class Report:
    """Every verdict of a run."""

    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def compared(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.compared]

    @property
    def disagreements(self) -> list[Verdict]:
        return [v for v in self.compared if not v.agrees]

    @property
    def agreement(self) -> float:
        compared = self.compared
        return 1.0 if not compared else 1 - len(self.disagreements) / len(compared)

    def explain(self) -> str:
        """The disagreements, one per line, for the assertion message."""
        lines = [str(v) for v in self.disagreements]
        return f"{len(lines)} of {len(self.compared)} compared verdicts disagree:\n" + "\n".join(
            lines
        )


def namespace(level: str, minor: int) -> str:
    return f"pss-{level}-v1-{minor}"


def server_minor(rest: Rest) -> int:
    """The API server's minor version (PSA judges newer versions as this one)."""
    body = rest.get("/version").body
    return int(str(body["minor"]).rstrip("+"))


def label_namespaces(rest: Rest, levels: Iterable[str], minors: Iterable[int]) -> None:
    """One namespace per (level, version), enforcing and warning at that level and version."""
    for level in levels:
        for minor in minors:
            labels = {
                f"pod-security.kubernetes.io/{mode}{suffix}": value
                for mode in ("enforce", "warn")
                for suffix, value in (("", level), ("-version", f"v1.{minor}"))
            }
            body = {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": namespace(level, minor), "labels": labels},
            }
            resp = rest.post("/api/v1/namespaces", body)
            assert resp.status in (201, 409), resp.text


def _placed(obj: dict[str, Any], ns: str) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    meta = out.setdefault("metadata", {})
    meta["namespace"] = ns
    if not meta.get("name") and not meta.get("generateName"):
        meta["name"] = "unnamed"
    return out


def server_verdict(rest: Rest, obj: dict[str, Any], ns: str) -> tuple[bool | None, str]:
    """(denied, what the server said) for a dry-run create of ``obj`` in ``ns``."""
    kind = obj.get("kind", "")
    path = "/api/v1/namespaces/{ns}/pods" if kind == "Pod" else WORKLOADS[kind]
    resp = rest.post(path.format(ns=ns) + "?dryRun=All", obj)
    message = str(resp.body.get("message", "")) if isinstance(resp.body, dict) else resp.text
    if kind == "Pod" and resp.status == 403 and "violates PodSecurity" in message:
        return True, message
    if resp.status in (200, 201):
        warned = [w for w in resp.warnings if "would violate PodSecurity" in w]
        if kind != "Pod" and warned:
            return True, warned[0]
        return False, "; ".join(resp.warnings)
    return None, f"HTTP {resp.status}: {message}"


class Offline:
    """The packs at each level and version, built once."""

    def __init__(self) -> None:
        self.env = CelEnvironment()
        self._evaluators: dict[tuple[str, int], Evaluator] = {}

    def policies(self, obj: dict[str, Any], level: str, minor: int) -> tuple[str, ...]:
        """The PSS policies ``obj`` fails at ``level`` and ``v1.<minor>`` (empty: allowed)."""
        key = (level, minor)
        if key not in self._evaluators:
            packs = load_packs([f"pss-{level}:v1.{minor}"], self.env)
            self._evaluators[key] = Evaluator(packs, self.env)
        found = self._evaluators[key].evaluate(obj, Kinds(), {})
        return tuple(sorted({v.policy for v in found}))


def compare(
    rest: Rest,
    offline: Offline,
    items: Sequence[tuple[str, dict[str, Any]]],
    level: str,
    minor: int,
    workers: int = 4,
) -> list[Verdict]:
    """Both verdicts for each (source, object) at ``level`` and ``v1.<minor>``."""
    ns = namespace(level, minor)
    placed = [(source, _placed(obj, ns)) for source, obj in items]
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        server = list(pool.map(lambda item: server_verdict(rest, item[1], ns), placed))
    out = []
    for (source, obj), (denied, detail) in zip(placed, server, strict=True):
        policies = offline.policies(obj, level, minor)
        out.append(
            Verdict(source, level, minor, obj["kind"], denied, bool(policies), detail, policies)
        )
    return out


def as_workload(pod: dict[str, Any]) -> dict[str, Any]:
    """A Deployment whose template is ``pod`` (PSA judges the template as a pod)."""
    labels = {"app": pod["metadata"]["name"]}
    template = {
        "metadata": {**copy.deepcopy(pod["metadata"]), "labels": labels},
        "spec": copy.deepcopy(pod["spec"]),
    }
    template["metadata"].pop("name", None)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": pod["metadata"]["name"]},
        "spec": {"selector": {"matchLabels": labels}, "template": template},
    }
