"""One definition of kind knowledge: planners, learned rules and their policies agree.

Before kubesmith.kinds, the offline planner scaled ReplicaSets while the learned ``min_replicas``
rule (and the policy generated from it) ignored them: a convention a reviewer approved did not
hold for a kind kubesmith itself would scale.
"""

from __future__ import annotations

from pathlib import Path

from kubesmith.agent.conventions import rule_id
from kubesmith.agent.learning import apply_rules
from kubesmith.agent.offline import OfflinePlanner
from kubesmith.agent.rule_policies import policies_yaml, rules_to_policies
from kubesmith.config import PolicySettings
from kubesmith.kinds import (
    RESOURCE_NAMES,
    SCALABLE_KINDS,
    WORKLOAD_KINDS,
    pod_spec_keys,
    pod_spec_path,
)
from kubesmith.model import ChangeSet, ResourceRef, SetField
from kubesmith.store.records import Rule
from kubesmith.tools.policy.exemptions import pod_images
from kubesmith.tools.policy.validator import PolicyValidator
from kubesmith.workspace import Workspace

REPLICASET = """\
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: legacy
spec:
  replicas: 1
  selector:
    matchLabels:
      app: legacy
  template:
    metadata:
      labels:
        app: legacy
    spec:
      containers:
        - name: legacy
          image: registry.example.com/legacy:1.0
"""
LEGACY = ResourceRef("apps/v1", "ReplicaSet", "legacy")


def min_replicas(n: int) -> Rule:
    return Rule(rule_id("min_replicas", {"n": n}), "min_replicas", {"n": n}, "", "approved")


def test_a_learned_replica_minimum_holds_for_every_kind_the_planner_scales(
    tmp_path: Path,
) -> None:
    (tmp_path / "legacy.yaml").write_text(REPLICASET)
    ws = Workspace.load(tmp_path)
    # the offline planner scales a ReplicaSet ...
    planned = OfflinePlanner().plan("scale legacy to 3", ws)
    assert [(e.ref.kind, e.path) for e in planned.edits if isinstance(e, SetField)] == [
        ("ReplicaSet", "spec.replicas")
    ]
    # ... so the approved minimum completes a change to one ...
    image = "spec.template.spec.containers[name=legacy].image"
    cs = ChangeSet("new image", (SetField(LEGACY, image, "registry.example.com/legacy:1.1"),))
    out = apply_rules(cs, ws, [min_replicas(2)])
    assert SetField(LEGACY, "spec.replicas", 2) in out.edits
    # ... and the policy generated from it denies one that runs fewer
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "learned.yaml").write_text(policies_yaml([min_replicas(2)]))
    validator = PolicyValidator(PolicySettings(packs=(), folders=("policies",)), tmp_path)
    assert validator.problems == []
    errors = validator.validate(ws.find(kind="ReplicaSet", name="legacy"))
    assert [f.severity for f in errors] == ["error"]


def test_the_replica_policy_matches_exactly_the_scalable_kinds() -> None:
    policy = rules_to_policies([min_replicas(2)])[0]
    rules = policy["spec"]["matchConstraints"]["resourceRules"]
    matched = {(g, r) for rule in rules for g in rule["apiGroups"] for r in rule["resources"]}
    assert matched == {RESOURCE_NAMES[k] for k in SCALABLE_KINDS}


def test_pod_spec_paths_agree_in_both_spellings() -> None:
    for kind in WORKLOAD_KINDS:
        assert ".".join(pod_spec_keys(kind) or ()) == pod_spec_path(kind)
    assert pod_spec_keys("Service") is None
    cron = {
        "kind": "CronJob",
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"image": "a"}]}}}}},
    }
    assert pod_images(cron) == ["a"]
    assert pod_images({"kind": "Pod", "spec": {"initContainers": [{"image": "b"}]}}) == ["b"]
