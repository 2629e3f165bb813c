"""Approved rules as ValidatingAdmissionPolicies, so a convention also holds for humans' PRs.

Planners apply approved rules when they build a change (:mod:`kubesmith.agent.learning`); the
policy engine enforces the same rules on every manifest, whoever wrote it. Each rule becomes one
``ValidatingAdmissionPolicy`` (CEL) plus its ``ValidatingAdmissionPolicyBinding`` with the
``Deny`` action. The YAML works with kubesmith's offline policy engine (put it in a folder named
in ``policy.folders``) and with a real API server (``kubectl apply -f``).
"""

from __future__ import annotations

from typing import Any

import yaml

from kubesmith.agent.predicates import (
    FieldPredicate,
    cel_expression,
    cel_string,
    describe,
    resource_rules,
)
from kubesmith.kinds import RESOURCE_NAMES, SCALABLE_KINDS
from kubesmith.store.records import Rule

GROUP_VERSION = "admissionregistration.k8s.io/v1"
OPS = ["CREATE", "UPDATE"]

_WORKLOADS = [
    {"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": OPS,
     "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"]},
    {"apiGroups": ["batch"], "apiVersions": ["v1"], "operations": OPS,
     "resources": ["jobs", "cronjobs"]},
]  # fmt: skip
_PODS = [{"apiGroups": [""], "apiVersions": ["v1"], "operations": OPS, "resources": ["pods"]}]
_SERVICES = [
    {"apiGroups": [""], "apiVersions": ["v1"], "operations": OPS, "resources": ["services"]}
]
_SCALABLE = [
    {"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": OPS,
     "resources": sorted(RESOURCE_NAMES[k][1] for k in SCALABLE_KINDS)},
]  # fmt: skip

_CONTAINERS = [
    {
        "name": "podSpec",
        "expression": (
            "object.kind == 'Pod' ? object.?spec.orValue({}) : "
            "object.kind == 'CronJob' ? "
            "object.?spec.?jobTemplate.?spec.?template.?spec.orValue({}) : "
            "object.?spec.?template.?spec.orValue({})"
        ),
    },
    {
        "name": "containers",
        "expression": (
            "variables.podSpec.?containers.orValue([]) + "
            "variables.podSpec.?initContainers.orValue([])"
        ),
    },
]


def _meta_rule(rule: Rule, field: str) -> tuple[list[dict[str, Any]], str, str]:
    key = str(rule.params["key"])
    value = rule.params.get("value")
    has = f"{cel_string(key)} in object.?metadata.?{field}.orValue({{}})"
    expr = has
    what = f"{field[:-1]} {key}"
    if value:
        expr = f"{has} && object.metadata.{field}[{cel_string(key)}] == {cel_string(str(value))}"
        what = f"{field[:-1]} {key}={value}"
    return _WORKLOADS + _SERVICES, expr, f"must carry the {what}"


def _memory_rule() -> tuple[list[dict[str, Any]], str, str]:
    expr = (
        "variables.containers.all(c, !('memory' in c.?resources.?requests.orValue({})) || "
        "('memory' in c.?resources.?limits.orValue({}) && "
        "quantity(string(c.resources.limits.memory)).compareTo("
        "quantity(string(c.resources.requests.memory))) == 0))"
    )
    return _WORKLOADS + _PODS, expr, "every container's memory limit must equal its memory request"


def _registry_rule(rule: Rule) -> tuple[list[dict[str, Any]], str, str]:
    registry = str(rule.params["registry"])
    if registry == "docker.io":
        from_hub = (
            "c.image.startsWith('docker.io/') || c.image.startsWith('index.docker.io/') || "
            "!c.image.matches('^([^/]*[.:][^/]*|localhost)/')"
        )
        expr = f"variables.containers.all(c, !({from_hub}))"
    else:
        expr = f"variables.containers.all(c, !c.image.startsWith({cel_string(registry + '/')}))"
    instead = rule.params.get("replacement")
    hint = f" (use {instead})" if instead else ""
    return _WORKLOADS + _PODS, expr, f"images must not come from {registry}{hint}"


def _expression(rule: Rule) -> tuple[list[dict[str, Any]], str, str] | None:
    if rule.kind == "required_label":
        return _meta_rule(rule, "labels")
    if rule.kind == "required_annotation":
        return _meta_rule(rule, "annotations")
    if rule.kind == "memory_limit_equals_request":
        return _memory_rule()
    if rule.kind == "forbidden_registry":
        return _registry_rule(rule)
    if rule.kind == "min_replicas":
        n = int(rule.params["n"])
        expr = f"object.?spec.?replicas.orValue(1) >= {n}"
        return _SCALABLE, expr, f"must run at least {n} replicas"
    if rule.kind == "no_latest_tag":
        expr = (
            "variables.containers.all(c, c.image.contains('@') || "
            "(c.image.matches(':[^/:]+$') && !c.image.endsWith(':latest')))"
        )
        return _WORKLOADS + _PODS, expr, "images must be pinned to a tag other than latest"
    if rule.kind == "field_predicate":
        pred = FieldPredicate.from_params(rule.params)
        return resource_rules(pred, OPS), cel_expression(pred), describe(pred).rstrip(".")
    if rule.kind == "image_pull_policy":
        policy = str(rule.params["policy"])
        expr = (
            f"variables.containers.all(c, c.?imagePullPolicy.orValue('') == {cel_string(policy)})"
        )
        return _WORKLOADS + _PODS, expr, f"containers must set imagePullPolicy: {policy}"
    return None


def not_expressible(rules: list[Rule]) -> list[Rule]:
    """The rules no admission policy can express (``pdb_required`` needs a second object)."""
    return [r for r in rules if _expression(r) is None]


def rules_to_policies(rules: list[Rule]) -> list[dict[str, Any]]:
    """One policy and one binding per rule whose kind can be expressed in CEL.

    Pass approved rules: candidates are not conventions yet. A rule about another object
    (``pdb_required``) has no policy (admission sees one object at a time): see
    :func:`not_expressible`; planners still apply it.
    """
    out: list[dict[str, Any]] = []
    for rule in rules:
        spec = _expression(rule)
        if spec is None:
            continue
        resource_rules, expression, message = spec
        name = f"kubesmith-learned-{rule.kind.replace('_', '-')}-{rule.id.removeprefix('r-')}"
        uses_containers = "variables." in expression
        policy_spec: dict[str, Any] = {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": resource_rules},
        }
        if uses_containers:
            policy_spec["variables"] = _CONTAINERS
        policy_spec["validations"] = [
            {"expression": expression, "message": f"{message} (learned rule {rule.id})"}
        ]
        out.append(
            {
                "apiVersion": GROUP_VERSION,
                "kind": "ValidatingAdmissionPolicy",
                "metadata": {
                    "name": name,
                    "annotations": {
                        "kubesmith.dev/rule": rule.id,
                        "kubesmith.dev/description": rule.description,
                        "kubesmith.dev/evidence": str(rule.support),
                    },
                },
                "spec": policy_spec,
            }
        )
        out.append(
            {
                "apiVersion": GROUP_VERSION,
                "kind": "ValidatingAdmissionPolicyBinding",
                "metadata": {"name": name},
                "spec": {"policyName": name, "validationActions": ["Deny"]},
            }
        )
    return out


def policies_yaml(rules: list[Rule]) -> str:
    """:func:`rules_to_policies` as one multi-document YAML text with a header comment."""
    docs = rules_to_policies(rules)
    header = (
        "# Generated by `kubesmith rules policy` from approved learned rules; edit the rules, not\n"
        "# this file. kubesmith's policy engine loads it from a folder in policy.folders.\n"
    )
    body = yaml.safe_dump_all(docs, sort_keys=False, width=100) if docs else ""
    return header + ("---\n" + body if body else "")
