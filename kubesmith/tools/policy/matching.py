"""Does a policy apply to an object? ``matchConstraints``, binding ``matchResources``, selectors.

Admission rules name *resources* (``deployments``), manifests name *kinds* (``Deployment``), so
matching needs the kind → resource mapping a cluster's discovery would give: a table of the
built-in kinds plus the CustomResourceDefinitions found among the manifests. Offline there is no
request, so every object is matched as a ``CREATE``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kubesmith.tools.policy.model import MatchResources, ResourceRule

OPERATION = "CREATE"

_BUILTIN: dict[str, str] = {
    "Pod": "pods", "Service": "services", "ConfigMap": "configmaps", "Secret": "secrets",
    "Namespace": "namespaces", "Node": "nodes", "PersistentVolume": "persistentvolumes",
    "PersistentVolumeClaim": "persistentvolumeclaims", "ServiceAccount": "serviceaccounts",
    "Endpoints": "endpoints", "LimitRange": "limitranges", "ResourceQuota": "resourcequotas",
    "ReplicationController": "replicationcontrollers", "PodTemplate": "podtemplates",
    "Event": "events", "Binding": "bindings",
    "Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets",
    "ReplicaSet": "replicasets", "ControllerRevision": "controllerrevisions",
    "Job": "jobs", "CronJob": "cronjobs",
    "HorizontalPodAutoscaler": "horizontalpodautoscalers",
    "Ingress": "ingresses", "IngressClass": "ingressclasses", "NetworkPolicy": "networkpolicies",
    "PodDisruptionBudget": "poddisruptionbudgets",
    "Role": "roles", "RoleBinding": "rolebindings", "ClusterRole": "clusterroles",
    "ClusterRoleBinding": "clusterrolebindings",
    "StorageClass": "storageclasses", "VolumeAttachment": "volumeattachments",
    "CSIDriver": "csidrivers", "CSINode": "csinodes",
    "PriorityClass": "priorityclasses", "RuntimeClass": "runtimeclasses",
    "Lease": "leases", "EndpointSlice": "endpointslices",
    "CustomResourceDefinition": "customresourcedefinitions", "APIService": "apiservices",
    "MutatingWebhookConfiguration": "mutatingwebhookconfigurations",
    "ValidatingWebhookConfiguration": "validatingwebhookconfigurations",
    "ValidatingAdmissionPolicy": "validatingadmissionpolicies",
    "ValidatingAdmissionPolicyBinding": "validatingadmissionpolicybindings",
    "CertificateSigningRequest": "certificatesigningrequests",
    "FlowSchema": "flowschemas", "PriorityLevelConfiguration": "prioritylevelconfigurations",
}  # fmt: skip

_CLUSTER_SCOPED = frozenset(
    {
        "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
        "StorageClass", "VolumeAttachment", "CSIDriver", "CSINode", "PriorityClass",
        "RuntimeClass", "IngressClass", "CustomResourceDefinition", "APIService",
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
        "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration",
    }
)  # fmt: skip


def _guess_plural(kind: str) -> str:
    lower = kind.lower()
    if lower.endswith(("s", "x", "ch", "sh")):
        return lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return lower[:-1] + "ies"
    return lower + "s"


_EQUIVALENT: dict[tuple[str, str], tuple[str, ...]] = {
    ("autoscaling", "horizontalpodautoscalers"): ("v2", "v1"),
}
"""Built-in resources served in several versions (Kubernetes 1.30+): the preferred one first."""


@dataclass(frozen=True)
class Kinds:
    """Kind → (resource plural, namespaced?) for built-in kinds and the CRDs of the repository."""

    custom: tuple[tuple[str, str, str, bool], ...] = ()
    """(group, kind, plural, namespaced) of each CustomResourceDefinition seen."""
    versions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    """(group, plural, served versions) of each CustomResourceDefinition seen."""

    @classmethod
    def from_objects(cls, objects: Iterable[dict[str, Any]]) -> Kinds:
        """Collect the CustomResourceDefinitions among ``objects``."""
        custom = []
        versions = []
        for obj in objects:
            if obj.get("kind") != "CustomResourceDefinition":
                continue
            spec = obj.get("spec")
            names = spec.get("names") if isinstance(spec, dict) else None
            if (
                isinstance(spec, dict)
                and isinstance(names, dict)
                and names.get("kind")
                and names.get("plural")
            ):
                namespaced = spec.get("scope", "Namespaced") == "Namespaced"
                group = str(spec.get("group", ""))
                custom.append((group, names["kind"], names["plural"], namespaced))
                served = tuple(
                    str(v["name"])
                    for v in spec.get("versions") or []
                    if isinstance(v, dict) and v.get("name") and v.get("served", True)
                )
                versions.append((group, str(names["plural"]), served))
        return cls(tuple(custom), tuple(versions))

    def resource(self, group: str, kind: str) -> tuple[str, bool]:
        """The resource plural of ``kind`` in ``group`` and whether it is namespaced."""
        for g, k, plural, namespaced in self.custom:
            if g == group and k == kind:
                return plural, namespaced
        plural = _BUILTIN.get(kind) or _guess_plural(kind)
        return plural, kind not in _CLUSTER_SCOPED

    def equivalents(self, group: str, version: str, resource: str) -> tuple[str, ...]:
        """The other served versions of the same resource (``matchPolicy: Equivalent``)."""
        served = _EQUIVALENT.get((group, resource), ())
        for g, plural, versions in self.versions:
            if g == group and plural == resource:
                served = versions
        return tuple(v for v in served if v != version)


@dataclass(frozen=True)
class Target:
    """What matching needs to know about one object."""

    group: str
    version: str
    kind: str
    resource: str
    namespaced: bool
    name: str
    namespace: str | None
    labels: dict[str, str]
    namespace_labels: dict[str, str] | None
    """Labels of the object's namespace (``None`` for cluster-scoped objects)."""


def _rule_matches(rule: ResourceRule, t: Target, version: str | None = None) -> bool:
    """True when ``rule`` selects ``t`` (at ``version`` instead of its own, when given)."""
    if "*" not in rule.operations and OPERATION not in rule.operations:
        return False
    if "*" not in rule.api_groups and t.group not in rule.api_groups:
        return False
    if "*" not in rule.api_versions and (version or t.version) not in rule.api_versions:
        return False
    if not any(r in ("*", "*/*", t.resource) for r in rule.resources):
        return False
    if rule.resource_names and t.name not in rule.resource_names:
        return False
    if rule.scope == "Cluster" and t.namespaced:
        return False
    return not (rule.scope == "Namespaced" and not t.namespaced)


def matched_version(
    rules: tuple[ResourceRule, ...], policy: str, t: Target, kinds: Kinds | None
) -> str | None:
    """The version of ``t``'s resource that ``rules`` select: its own, else (``Equivalent``)
    another served version of the same resource, which the object is converted to."""
    if any(_rule_matches(r, t) for r in rules):
        return t.version
    if policy == "Equivalent":
        for version in (kinds or Kinds()).equivalents(t.group, t.version, t.resource):
            if any(_rule_matches(r, t, version) for r in rules):
                return version
    return None


def rules_match(match: MatchResources, t: Target, kinds: Kinds | None = None) -> str | None:
    """The version the rules select ``t`` at (``None``: not selected, or excluded).

    Without ``resourceRules`` every resource is selected, as the API server does for a
    binding's ``matchResources`` that has only selectors.
    """
    if matched_version(match.exclude_resource_rules, match.match_policy, t, kinds):
        return None
    if not match.resource_rules:
        return t.version
    return matched_version(match.resource_rules, match.match_policy, t, kinds)


def names_matter(match: MatchResources) -> bool:
    """True when a rule names objects, so rule matching depends on more than the resource."""
    return any(r.resource_names for r in (*match.resource_rules, *match.exclude_resource_rules))


def selectors_match(match: MatchResources, t: Target) -> bool:
    """True when the object and namespace selectors select ``t``."""
    if not match.object_selector.matches(t.labels):
        return False
    if t.kind == "Namespace" and t.group == "":
        return match.namespace_selector.matches(t.labels)
    if t.namespace_labels is None:
        return True  # cluster-scoped objects are never filtered by a namespace selector
    return match.namespace_selector.matches(t.namespace_labels)


def matches(match: MatchResources, t: Target) -> bool:
    """True when ``t`` is selected by ``match`` (rules, exclusions and both selectors)."""
    return rules_match(match, t) is not None and selectors_match(match, t)


def target_of(
    obj: dict[str, Any], kinds: Kinds, namespaces: dict[str, dict[str, Any]]
) -> tuple[Target, dict[str, Any] | None]:
    """What matching needs to know about ``obj``, and its namespace object (when namespaced).

    A namespaced object without a namespace lands in ``default``, as ``kubectl apply`` puts it;
    a namespace not among the manifests has only the label the API server always sets.
    """
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    kind = str(obj.get("kind", ""))
    raw_meta = obj.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    resource, namespaced = kinds.resource(group, kind)
    ns = str(meta.get("namespace") or "default") if namespaced else None
    ns_obj: dict[str, Any] | None = None
    ns_labels: dict[str, str] | None = None
    if ns is not None:
        ns_obj = namespaces.get(ns) or {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
        }
        ns_meta = ns_obj.get("metadata")
        raw = ns_meta.get("labels") if isinstance(ns_meta, dict) else None
        ns_labels = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    labels = meta.get("labels")
    target = Target(
        group=group,
        version=version,
        kind=kind,
        resource=resource,
        namespaced=namespaced,
        name=str(meta.get("name") or ""),
        namespace=ns,
        labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
        namespace_labels=ns_labels,
    )
    return target, ns_obj
