"""The ValidatingAdmissionPolicy examples of the Kubernetes documentation, as test fixtures.

Source: the page "Validating Admission Policy" (kubernetes.io/docs/reference/access-authn-authz/
validating-admission-policy/) and its example files in the kubernetes/website repository
(content/en/examples/validatingadmissionpolicy/*.yaml and content/en/examples/access/
{validating-admission-policy-audit-annotation, deployment-replicas-policy,
image-matches-namespace-environment.policy, validating-admission-policy-match-conditions}.yaml),
re-typed here as Python data. Changes, each so that a scenario can run in a shared sandbox:
every example is written as admissionregistration.k8s.io/v1 (some pages still show v1alpha1 or
v1beta1); every binding also selects the scenario's own namespaces (label
``kubesmith.dev/vap-docs: <scenario>``) so that no example affects another or the rest of the
test session; the audit-annotation, messageExpression and variables examples get a binding
(the page shows none). Everything else — expressions, messages, the ``namesapce`` typo of the
documentation's ReplicaLimit parameter (so it lands in ``default``), the ``startWith`` typo of the
matchConditions example (a policy the API server refuses) — is as documented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

V1 = "admissionregistration.k8s.io/v1"
LABEL = "kubesmith.dev/vap-docs"
DEPLOYMENTS = [{"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                "resources": ["deployments"]}]  # fmt: skip

REPLICA_LIMIT_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "replicalimits.rules.example.com"},
    "spec": {
        "group": "rules.example.com",
        "names": {"kind": "ReplicaLimit", "plural": "replicalimits", "singular": "replicalimit"},
        "scope": "Namespaced",
        "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
            "openAPIV3Schema": {"type": "object", "properties": {"maxReplicas": {"type": "integer"}}}
        }}],
    },
}  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    """Policies, bindings, parameters and namespaces of one example, and objects to admit."""

    name: str
    policies: list[dict[str, Any]]
    bindings: list[dict[str, Any]]
    namespaces: dict[str, dict[str, str]]
    """Namespace name (without the scenario prefix) → its labels."""
    objects: list[dict[str, Any]]
    params: list[dict[str, Any]] = field(default_factory=list)
    crds: list[dict[str, Any]] = field(default_factory=list)


def policy(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": V1, "kind": "ValidatingAdmissionPolicy", "metadata": {"name": name},
            "spec": {"failurePolicy": "Fail", "matchConstraints": {"resourceRules": DEPLOYMENTS},
                     **spec}}  # fmt: skip


def binding(name: str, policy_name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": V1, "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": name},
            "spec": {"policyName": policy_name, "validationActions": ["Deny"], **spec}}  # fmt: skip


def deployment(name: str, namespace: str, replicas: int, image: str = "nginx",
               labels: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": image}]},
            },
        },
    }


def _replica_params() -> list[dict[str, Any]]:
    return [
        # the documentation's test parameter: "namesapce" (sic), so it is created in default
        {"apiVersion": "rules.example.com/v1", "kind": "ReplicaLimit",
         "metadata": {"name": "replica-limit-test.example.com", "namesapce": "default"},
         "maxReplicas": 3},
        {"apiVersion": "rules.example.com/v1", "kind": "ReplicaLimit",
         "metadata": {"name": "replica-limit-prod.example.com"}, "maxReplicas": 100},
    ]  # fmt: skip


SCENARIOS = [
    Scenario(
        "basic",
        [policy("demo-policy.example.com",
                validations=[{"expression": "object.spec.replicas <= 5"}])],
        [binding("demo-binding-test.example.com", "demo-policy.example.com",
                 matchResources={"namespaceSelector": {"matchLabels": {"environment": "test"}}})],
        {"test": {"environment": "test"}, "prod": {"environment": "prod"}},
        [deployment("small", "test", 3), deployment("big", "test", 7),
         deployment("big", "prod", 7)],
    ),
    Scenario(
        "params",
        [policy("replicalimit-policy.example.com",
                paramKind={"apiVersion": "rules.example.com/v1", "kind": "ReplicaLimit"},
                validations=[{"expression": "object.spec.replicas <= params.maxReplicas",
                              "reason": "Invalid"}])],
        [binding("replicalimit-binding-test.example.com", "replicalimit-policy.example.com",
                 paramRef={"name": "replica-limit-test.example.com", "namespace": "default",
                           "parameterNotFoundAction": "Deny"},
                 matchResources={"namespaceSelector": {"matchLabels": {"environment": "test"}}}),
         binding("replicalimit-binding-nontest", "replicalimit-policy.example.com",
                 paramRef={"name": "replica-limit-prod.example.com", "namespace": "default",
                           "parameterNotFoundAction": "Deny"},
                 matchResources={"namespaceSelector": {"matchExpressions": [
                     {"key": "environment", "operator": "NotIn", "values": ["test"]}]}})],
        {"test": {"environment": "test"}, "prod": {"environment": "prod"}},
        [deployment("four", "test", 4), deployment("three", "test", 3),
         deployment("four", "prod", 4), deployment("many", "prod", 120)],
        params=_replica_params(),
        crds=[REPLICA_LIMIT_CRD],
    ),
    Scenario(
        "message-expression",
        [policy("deploy-replica-policy.example.com",
                paramKind={"apiVersion": "rules.example.com/v1", "kind": "ReplicaLimit"},
                validations=[{"expression": "object.spec.replicas <= params.maxReplicas",
                              "messageExpression": "'object.spec.replicas must be no greater "
                                                   "than ' + string(params.maxReplicas)",
                              "reason": "Invalid"}])],
        [binding("demo-binding-test.example.com", "deploy-replica-policy.example.com",
                 paramRef={"name": "replica-limit-test.example.com", "namespace": "default",
                           "parameterNotFoundAction": "Deny"})],
        {"test": {}},
        [deployment("nginx", "test", 5), deployment("ok", "test", 2)],
        params=_replica_params(),
        crds=[REPLICA_LIMIT_CRD],
    ),
    Scenario(
        "audit-annotation",
        [policy("demo-policy.example.com",
                validations=[{"expression": "object.spec.replicas > 50",
                              "messageExpression": "'Deployment spec.replicas set to ' + "
                                                   "string(object.spec.replicas)"}],
                auditAnnotations=[{"key": "high-replica-count",
                                   "valueExpression": "'Deployment spec.replicas set to ' + "
                                                      "string(object.spec.replicas)"}])],
        [binding("demo-binding.example.com", "demo-policy.example.com")],
        {"test": {}},
        [deployment("few", "test", 3), deployment("many", "test", 128)],
    ),
    Scenario(
        "variables",
        [policy("image-matches-namespace-environment.policy.example.com",
                variables=[
                    {"name": "environment", "expression": "'environment' in namespaceObject."
                     "metadata.labels ? namespaceObject.metadata.labels['environment'] : 'prod'"},
                    {"name": "exempt", "expression": "'exempt' in object.metadata.labels && "
                     "object.metadata.labels['exempt'] == 'true'"},
                    {"name": "containers", "expression": "object.spec.template.spec.containers"},
                    {"name": "containersToCheck", "expression": "variables.containers.filter("
                     "c, c.image.contains('example.com'))"},
                ],
                validations=[{"expression": "variables.exempt || variables.containersToCheck."
                              "all(c, c.image.startsWith(variables.environment + '.'))",
                              "messageExpression": "'only ' + variables.environment + ' images "
                              "are allowed in namespace ' + namespaceObject.metadata.name"}])],
        [binding("image-env.example.com",
                 "image-matches-namespace-environment.policy.example.com")],
        {"staging": {"environment": "staging"}, "unlabelled": {}},
        [deployment("good", "staging", 1, "staging.example.com/app:1"),
         deployment("bad", "staging", 1, "prod.example.com/app:1"),
         deployment("exempt", "staging", 1, "prod.example.com/app:1",
                    {"app": "exempt", "exempt": "true"}),
         deployment("default-prod", "unlabelled", 1, "prod.example.com/app:1"),
         deployment("other-registry", "unlabelled", 1, "nginx:1.27")],
    ),
    Scenario(
        "failure-policy-ignore",
        [policy("ignore.example.com", failurePolicy="Ignore",
                paramKind={"apiVersion": "rules.example.com/v1", "kind": "ReplicaLimit"},
                validations=[{"expression": "object.spec.xyz == params.x"}])],
        [binding("ignore-binding.example.com", "ignore.example.com",
                 paramRef={"name": "replica-limit-prod.example.com", "namespace": "default",
                           "parameterNotFoundAction": "Deny"})],
        {"test": {}},
        [deployment("any", "test", 1)],
        params=_replica_params(),
        crds=[REPLICA_LIMIT_CRD],
    ),
    Scenario(
        "match-conditions",
        [{**policy("demo-policy.example.com",
                   matchConstraints={"resourceRules": [
                       {"apiGroups": ["*"], "apiVersions": ["*"],
                        "operations": ["CREATE", "UPDATE"], "resources": ["*"]}]},
                   matchConditions=[
                       {"name": "exclude-leases", "expression": "!(request.resource.group == "
                        "\"coordination.k8s.io\" && request.resource.resource == \"leases\")"},
                       {"name": "exclude-kubelet-requests",
                        "expression": "!(\"system:nodes\" in request.userInfo.groups)"},
                       {"name": "rbac",
                        "expression": "request.resource.group != \"rbac.authorization.k8s.io\""},
                   ],
                   validations=[{"expression": "object.metadata.name.startWith('demo')"}])}],
        [binding("demo-binding.example.com", "demo-policy.example.com")],
        {"test": {}},
        [deployment("whatever", "test", 1)],
    ),
]  # fmt: skip
