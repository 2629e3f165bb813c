"""Policies and bindings the API server accepts or refuses to create, one document each.

The expected verdicts are kube-apiserver's (``pkg/apis/admissionregistration/validation`` after
the v1 defaults, and the CEL environment of ``apiserver/pkg/cel/environment``); the offline
loader must reach the same verdict on each, and ``test_broken_policies`` checks both against a
real API server when the sandbox binaries are built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GROUP_VERSION = "admissionregistration.k8s.io/v1"
RULES = [{"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
          "resources": ["deployments"]}]  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One document and whether the API server accepts it."""

    name: str
    doc: dict[str, Any]
    accepted: bool
    why: str = ""
    """The field the server (and kubesmith) names when refusing."""


def policy(name: str, api_version: str = GROUP_VERSION, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "matchConstraints": {"resourceRules": RULES},
        "validations": [{"expression": "object.spec.replicas >= 1"}],
    }
    body.update(spec)
    return {"apiVersion": api_version, "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": name}, "spec": body}  # fmt: skip


def binding(name: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"policyName": "some-policy", "validationActions": ["Deny"]}
    body.update(spec)
    return {"apiVersion": GROUP_VERSION, "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": name}, "spec": body}  # fmt: skip


def check(expression: str) -> list[dict[str, Any]]:
    return [{"expression": expression}]


PARAM_KIND = {"apiVersion": "v1", "kind": "ConfigMap"}

CASES = [
    Case("valid", policy("valid"), True),
    Case("params-with-param-kind",
         policy("params-ok", paramKind=PARAM_KIND,
                validations=check("params == null || object.spec.replicas <= 5")), True),
    Case("params-without-param-kind",
         policy("params-no-kind", validations=check("object.spec.replicas <= params.max")),
         False, "spec.validations[0].expression"),
    Case("wrong-version", policy("v1beta9", api_version="admissionregistration.k8s.io/v1beta9"),
         False, "apiVersion"),
    Case("wrong-group", policy("wrong-group", api_version="admission.k8s.io/v1"),
         False, "apiVersion"),
    Case("syntax-error", policy("syntax", validations=check("object.spec.replicas >=")),
         False, "spec.validations[0].expression"),
    Case("type-error", policy("typed", validations=check("object.spec.replicas + 'x' == 1")),
         False, "spec.validations[0].expression"),
    Case("no-resource-rules",
         policy("no-rules", matchConstraints={"namespaceSelector": {"matchLabels": {"a": "b"}}}),
         False, "spec.matchConstraints.resourceRules"),
    Case("rule-without-operations",
         policy("no-ops", matchConstraints={"resourceRules": [
             {"apiGroups": ["apps"], "apiVersions": ["v1"], "resources": ["deployments"]}]}),
         False, "spec.matchConstraints.resourceRules[0].operations"),
    Case("unknown-operation",
         policy("bad-op", matchConstraints={"resourceRules": [{**RULES[0], "operations": ["PATCH"]}]}),
         False, "spec.matchConstraints.resourceRules[0].operations[0]"),
    Case("bad-match-policy",
         policy("bad-mp", matchConstraints={"resourceRules": RULES, "matchPolicy": "Fuzzy"}),
         False, "spec.matchConstraints.matchPolicy"),
    Case("no-validations", policy("empty", validations=[]), False, "spec.validations"),
    Case("bad-failure-policy", policy("bad-fp", failurePolicy="Sometimes"),
         False, "spec.failurePolicy"),
    Case("bad-reason",
         policy("bad-reason", validations=[{"expression": "true", "reason": "Teapot"}]),
         False, "spec.validations[0].reason"),
    Case("message-with-line-break",
         policy("multiline", validations=[{"expression": "true", "message": "one\ntwo"}]),
         False, "spec.validations[0].message"),
    Case("authorizer-in-message-expression",
         policy("authz-msg", validations=[{"expression": "true",
                                           "messageExpression": "string(authorizer.group('apps'))"}]),
         False, "spec.validations[0].messageExpression"),
    Case("undefined-variable",
         policy("undef-var", variables=[{"name": "spec", "expression": "object.spec"}],
                validations=check("variables.missing.replicas > 0")),
         False, "spec.validations[0].expression"),
    Case("variables-in-match-condition",
         policy("var-in-mc", variables=[{"name": "spec", "expression": "object.spec"}],
                matchConditions=[{"name": "has-spec", "expression": "variables.spec != null"}]),
         False, "spec.matchConditions[0].expression"),
    Case("bad-match-condition-name",
         policy("bad-mc-name", matchConditions=[{"name": "has space", "expression": "true"}]),
         False, "spec.matchConditions[0].name"),
    Case("bad-param-kind", policy("bad-pk", paramKind={"apiVersion": "v1"}),
         False, "spec.paramKind.kind"),
    Case("audit-annotation",
         policy("audited", validations=[],
                auditAnnotations=[{"key": "replicas", "valueExpression": "string(object.spec.replicas)"}]),
         True),
    Case("cross-type-numeric-comparison",
         policy("cross", validations=check("object.spec.replicas < 2.5 && 1 < 2.5")), True),
    Case("list-index-of", policy("index-of", validations=check("[1, 2].indexOf(2) == 1")), True),
    Case("ip-to-string", policy("ip-string", validations=check("string(ip('10.0.0.1')) != ''")),
         True),
    Case("semver", policy("semver", validations=check(
        "isSemver('1.2.3') && semver('1.2.3').isLessThan(semver('1.10.0'))")), True),
    # the image library is newer than Kubernetes 1.34: its API server refuses it
    Case("image", policy("image", validations=check("isImage('nginx')")), False,
         "spec.validations[0].expression"),
    Case("sets", policy("sets", validations=check("sets.contains([1, 2], [1])")), True),
    Case("two-variable-comprehension",
         policy("two-var", validations=check(
             "object.metadata.?labels.orValue({}).all(k, v, k != '' && v != 'x')")), True),
    Case("binding-valid", binding("binding-valid"), True),
    Case("binding-for-a-missing-policy", binding("orphan", policyName="no-such-policy"), True),
    Case("binding-deny-and-warn", binding("deny-warn", validationActions=["Deny", "Warn"]),
         False, "spec.validationActions"),
    Case("binding-unknown-action", binding("bad-action", validationActions=["Reject"]),
         False, "spec.validationActions[0]"),
    Case("binding-name-and-selector",
         binding("name-sel", paramRef={"name": "p", "selector": {},
                                        "parameterNotFoundAction": "Deny"}),
         False, "spec.paramRef.name"),
    Case("binding-param-ref-without-not-found-action",
         binding("no-action", paramRef={"name": "p"}),
         False, "spec.paramRef.parameterNotFoundAction"),
    Case("binding-param-ref-with-action",
         binding("with-action", paramRef={"name": "p", "parameterNotFoundAction": "Allow"}), True),
    Case("binding-only-selectors",
         binding("selectors", matchResources={"namespaceSelector": {"matchLabels": {"a": "b"}}}),
         True),
]  # fmt: skip
