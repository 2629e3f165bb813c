"""What kubesmith knows about Kubernetes kinds, in one place.

Which kinds are workloads, where each keeps its pod template and PodSpec, which kinds scale
(``spec.replicas`` and the ``scale`` subresource) and which select pods by label, plus the
words people use for kinds in an intent. The planners, learned rules, rule policies, policy
exemptions and the simulated reviewer all read these, so they cannot disagree about a kind.
"""

from __future__ import annotations

KIND_ALIASES: dict[str, str] = {}
for _kind, _words in {
    "Deployment": ("deployment", "deployments", "deploy", "deploys"),
    "StatefulSet": ("statefulset", "statefulsets", "sts", "stateful-set"),
    "DaemonSet": ("daemonset", "daemonsets", "ds"),
    "ReplicaSet": ("replicaset", "replicasets", "rs"),
    "Job": ("job", "jobs"),
    "CronJob": ("cronjob", "cronjobs", "cron", "cron-job", "cron-jobs"),
    "Pod": ("pod", "pods"),
    "Service": ("service", "services", "svc"),
    "ConfigMap": ("configmap", "configmaps", "cm"),
    "Secret": ("secret", "secrets"),
    "Ingress": ("ingress", "ingresses"),
    "HorizontalPodAutoscaler": ("hpa", "hpas", "horizontalpodautoscaler"),
    "PodDisruptionBudget": ("pdb", "pdbs", "poddisruptionbudget"),
    "ServiceAccount": ("serviceaccount", "serviceaccounts", "sa"),
    "PersistentVolumeClaim": ("pvc", "pvcs", "persistentvolumeclaim"),
    "NetworkPolicy": ("networkpolicy", "networkpolicies", "netpol"),
    "Namespace": ("namespace", "namespaces", "ns"),
}.items():
    for _word in _words:
        KIND_ALIASES[_word] = _kind

PLURAL_KIND_WORDS = frozenset(
    w for w in KIND_ALIASES if w.endswith("s") and w not in {"sts", "ds", "rs", "ns", "ingress"}
) | {"workloads", "apps", "applications", "services", "everything"}
GENERIC_WORKLOAD_WORDS = frozenset(
    {"workload", "workloads", "app", "apps", "application", "applications", "everything"}
)

POD_TEMPLATE_PATHS: dict[str, str] = {
    "Deployment": "spec.template",
    "StatefulSet": "spec.template",
    "DaemonSet": "spec.template",
    "ReplicaSet": "spec.template",
    "Job": "spec.template",
    "CronJob": "spec.jobTemplate.spec.template",
}
"""Where each workload keeps its pod template (a Pod keeps its spec at the top)."""

WORKLOAD_KINDS = frozenset({*POD_TEMPLATE_PATHS, "Pod"})
"""Kinds that run pods: the template kinds and Pod itself."""
SCALABLE_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet"})
"""Kinds with ``spec.replicas`` (and the ``scale`` subresource an autoscaler targets)."""
SELECTOR_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})
"""Kinds whose ``spec.selector`` must match their pod template's labels."""

RESOURCE_NAMES: dict[str, tuple[str, str]] = {
    "Deployment": ("apps", "deployments"),
    "StatefulSet": ("apps", "statefulsets"),
    "DaemonSet": ("apps", "daemonsets"),
    "ReplicaSet": ("apps", "replicasets"),
    "Job": ("batch", "jobs"),
    "CronJob": ("batch", "cronjobs"),
    "Pod": ("", "pods"),
}
"""API group and resource (plural) name of each workload kind, as admission rules name them."""


def pod_spec_path(kind: str) -> str:
    """Path of the PodSpec inside a workload of ``kind`` (``spec`` for a Pod)."""
    template = POD_TEMPLATE_PATHS.get(kind)
    return f"{template}.spec" if template else "spec"


def pod_spec_keys(kind: str) -> tuple[str, ...] | None:
    """Keys from the object down to the PodSpec of ``kind``, or ``None`` for non-workloads."""
    if kind not in WORKLOAD_KINDS:
        return None
    return tuple(pod_spec_path(kind).split("."))


def pod_meta_path(kind: str) -> str | None:
    """Path of the pod template's metadata, or ``None`` for kinds without a template."""
    template = POD_TEMPLATE_PATHS.get(kind)
    return f"{template}.metadata" if template else None
