"""Loader and evaluator: admission semantics of ValidatingAdmissionPolicy, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesmith.tools.policy.celenv import CelEnvironment
from kubesmith.tools.policy.evaluator import Evaluator, Violation
from kubesmith.tools.policy.exprs import wrap_variables
from kubesmith.tools.policy.loader import load_folder, load_text
from kubesmith.tools.policy.matching import Kinds


@pytest.fixture(scope="module")
def env() -> CelEnvironment:
    return CelEnvironment()


def vap(
    name: str,
    validations: list[dict[str, Any]],
    *,
    rules: list[dict[str, Any]] | None = None,
    actions: tuple[str, ...] = ("Deny",),
    **spec: Any,
) -> str:
    """A policy and its binding as YAML (what a user would write)."""
    match = spec.pop("match", {})
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {
            "matchConstraints": {
                "resourceRules": rules
                or [
                    {
                        "apiGroups": ["apps"],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["deployments"],
                    }
                ],
                **match,
            },
            "validations": validations,
            **spec,
        },
    }
    binding_spec: dict[str, Any] = {"policyName": name, "validationActions": list(actions)}
    binding_spec.update(spec.pop("binding", {}))
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": f"{name}-binding"},
        "spec": binding_spec,
    }
    return yaml.safe_dump_all([policy, binding], sort_keys=False)


def deployment(name: str = "web", replicas: int = 1, **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", **meta},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "c"}]}}},
    }


def evaluate(env: CelEnvironment, text: str, obj: dict[str, Any], **kwargs: Any) -> list[Violation]:
    policies = load_text(text, "policies.yaml", env)
    assert policies.problems == ()
    evaluator = Evaluator(policies, env, kwargs.pop("overrides", None))
    return evaluator.evaluate(obj, kwargs.pop("kinds", Kinds()), kwargs.pop("namespaces", {}))


REPLICAS = [{"expression": "object.spec.replicas >= 2", "message": "at least 2 replicas"}]


def test_validation_failure_names_policy_binding_index_and_message(env: CelEnvironment) -> None:
    found = evaluate(env, vap("min-replicas", REPLICAS), deployment())
    assert [(v.policy, v.binding, v.index, v.message, v.outcome) for v in found] == [
        ("min-replicas", "min-replicas-binding", 0, "at least 2 replicas", "violation")
    ]
    assert found[0].field_path == "spec.replicas"
    assert evaluate(env, vap("min-replicas", REPLICAS), deployment(replicas=3)) == []


def test_message_expression_wins_and_falls_back_to_message_on_error(env: CelEnvironment) -> None:
    validations = [
        {
            "expression": "object.spec.replicas >= 2",
            "message": "static",
            "messageExpression": "'has ' + string(object.spec.replicas) + ' replica(s)'",
        },
        {
            "expression": "object.spec.replicas >= 5",
            "message": "static fallback",
            "messageExpression": "'uses ' + object.spec.missing",
        },
        {"expression": "object.spec.replicas >= 9"},
    ]
    messages = [v.message for v in evaluate(env, vap("m", validations), deployment())]
    assert messages == [
        "has 1 replica(s)",
        "static fallback",
        "failed expression: object.spec.replicas >= 9",
    ]


def test_variables_are_lazy_and_can_build_on_each_other(env: CelEnvironment) -> None:
    variables = [
        {"name": "broken", "expression": "object.spec.nothing.here"},
        {"name": "containers", "expression": "object.spec.template.spec.containers"},
        {"name": "names", "expression": "variables.containers.map(c, c.name)"},
    ]
    validations = [{"expression": "'c' in variables.names && size(variables.names) == 2"}]
    found = evaluate(env, vap("v", validations, variables=variables), deployment())
    assert [v.outcome for v in found] == ["violation"]  # 'broken' is never evaluated


def test_wrap_variables_binds_only_what_is_used() -> None:
    variables = (
        *(
            type("N", (), {"name": n, "expression": e})()
            for n, e in [("a", "1"), ("b", "variables.a + 1"), ("c", "3")]
        ),
    )
    wrapped = wrap_variables("variables.b > 0", variables)  # type: ignore[arg-type]
    assert (
        "'c'" not in wrapped and "'a': dyn(1)" in wrapped and "'b': dyn(variables.a + 1)" in wrapped
    )


def test_variables_of_different_types_can_be_bound_together(env: CelEnvironment) -> None:
    """An int variable beside a map variable: the bound map must not be typed by its first
    value (it was: 'expression of type int cannot be the operand of a select operation')."""
    variables = [
        {"name": "minimum", "expression": "2"},
        {"name": "spec", "expression": "object.spec"},
    ]
    validations = [{"expression": "variables.spec.replicas >= variables.minimum"}]
    found = evaluate(env, vap("v", validations, variables=variables), deployment())
    assert [v.outcome for v in found] == ["violation"]


@pytest.mark.parametrize(("failure_policy", "expected"), [("Fail", ["error"]), ("Ignore", [])])
def test_runtime_errors_follow_failure_policy(
    env: CelEnvironment, failure_policy: str, expected: list[str]
) -> None:
    validations = [{"expression": "object.spec.strategy.type == 'Recreate'"}]
    text = vap("strategy", validations, failurePolicy=failure_policy)
    found = evaluate(env, text, deployment())
    assert [v.outcome for v in found] == expected
    if found:
        assert "strategy" in found[0].message


def test_non_boolean_result_is_an_error(env: CelEnvironment) -> None:
    found = evaluate(env, vap("nb", [{"expression": "object.spec.replicas"}]), deployment())
    assert [v.outcome for v in found] == ["error"]
    assert "not a bool" in found[0].message


def test_match_conditions_gate_the_validations(env: CelEnvironment) -> None:
    conditions = [{"name": "only-prod", "expression": "object.metadata.name.startsWith('prod-')"}]
    text = vap("mc", REPLICAS, matchConditions=conditions)
    assert evaluate(env, text, deployment("web")) == []
    assert len(evaluate(env, text, deployment("prod-web"))) == 1


def test_resource_rules_groups_versions_names_and_exclusions(env: CelEnvironment) -> None:
    rules = [
        {
            "apiGroups": ["apps"],
            "apiVersions": ["v1"],
            "operations": ["CREATE"],
            "resources": ["deployments"],
            "resourceNames": ["web", "api"],
        }
    ]
    exclude = [
        {
            "apiGroups": ["*"],
            "apiVersions": ["*"],
            "resources": ["*"],
            "operations": ["*"],
            "resourceNames": ["api"],
        }
    ]
    text = vap("r", REPLICAS, rules=rules, match={"excludeResourceRules": exclude})
    assert len(evaluate(env, text, deployment("web"))) == 1
    assert evaluate(env, text, deployment("api")) == []  # excluded
    assert evaluate(env, text, deployment("other")) == []  # not named
    stateful = {**deployment(), "kind": "StatefulSet"}
    assert evaluate(env, text, stateful) == []
    update_only = vap("u", REPLICAS, rules=[{**rules[0], "operations": ["UPDATE"]}])
    assert evaluate(env, update_only, deployment("web")) == []  # offline objects are CREATEs


def test_custom_resources_match_by_crd_plural(env: CelEnvironment) -> None:
    crd = {
        "kind": "CustomResourceDefinition",
        "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgetz"}},
    }
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
              "spec": {"size": 0}}  # fmt: skip
    rules = [{"apiGroups": ["example.com"], "apiVersions": ["*"], "operations": ["*"],
              "resources": ["widgetz"]}]  # fmt: skip
    text = vap("w", [{"expression": "object.spec.size > 0"}], rules=rules)
    assert evaluate(env, text, widget) == []  # without the CRD the plural would be "widgets"
    assert len(evaluate(env, text, widget, kinds=Kinds.from_objects([crd]))) == 1


def test_object_and_namespace_selectors(env: CelEnvironment) -> None:
    selectors = {
        "objectSelector": {
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]
        },
        "namespaceSelector": {"matchLabels": {"env": "prod"}},
    }
    text = vap("sel", REPLICAS, match=selectors)
    prod = {"shop": {"kind": "Namespace", "metadata": {"name": "shop", "labels": {"env": "prod"}}}}
    web = deployment(labels={"tier": "web"})
    assert len(evaluate(env, text, web, namespaces=prod)) == 1
    assert evaluate(env, text, web) == []  # the namespace's labels are unknown: not prod
    assert evaluate(env, text, deployment(labels={"tier": "db"}), namespaces=prod) == []


PARAM_POLICY = [
    {
        "expression": "object.spec.replicas <= int(params.data.maxReplicas)",
        "messageExpression": "'at most ' + params.data.maxReplicas + ' replicas'",
    }
]
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap"}


def test_params_from_a_file_by_name_and_from_overrides(env: CelEnvironment) -> None:
    param = {**CONFIGMAP, "metadata": {"name": "limits", "namespace": "policy"},
             "data": {"maxReplicas": "3"}}  # fmt: skip
    text = vap(
        "max",
        PARAM_POLICY,
        paramKind={"apiVersion": "v1", "kind": "ConfigMap"},
        binding={
            "paramRef": {"name": "limits", "namespace": "policy", "parameterNotFoundAction": "Deny"}
        },
    )
    text += "---\n" + yaml.safe_dump(param)
    assert evaluate(env, text, deployment(replicas=3)) == []
    assert [v.message for v in evaluate(env, text, deployment(replicas=5))] == [
        "at most 3 replicas"
    ]
    found = evaluate(env, text, deployment(replicas=3), overrides={"max": {"maxReplicas": 2}})
    assert [v.message for v in found] == ["at most 2 replicas"]


def test_params_selected_by_labels_evaluate_once_each(env: CelEnvironment) -> None:
    params = [
        {**CONFIGMAP, "metadata": {"name": f"p{n}", "labels": {"use": "yes"}},
         "data": {"maxReplicas": str(n)}}
        for n in (1, 2)
    ]  # fmt: skip
    text = vap(
        "sel",
        PARAM_POLICY,
        paramKind={"apiVersion": "v1", "kind": "ConfigMap"},
        binding={
            "paramRef": {
                "selector": {"matchLabels": {"use": "yes"}},
                "parameterNotFoundAction": "Deny",
            }
        },
    )
    text += "".join("---\n" + yaml.safe_dump(p) for p in params)
    # Parameters written without a namespace are created in `default`, and a paramRef without
    # a namespace looks in the admitted object's own namespace (kube-apiserver's CollectParams).
    assert [
        v.message for v in evaluate(env, text, deployment(replicas=2, namespace="default"))
    ] == ["at most 1 replicas"]


@pytest.mark.parametrize(("action", "expected"), [("Allow", []), ("Deny", ["error"])])
def test_missing_params_follow_parameter_not_found_action(
    env: CelEnvironment, action: str, expected: list[str]
) -> None:
    text = vap(
        "missing",
        PARAM_POLICY,
        paramKind={"apiVersion": "v1", "kind": "ConfigMap"},
        binding={"paramRef": {"name": "absent", "parameterNotFoundAction": action}},
    )
    assert [v.outcome for v in evaluate(env, text, deployment())] == expected


def test_validation_actions_are_carried_to_findings(env: CelEnvironment) -> None:
    found = evaluate(env, vap("warn", REPLICAS, actions=("Warn", "Audit")), deployment())
    assert found[0].actions == ("Warn", "Audit")


def test_syntax_error_names_file_line_and_column_and_others_still_load(
    env: CelEnvironment,
) -> None:
    broken = vap("broken", [{"expression": "object.spec.replicas >= "}])
    text = broken + "---\n" + vap("fine", REPLICAS)
    policies = load_text(text, "team/policies.yaml", env)
    assert [p.name for p in policies.policies] == ["fine"]
    (problem,) = policies.problems
    assert problem.file == "team/policies.yaml"
    assert problem.policy == "broken"
    expression_line = text.splitlines().index("  - expression: 'object.spec.replicas >= '") + 1
    assert problem.line == expression_line
    assert "spec.validations[0].expression at expression line 1, column 25" in problem.message


def test_type_error_and_bad_shape_are_problems_too(env: CelEnvironment) -> None:
    text = vap("typed", [{"expression": "object.spec.replicas + 'x' == 1"}])
    text += "---\n" + yaml.safe_dump(
        {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
         "metadata": {"name": "shapeless"}, "spec": {"validations": []}}
    )  # fmt: skip
    text += "---\nkind: [unclosed\n"
    problems = load_text(text, "p.yaml", env).problems
    assert [p.policy for p in problems[:2]] == ["typed", "shapeless"]
    assert "no matching overload" in problems[0].message
    assert "spec.matchConstraints: Required value" in problems[1].message
    assert "validations or auditAnnotations must contain at least one item" in problems[2].message
    assert "invalid YAML" in problems[3].message


def test_yaml_timestamps_reach_cel_as_strings(env: CelEnvironment) -> None:
    obj = deployment()
    obj["metadata"]["annotations"] = {"built": yaml.safe_load("2024-01-02")}
    validations = [{"expression": "object.metadata.annotations.built == '2024-01-02'"}]
    assert evaluate(env, vap("ts", validations), obj) == []


def test_bad_binding_is_a_problem_and_its_policy_stays_unbound(env: CelEnvironment) -> None:
    text = vap("b", REPLICAS, actions=("Reject",))
    policies = load_text(text, "b.yaml", env)
    assert [p.message for p in policies.problems] == [
        "ValidatingAdmissionPolicyBinding b-binding: spec.validationActions[0]: "
        "Unsupported value: 'Reject'"
    ]
    evaluator = Evaluator(policies, env)
    assert [p.name for p in evaluator.unbound] == ["b"]
    assert evaluator.evaluate(deployment(), Kinds(), {}) == []


def test_override_for_a_custom_param_kind_is_the_object_itself(env: CelEnvironment) -> None:
    validations = [{"expression": "object.spec.replicas <= params.spec.max"}]
    text = vap(
        "custom",
        validations,
        paramKind={"apiVersion": "example.com/v1", "kind": "ReplicaLimit"},
        binding={"paramRef": {"name": "limit", "parameterNotFoundAction": "Deny"}},
    )
    overrides = {"custom": {"spec": {"max": 0}}}
    found = evaluate(env, text, deployment(), overrides=overrides)
    assert [v.outcome for v in found] == ["violation"]


def test_folder_loading_reports_paths_relative_to_the_repository(
    env: CelEnvironment, tmp_path: Path
) -> None:
    folder = tmp_path / "policies" / "team"
    folder.mkdir(parents=True)
    (folder / "a.yaml").write_text(vap("a", REPLICAS))
    (folder / "b.yml").write_text(vap("b", [{"expression": "object.spec.replicas >"}]))
    (folder / "c.yaml").write_bytes(b"\xff\xfe not text")
    loaded = load_folder(tmp_path / "policies", tmp_path, env)
    assert [p.name for p in loaded.policies] == ["a"]
    assert [(p.file, p.policy) for p in loaded.problems] == [
        ("policies/team/b.yml", "b"),
        ("policies/team/c.yaml", None),
    ]


@pytest.mark.parametrize(("failure_policy", "expected"), [("Fail", 1), ("Ignore", 0)])
def test_authorizer_checks_compile_and_fail_at_run_time(
    env: CelEnvironment, failure_policy: str, expected: int
) -> None:
    check = "authorizer.group('apps').resource('deployments').check('delete').allowed()"
    text = vap("authz", [{"expression": check}], failurePolicy=failure_policy)
    found = evaluate(env, text, deployment())
    assert len(found) == expected
    if found:
        assert "authorizer is not available offline" in found[0].message


def test_policy_folder_documents_are_read_as_kubectl_reads_them(env: CelEnvironment) -> None:
    """A parameter written ``window: 12:30`` is the text ``"12:30"`` to the API server
    (go-yaml v2); PyYAML read it as 750 (base 60)."""
    text = vap(
        "window",
        [{"expression": "string(params.data.window) == '12:30'", "message": "wrong window"}],
        paramKind={"apiVersion": "v1", "kind": "ConfigMap"},
        binding={
            "paramRef": {"name": "w", "namespace": "policy", "parameterNotFoundAction": "Deny"}
        },
    )
    text += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: w, namespace: policy}\n"
    text += "data:\n  window: 12:30\n"
    assert evaluate(env, text, deployment(replicas=3)) == []
