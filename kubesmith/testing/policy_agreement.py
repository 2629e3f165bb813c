"""One policy, two enforcers: the offline CEL engine against the real API server.

kubesmith's policy packs are ValidatingAdmissionPolicies that a cluster enforces unchanged and
that kubesmith evaluates offline. Both must reach the same verdict on every object; where they
do not, one of them has a bug (or the server saw a different object — it evaluates after
defaulting). This module loads the packs into a sandbox, sends each manifest as a dry-run create,
reads which policies fired, evaluates the same manifest offline, and reports the agreement.

In the sandbox every binding's actions are turned into ``Warn`` (so one denial does not hide the
others: the server then reports every failed policy as a warning) and scoped to one labelled
namespace (so the packs do not affect anything else running against the same sandbox).
"""

from __future__ import annotations

import concurrent.futures
import copy
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes import dynamic
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from kubesmith.config import PolicySettings
from kubesmith.errors import ToolError
from kubesmith.model import Manifest, ResourceRef
from kubesmith.tools.dryrun.client import read_only_client
from kubesmith.tools.policy.packs import pack_documents
from kubesmith.tools.policy.validator import PolicyValidator
from kubesmith.tools.sandbox.rest import Rest
from kubesmith.tools.sandbox.server import Sandbox

NAMESPACE = "kubesmith-agreement"
LABEL = "kubesmith.dev/agreement"
_POLICY = re.compile(r"ValidatingAdmissionPolicy '(?P<name>[^']+)'")


@dataclass(frozen=True)
class Verdict:
    """What each enforcer said about one manifest (policy names that fired)."""

    file: str
    ref: str
    server: frozenset[str] = frozenset()
    offline: frozenset[str] = frozenset()
    skipped: str = ""
    """Why the server could not judge it (it rejected the object for another reason)."""

    @property
    def agrees(self) -> bool:
        """Both enforcers named the same policies."""
        return self.server == self.offline


@dataclass(frozen=True)
class AgreementReport:
    """Verdicts over a corpus and the agreement between the enforcers."""

    verdicts: tuple[Verdict, ...] = field(default_factory=tuple)

    @property
    def compared(self) -> list[Verdict]:
        """Verdicts of manifests both enforcers judged."""
        return [v for v in self.verdicts if not v.skipped]

    @property
    def disagreements(self) -> list[Verdict]:
        """Compared manifests where the policy sets differ."""
        return [v for v in self.compared if not v.agrees]

    @property
    def agreement(self) -> float:
        """Share of compared manifests with identical verdicts (1.0 when nothing was compared)."""
        compared = self.compared
        return 1.0 if not compared else (len(compared) - len(self.disagreements)) / len(compared)

    def summary(self) -> dict[str, Any]:
        """Counts, the agreement ratio and each disagreement, for reports and benchmarks."""
        return {
            "manifests": len(self.verdicts),
            "compared": len(self.compared),
            "skipped": len(self.verdicts) - len(self.compared),
            "agreement": round(self.agreement, 4),
            "disagreements": [
                {
                    "file": v.file,
                    "ref": v.ref,
                    "server_only": sorted(v.server - v.offline),
                    "offline_only": sorted(v.offline - v.server),
                }
                for v in self.disagreements
            ],
        }


def install_packs(sandbox: Sandbox, packs: Sequence[str]) -> list[str]:
    """Load the packs' policies, bindings and parameter objects into ``sandbox``, as the offline
    validator evaluates them (:func:`~kubesmith.tools.policy.packs.pack_documents`: PSS policies
    at their version, baseline policies that pss-restricted replaces left out).

    Returns the names of the policies installed.

    Raises:
        ToolError: when the server refuses one of them.
    """

    rest = sandbox.rest()
    for ns, labels in ((NAMESPACE, {LABEL: "true"}), ("kubesmith", {})):
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
        resp = rest.post("/api/v1/namespaces", body)
        if resp.status not in (201, 409):
            raise ToolError(f"cannot create namespace {ns}: {resp.text[:300]}")
    names = []
    base = "/apis/admissionregistration.k8s.io/v1"
    for pack, doc in pack_documents(list(packs)):
        if not isinstance(doc, dict):
            continue
        kind = doc.get("kind")
        if kind == "ValidatingAdmissionPolicy":
            path = f"{base}/validatingadmissionpolicies"
            names.append(str(doc["metadata"]["name"]))
        elif kind == "ValidatingAdmissionPolicyBinding":
            path = f"{base}/validatingadmissionpolicybindings"
        elif kind == "ConfigMap":
            ns = doc["metadata"].get("namespace", "default")
            path = f"/api/v1/namespaces/{ns}/configmaps"
        else:
            continue
        body = _scoped(doc) if kind == "ValidatingAdmissionPolicyBinding" else doc
        resp = rest.post(path, body)
        if resp.status not in (201, 409):
            raise ToolError(f"cannot install {kind} from pack {pack}: {resp.text[:300]}")
    return names


def _scoped(binding: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(binding)
    spec = out.setdefault("spec", {})
    spec["validationActions"] = ["Warn"]
    match = spec.setdefault("matchResources", {})
    selector = match.setdefault("namespaceSelector", {})
    selector.setdefault("matchLabels", {})[LABEL] = "true"
    return out


def _post_path(dyn: Any, obj: dict[str, Any]) -> tuple[str, dict[str, Any]] | str:
    """The dry-run create URL path and body for ``obj`` in the agreement namespace, or why not."""

    try:
        resource = dyn.resources.get(api_version=obj.get("apiVersion"), kind=obj.get("kind"))
    except ResourceNotFoundError:
        return f"{obj.get('kind')} ({obj.get('apiVersion')}) is not served"
    body = copy.deepcopy(obj)
    if resource.namespaced:
        body.setdefault("metadata", {})["namespace"] = NAMESPACE
    path = resource.path(namespace=NAMESPACE if resource.namespaced else None)
    return f"{path}?dryRun=All&fieldValidation=Ignore", body


def server_verdict(
    rest: Rest, target: tuple[str, dict[str, Any]] | str
) -> tuple[frozenset[str], str]:
    """Policies that fired when the object is dry-run created; and why it was skipped, if so."""
    if isinstance(target, str):
        return frozenset(), target
    path, body = target
    resp = rest.post(path, body)
    fired = frozenset(m["name"] for w in resp.warnings for m in [_POLICY.search(w)] if m)
    if resp.status not in (200, 201):
        message = resp.body.get("message") if isinstance(resp.body, dict) else resp.text
        return fired, f"server rejected it: {str(message)[:300]}"
    return fired, ""


@dataclass(frozen=True)
class _Placed:
    """A manifest as the server sees it: moved into the agreement namespace."""

    file: str
    obj: dict[str, Any]
    ref: ResourceRef
    line: int

    def line_of(self, path: Any) -> int:
        del path
        return self.line


def compare(
    sandbox: Sandbox,
    manifests: Sequence[Manifest],
    packs: Sequence[str] = ("pss-restricted", "best-practices"),
    *,
    settle_s: float = 30.0,
    workers: int = 4,
) -> AgreementReport:
    """Judge every manifest with both enforcers and report where they agree."""

    install_packs(sandbox, packs)
    client: Any = dynamic.DynamicClient
    dyn = client(read_only_client(sandbox.kubeconfig, timeout=15))
    rest = sandbox.rest(timeout=15)
    _wait_for_policies(rest, dyn, settle_s)
    offline = PolicyValidator(PolicySettings(packs=tuple(packs)), Path("."))
    docs = [m for m in manifests if not getattr(m, "is_patch", False) and m.obj.get("kind")]
    targets = [_post_path(dyn, m.obj) for m in docs]  # discovery is not thread-safe
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        server = list(pool.map(lambda t: server_verdict(rest, t), targets))
    verdicts = []
    for m, (fired_server, skipped) in zip(docs, server, strict=True):
        obj = copy.deepcopy(m.obj)
        obj.setdefault("metadata", {})["namespace"] = NAMESPACE
        placed = _Placed(m.file, obj, ResourceRef.from_object(obj), m.line)
        fired_offline = frozenset(
            (f.rule or "").split("/")[0]
            for f in offline.validate([placed])
            if f.ref is not None and f.rule
        )
        verdicts.append(Verdict(m.file, str(m.ref), fired_server, fired_offline, skipped))
    return AgreementReport(tuple(verdicts))


_CANARY = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "canary"},
    "spec": {
        "hostNetwork": True,
        "containers": [
            {"name": "c", "image": "nginx:latest", "securityContext": {"privileged": True}}
        ],
    },
}


def _wait_for_policies(rest: Rest, dyn: Any, settle_s: float) -> None:
    """Policies take effect once the server has compiled them: wait until a canary's verdict
    (an object that breaks every pack) stops changing."""
    deadline = time.monotonic() + settle_s
    last: frozenset[str] = frozenset()
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        fired, _ = server_verdict(rest, _post_path(dyn, _CANARY))
        if fired != last:
            last, stable_since = fired, time.monotonic()
        elif fired and time.monotonic() - stable_since > 1.0:
            return
        time.sleep(0.2)
    if not last:
        raise ToolError(f"the sandbox did not enforce the policy packs within {settle_s:g}s")
