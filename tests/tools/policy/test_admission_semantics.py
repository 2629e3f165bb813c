"""Admission semantics the offline engine must share with kube-apiserver (issue 16).

Each test is a case where kubesmith once disagreed with the API server: matching a binding that
has only selectors, parameter lookup (namespaces, a binding without ``paramRef``,
``failurePolicy: Ignore``) and ``matchPolicy: Equivalent``. The facts come from the
Kubernetes documentation (ValidatingAdmissionPolicy) and kube-apiserver's
``policy/generic/policy_dispatcher.go`` (``CollectParams``) and ``policy/matching``.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from kubesmith.tools.policy.celenv import CelEnvironment
from kubesmith.tools.policy.evaluator import Evaluator, Violation
from kubesmith.tools.policy.loader import load_text
from kubesmith.tools.policy.matching import Kinds
from tests.tools.policy.test_policy_engine import PARAM_POLICY, REPLICAS, deployment, vap

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap"}
PARAM_KIND = {"apiVersion": "v1", "kind": "ConfigMap"}


@pytest.fixture(scope="module")
def env() -> CelEnvironment:
    return CelEnvironment()


def run(env: CelEnvironment, text: str, obj: dict[str, Any], **kwargs: Any) -> list[Violation]:
    policies = load_text(text, "p.yaml", env)
    assert policies.problems == ()
    evaluator = Evaluator(policies, env)
    return evaluator.evaluate(obj, kwargs.get("kinds", Kinds()), kwargs.get("namespaces", {}))


def test_binding_with_only_a_namespace_selector_matches_like_the_docs_example(
    env: CelEnvironment,
) -> None:
    """The documentation's basic example: the binding's matchResources has a namespaceSelector
    and no resourceRules; the API server then matches every resource the policy matches."""
    text = vap(
        "demo",
        REPLICAS,
        binding={"matchResources": {"namespaceSelector": {"matchLabels": {"environment": "test"}}}},
    )
    test_ns = {"shop": {"kind": "Namespace", "metadata": {"name": "shop",
                                                       "labels": {"environment": "test"}}}}  # fmt: skip
    assert [v.policy for v in run(env, text, deployment(), namespaces=test_ns)] == ["demo"]
    assert run(env, text, deployment()) == []  # shop without the label: not selected


def test_binding_with_only_an_object_selector_matches(env: CelEnvironment) -> None:
    text = vap(
        "objsel",
        REPLICAS,
        binding={"matchResources": {"objectSelector": {"matchLabels": {"a": "b"}}}},
    )
    assert len(run(env, text, deployment(labels={"a": "b"}))) == 1
    assert run(env, text, deployment(labels={"a": "c"})) == []


def _param_text(binding: dict[str, Any], *params: dict[str, Any], **spec: Any) -> str:
    text = vap("max", PARAM_POLICY, paramKind=PARAM_KIND, binding=binding, **spec)
    return text + "".join("---\n" + yaml.safe_dump(p) for p in params)


def _limits(n: int, **meta: Any) -> dict[str, Any]:
    return {**CONFIGMAP, "metadata": {"name": "limits", **meta}, "data": {"maxReplicas": str(n)}}


def test_a_param_without_namespace_is_in_default(env: CelEnvironment) -> None:
    text = _param_text({"paramRef": {"name": "limits", "namespace": "default",
                                     "parameterNotFoundAction": "Deny"}}, _limits(1))  # fmt: skip
    assert [v.message for v in run(env, text, deployment(replicas=2))] == ["at most 1 replicas"]
    elsewhere = _param_text({"paramRef": {"name": "limits", "namespace": "other",
                                          "parameterNotFoundAction": "Allow"}}, _limits(1))  # fmt: skip
    assert run(env, elsewhere, deployment(replicas=2)) == []


def test_a_param_ref_without_namespace_looks_in_the_objects_namespace(env: CelEnvironment) -> None:
    binding = {"paramRef": {"name": "limits", "parameterNotFoundAction": "Deny"}}
    text = _param_text(binding, _limits(1, namespace="shop"), _limits(5, namespace="default"))
    assert [v.message for v in run(env, text, deployment(replicas=2))] == ["at most 1 replicas"]
    in_default = deployment(replicas=2, namespace="default")
    assert run(env, text, in_default) == []  # default's limit is 5


def test_a_namespaced_param_ref_on_a_cluster_scoped_object_is_a_configuration_error(
    env: CelEnvironment,
) -> None:
    rules = [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
              "resources": ["namespaces"]}]  # fmt: skip
    text = vap(
        "ns", [{"expression": "params == null || true"}], rules=rules, paramKind=PARAM_KIND,
        binding={"paramRef": {"name": "x", "parameterNotFoundAction": "Allow"}},
    )  # fmt: skip
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    (found,) = run(env, text, namespace)
    assert found.outcome == "error"
    assert "cannot use namespaced paramRef" in found.message


def test_param_kind_without_param_ref_evaluates_with_null_params(env: CelEnvironment) -> None:
    validations = [{"expression": "params == null ? object.spec.replicas >= 2 : true",
                    "message": "no params: at least 2"}]  # fmt: skip
    text = vap("nullp", validations, paramKind=PARAM_KIND)
    assert [(v.outcome, v.message) for v in run(env, text, deployment())] == [
        ("violation", "no params: at least 2")
    ]


@pytest.mark.parametrize(("failure_policy", "expected"), [("Fail", ["error"]), ("Ignore", [])])
def test_missing_params_with_deny_follow_failure_policy(
    env: CelEnvironment, failure_policy: str, expected: list[str]
) -> None:
    text = _param_text(
        {"paramRef": {"name": "absent", "parameterNotFoundAction": "Deny"}},
        failurePolicy=failure_policy,
    )
    found = run(env, text, deployment())
    assert [v.outcome for v in found] == expected
    assert all("no params found" in v.message for v in found)


HPA_V1 = {
    "apiVersion": "autoscaling/v1",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1,
        "maxReplicas": 5,
        "targetCPUUtilizationPercentage": 95,
    },
}
HPA_RULES = [{"apiGroups": ["autoscaling"], "apiVersions": ["v2"], "operations": ["CREATE"],
              "resources": ["horizontalpodautoscalers"]}]  # fmt: skip
HPA_CHECK = [
    {
        "expression": "object.spec.metrics.all(m, m.resource.target.averageUtilization <= 80)",
        "messageExpression": "'cpu target too high, seen as ' + request.kind.version + "
        "' from ' + request.requestKind.version",
    }
]


def test_match_policy_equivalent_converts_the_object_to_the_matched_version(
    env: CelEnvironment,
) -> None:
    """A v2 rule also applies to an autoscaling/v1 HPA (matchPolicy defaults to Equivalent),
    and the policy sees the object as v2."""
    text = vap("hpa", HPA_CHECK, rules=HPA_RULES)
    (found,) = run(env, text, HPA_V1)
    assert found.message == "cpu target too high, seen as v2 from v1"
    exact = vap("hpa", HPA_CHECK, rules=HPA_RULES, match={"matchPolicy": "Exact"})
    assert run(env, exact, HPA_V1) == []


def test_match_policy_equivalent_covers_the_versions_of_a_crd(env: CelEnvironment) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": True}, {"name": "v1beta1", "served": True}],
        },
    }
    rules = [{"apiGroups": ["example.com"], "apiVersions": ["v1"], "operations": ["CREATE"],
              "resources": ["widgets"]}]  # fmt: skip
    checks = [{"expression": "object.apiVersion == 'example.com/v1' && false", "message": "seen"}]
    widget = {"apiVersion": "example.com/v1beta1", "kind": "Widget",
              "metadata": {"name": "w", "namespace": "shop"}}  # fmt: skip
    found = run(env, vap("w", checks, rules=rules), widget, kinds=Kinds.from_objects([crd]))
    assert [v.message for v in found] == ["seen"]
    assert run(env, vap("w", checks, rules=rules), widget) == []  # versions unknown: no match


AUDITED = {
    "auditAnnotations": [
        {"key": "replicas", "valueExpression": "'replicas: ' + string(object.spec.replicas)"},
        {"key": "skipped", "valueExpression": "null"},
        {"key": "broken", "valueExpression": "object.spec.missing.field"},
        {"key": "typed", "valueExpression": "object.spec.replicas"},
    ]
}


@pytest.mark.parametrize("failure_policy", ["Fail", "Ignore"])
def test_audit_annotations_are_evaluated_and_their_errors_follow_failure_policy(
    env: CelEnvironment, failure_policy: str
) -> None:
    text = vap("audited", [], failurePolicy=failure_policy, **AUDITED)
    found = run(env, text, deployment(replicas=3))
    published = [v.message for v in found if v.outcome == "annotation"]
    errors = [v.message for v in found if v.outcome == "error"]
    assert published == ["audit annotation audited/replicas: replicas: 3"]
    if failure_policy == "Ignore":
        assert errors == []
    else:
        assert len(errors) == 2
        assert "valueExpression 'object.spec.missing.field' resulted in error" in errors[0]
        assert (
            "unsupported return type: int. Return type must be either string or null" in errors[1]
        )


def test_a_published_audit_annotation_is_an_info_finding(make_repo: Any) -> None:
    from kubesmith.config import PolicySettings
    from kubesmith.tools.policy import PolicyValidator
    from kubesmith.workspace import Workspace

    text = vap("audited", [], auditAnnotations=AUDITED["auditAnnotations"][:1])
    repo = make_repo(files={"policies/a.yaml": text, "web.yaml": yaml.safe_dump(deployment())})
    findings = PolicyValidator(PolicySettings(packs=(), folders=("policies",)), repo).validate(
        Workspace.load(repo).resources
    )
    assert [(f.severity, f.message, f.file) for f in findings] == [
        ("info", "audit annotation audited/replicas: replicas: 1", "web.yaml")
    ]
