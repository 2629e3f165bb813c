"""Kubernetes kinds as people write them, and where each kind keeps its pod template."""

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
SCALABLE_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet"})
SELECTOR_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})


def pod_spec_path(kind: str) -> str:
    """Path of the PodSpec inside a workload of ``kind`` (``spec`` for a Pod)."""
    template = POD_TEMPLATE_PATHS.get(kind)
    return f"{template}.spec" if template else "spec"


def pod_meta_path(kind: str) -> str | None:
    """Path of the pod template's metadata, or ``None`` for kinds without a template."""
    template = POD_TEMPLATE_PATHS.get(kind)
    return f"{template}.metadata" if template else None
