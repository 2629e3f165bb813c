"""General conventions: predicates on field paths, read from words and edits, applied, enforced.

The Python check (what planners and the simulated reviewer use) and the generated
ValidatingAdmissionPolicy evaluated by the offline CEL engine must agree on every manifest;
the sandbox API server's agreement is in ``test_general_conventions_sandbox.py``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from kubesmith.agent.conventions import mine, rule_id
from kubesmith.agent.learning import apply_rules
from kubesmith.agent.predicates import FieldPredicate, cel_expression, params_of, violations
from kubesmith.agent.rule_policies import not_expressible, policies_yaml, rules_to_policies
from kubesmith.config import PolicySettings
from kubesmith.model import (
    AddResource,
    Change,
    ChangeSet,
    Outcome,
    PullRequest,
    ResourceRef,
    SetField,
)
from kubesmith.store.records import Rule
from kubesmith.tools.policy.validator import PolicyValidator
from kubesmith.workspace import Workspace

CHECKOUT = ResourceRef("apps/v1", "Deployment", "checkout")

EXAMPLES: dict[str, dict[str, Any]] = {
    "topology spread": params_of("pod", "topologySpreadConstraints", "present"),
    "no hostPath": params_of("pod", "volumes[*].hostPath", "forbidden"),
    "cpu limit set": params_of("containers", "resources.limits.cpu", "present"),
    "cpu limit at most 1": params_of("containers", "resources.limits.cpu", "lte", "1"),
    "readiness probe": params_of("containers", "readinessProbe", "present"),
    "startup probe": params_of("containers", "startupProbe", "present"),
    "internal registry only": params_of("containers", "image", "matches", "^registry\\.internal/"),
    "namespace naming": params_of("object", "metadata.name", "matches", "^team-"),
    "not privileged": params_of("containers", "securityContext.privileged", "forbidden", True),
    "non-root": params_of("pod", "securityContext.runAsNonRoot", "equals", True),
    "grace period": params_of("pod", "terminationGracePeriodSeconds", "gte", 30),
    "priority class": params_of("pod", "priorityClassName", "one_of", ["high", "medium"]),
}


def rule(params: dict[str, Any], kind: str = "field_predicate") -> Rule:
    return Rule(rule_id(kind, params), kind, params, kind, "approved")


def deployment(**pod: Any) -> dict[str, Any]:
    container = {"name": "app", "image": "registry.internal/shop/app:1.0"}
    container.update(pod.pop("container", {}))
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app", "labels": {"app": "app"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "app"}},
            "template": {
                "metadata": {"labels": {"app": "app"}},
                "spec": {"containers": [container], **pod},
            },
        },
    }


OBJECTS: dict[str, dict[str, Any]] = {
    "bare": deployment(),
    "spread, probe, limits": deployment(
        topologySpreadConstraints=[
            {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}
        ],
        container={
            "readinessProbe": {"tcpSocket": {"port": 80}},
            "resources": {"limits": {"cpu": "500m"}},
        },
    ),
    "big cpu": deployment(container={"resources": {"limits": {"cpu": 2}}}),
    "hostPath": deployment(
        volumes=[{"name": "v", "emptyDir": {}}, {"name": "h", "hostPath": {"path": "/var"}}]
    ),
    "emptyDir only": deployment(volumes=[{"name": "v", "emptyDir": {}}]),
    "docker hub": deployment(container={"image": "docker.io/library/nginx:1.25"}),
    "privileged": deployment(container={"securityContext": {"privileged": True}}),
    "unprivileged": deployment(container={"securityContext": {"privileged": False}}),
    "non-root, grace 60": deployment(
        securityContext={"runAsNonRoot": True}, terminationGracePeriodSeconds=60
    ),
    "grace 10, priority low": deployment(terminationGracePeriodSeconds=10, priorityClassName="low"),
    "priority high": deployment(priorityClassName="high"),
    "ns team": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-shop"}},
    "ns other": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
}


@pytest.fixture
def engine(tmp_path: Path) -> tuple[PolicyValidator, dict[str, str]]:
    rules = [rule(p) for p in EXAMPLES.values()]
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "learned.yaml").write_text(policies_yaml(rules))
    validator = PolicyValidator(PolicySettings(packs=(), folders=("policies",)), tmp_path)
    assert validator.problems == []
    names = {name: r.id.removeprefix("r-") for name, r in zip(EXAMPLES, rules, strict=True)}
    return validator, names


class _Doc:
    def __init__(self, name: str, obj: dict[str, Any]) -> None:
        self.file = f"{name}.yaml"
        self.obj = obj
        self.ref = ResourceRef.from_object(obj)
        self.line = 1

    def line_of(self, path: Any) -> int:
        del path
        return 1


@pytest.mark.parametrize("obj_name", list(OBJECTS))
def test_python_check_and_offline_policy_agree(
    engine: tuple[PolicyValidator, dict[str, str]], obj_name: str
) -> None:
    validator, names = engine
    obj = OBJECTS[obj_name]
    expected = {n for n, p in EXAMPLES.items() if violations(FieldPredicate.from_params(p), obj)}
    findings = validator.validate([_Doc(obj_name, obj)])
    assert not [f for f in findings if f.severity == "error" and "evaluat" in f.message.lower()]
    fired = {n for n, short in names.items() for f in findings if f.rule and short in f.rule}
    assert fired == expected


def test_the_checks_are_not_vacuous() -> None:
    broken = {
        (n, o)
        for n, p in EXAMPLES.items()
        for o, obj in OBJECTS.items()
        if violations(FieldPredicate.from_params(p), obj)
    }
    assert ("no hostPath", "hostPath") in broken
    assert ("no hostPath", "emptyDir only") not in broken
    assert ("cpu limit at most 1", "big cpu") in broken
    assert ("cpu limit at most 1", "spread, probe, limits") not in broken
    assert ("internal registry only", "docker hub") in broken
    assert ("namespace naming", "ns other") in broken
    assert ("namespace naming", "ns team") not in broken
    assert ("not privileged", "unprivileged") not in broken
    assert ("priority class", "priority high") not in broken
    assert ("priority class", "grace 10, priority low") in broken


def test_cel_of_a_list_wildcard_checks_every_item() -> None:
    pred = FieldPredicate.from_params(EXAMPLES["no hostPath"])
    assert cel_expression(pred) == (
        "variables.podSpec.?volumes.orValue([]).all(x0, !x0.?hostPath.hasValue())"
    )


def test_namespace_policy_selects_namespaces_only() -> None:
    (policy, binding) = rules_to_policies([rule(EXAMPLES["namespace naming"])])
    assert policy["spec"]["matchConstraints"]["resourceRules"] == [
        {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
         "resources": ["namespaces"]}
    ]  # fmt: skip
    assert "variables" not in policy["spec"]
    assert binding["spec"]["validationActions"] == ["Deny"]


def test_a_pdb_rule_has_no_policy_and_is_reported() -> None:
    pdb = rule({}, "pdb_required")
    assert rules_to_policies([pdb]) == []
    assert not_expressible([pdb, rule(EXAMPLES["readiness probe"])]) == [pdb]


# ---------------------------------------------------------------- applying


def test_apply_rules_adds_a_default_topology_spread_and_an_equals_value(
    example_repo: Path,
) -> None:
    ws = Workspace.load(example_repo)
    rules = [rule(EXAMPLES["topology spread"]), rule(EXAMPLES["non-root"])]
    cs = apply_rules(ChangeSet("scale", (SetField(CHECKOUT, "spec.replicas", 3),)), ws, rules)
    added = {e.path: e.value for e in cs.edits[1:] if isinstance(e, SetField)}
    spread = added["spec.template.spec.topologySpreadConstraints"]
    assert spread[0]["topologyKey"] == "topology.kubernetes.io/zone"
    selector = ws.get(CHECKOUT).obj["spec"]["selector"]
    assert spread[0]["labelSelector"] == {"matchLabels": selector["matchLabels"]}
    assert added["spec.template.spec.securityContext.runAsNonRoot"] is True
    ws.apply(cs)
    assert "topologySpreadConstraints" in ws.diff()


def test_apply_rules_notes_what_a_person_must_choose(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    cs = apply_rules(
        ChangeSet("scale", (SetField(CHECKOUT, "spec.replicas", 3),)),
        ws,
        [rule(EXAMPLES["startup probe"])],
    )
    assert len(cs.edits) == 1
    assert "startupProbe: a person must choose" in cs.rationale


def test_apply_rules_never_overrides_what_the_intent_sets(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    path = "spec.template.spec.terminationGracePeriodSeconds"
    cs = apply_rules(
        ChangeSet("grace", (SetField(CHECKOUT, path, 5),)), ws, [rule(EXAMPLES["grace period"])]
    )
    assert cs.edits == (SetField(CHECKOUT, path, 5),)
    assert "the change sets it" in cs.rationale


def test_pdb_rule_adds_a_budget_next_to_a_scaled_workload(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    target = next(
        d for d in ws.find(kind="Deployment")
        if not any(p.obj.get("spec", {}).get("selector", {}).get("matchLabels")
                   == d.obj["spec"]["selector"]["matchLabels"]
                   for p in ws.find(kind="PodDisruptionBudget"))
    )  # fmt: skip
    cs = apply_rules(
        ChangeSet("scale", (SetField(target.ref, "spec.replicas", 3),)),
        ws,
        [rule({}, "pdb_required")],
    )
    (budget,) = [e for e in cs.edits if isinstance(e, AddResource)]
    assert budget.file == target.file
    assert (
        budget.manifest["spec"]["selector"]["matchLabels"]
        == (target.obj["spec"]["selector"]["matchLabels"])
    )
    # one replica: a budget would block drains, so none is added
    one = apply_rules(
        ChangeSet("scale", (SetField(target.ref, "spec.replicas", 1),)),
        ws,
        [rule({}, "pdb_required")],
    )
    assert not [e for e in one.edits if isinstance(e, AddResource)]


# ---------------------------------------------------------------- learning


def _outcome(pid: str, reason: str = "", diff: str = "") -> Outcome:
    return Outcome(pid, PullRequest("local", pid, "", "rejected"), "rejected", reason,
                   follow_up_diff=diff)  # fmt: skip


PROBE_EDIT = """diff --git a/base/{name}.yaml b/base/{name}.yaml
--- a/base/{name}.yaml
+++ b/base/{name}.yaml
@@ -14,6 +14,10 @@ spec:
   template:
     spec:
       containers:
         - name: {name}
           image: registry.internal/shop/{name}:1.0
+          readinessProbe:
+            httpGet:
+              path: /healthz
+              port: 8080
           resources:
"""


def test_an_edit_made_to_several_proposals_becomes_a_candidate_with_its_value() -> None:
    one = [_outcome("p1", diff=PROBE_EDIT.format(name="cart"))]
    assert mine(one) == []
    two = [*one, _outcome("p2", diff=PROBE_EDIT.format(name="checkout"))]
    (candidate,) = mine(two)
    assert candidate.kind == "field_predicate"
    assert candidate.params["path"] == "readinessProbe"
    assert candidate.params["op"] == "present"
    assert candidate.params["fix"] == {"httpGet": {"path": "/healthz", "port": 8080}}
    assert candidate.status == "candidate"
    assert candidate.support == 2


def test_a_reason_that_names_no_field_is_read_against_the_rejected_change() -> None:
    change = Change("base/checkout.yaml", CHECKOUT, "set", "spec.replicas", 3, 1)
    (r,) = mine([_outcome("p1", "too low, two at the very least")], changes=lambda _: [change])
    assert (r.kind, r.params) == ("min_replicas", {"n": 2})
    assert mine([_outcome("p1", "too low, two at the very least")]) == []


def test_stated_general_conventions_merge_across_wording() -> None:
    rules = mine(
        [
            _outcome("p1", "no hostPath please"),
            _outcome("p2", "Mounting host path volumes is **not allowed**."),
        ]
    )
    (r,) = rules
    assert r.params["path"] == "volumes[*].hostPath"
    assert r.support == 2
    assert r.description == "Every pod's volumes[*].hostPath is not used."


def test_objects_outside_the_kinds_are_not_judged() -> None:
    ns = FieldPredicate.from_params(EXAMPLES["namespace naming"])
    assert violations(ns, deployment()) == []
    probe = FieldPredicate.from_params(EXAMPLES["readiness probe"])
    assert violations(probe, copy.deepcopy(OBJECTS["ns other"])) == []


FLOW_LABEL_EDIT = """diff --git a/base/{name}.yaml b/base/{name}.yaml
--- a/base/{name}.yaml
+++ b/base/{name}.yaml
@@ -3,5 +3,5 @@ apiVersion: apps/v1
 kind: Deployment
 metadata:
   name: {name}
-  labels: {{app: {name}, tier: backend}}
+  labels: {{app: {name}, tier: backend, owner: shop-team}}
 spec:
"""


def test_a_label_added_to_a_flow_style_mapping_is_evidence() -> None:
    one = [_outcome("p1", diff=FLOW_LABEL_EDIT.format(name="cart"))]
    assert mine(one) == []  # one edit is not a convention yet
    (rule_,) = mine([*one, _outcome("p2", diff=FLOW_LABEL_EDIT.format(name="web"))])
    assert (rule_.kind, rule_.params) == ("required_label", {"key": "owner", "value": "shop-team"})
