"""``kind: List`` documents: kubectl sends each item as a request of its own, so each item is
policy-checked (a privileged Pod inside a List must fail pss-baseline), and policies, bindings
and parameters written as a List in a policy folder are loaded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kubesmith.config import PolicySettings
from kubesmith.tools.policy import PolicyValidator
from kubesmith.tools.policy.celenv import shared_environment
from kubesmith.tools.policy.loader import load_text
from kubesmith.workspace import Workspace

LIST_OF_PODS = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
    namespace: tools
- apiVersion: v1
  kind: Pod
  metadata:
    name: debug
    namespace: tools
  spec:
    containers:
    - name: shell
      image: registry.example.com/shell:1.0
      securityContext:
        privileged: true
"""

POD_LIST = """\
apiVersion: v1
kind: PodList
items:
- metadata:
    name: typed
    namespace: tools
  spec:
    hostNetwork: true
    containers:
    - name: c
      image: registry.example.com/c:1.0
"""

POLICY_LIST = """\
apiVersion: v1
kind: List
items:
- apiVersion: admissionregistration.k8s.io/v1
  kind: ValidatingAdmissionPolicy
  metadata:
    name: max-replicas
  spec:
    paramKind: {apiVersion: v1, kind: ConfigMap}
    matchConstraints:
      resourceRules:
      - apiGroups: [apps]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [deployments]
    validations:
    - expression: object.spec.replicas <= int(params.data.max)
      message: too many replicas
- apiVersion: admissionregistration.k8s.io/v1
  kind: ValidatingAdmissionPolicyBinding
  metadata:
    name: max-replicas
  spec:
    policyName: max-replicas
    validationActions: [Deny]
    paramRef: {name: limits, namespace: default, parameterNotFoundAction: Deny}
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: limits
  data:
    max: "3"
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 5
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.example.com/web:1.0}]
"""


def test_a_privileged_pod_inside_a_list_fails_pss_baseline(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"debug.yaml": LIST_OF_PODS})
    validator = PolicyValidator(PolicySettings(packs=("pss-baseline",)), repo)
    findings = validator.validate(Workspace.load(repo).resources)
    privileged = [f for f in findings if f.rule == "pss-baseline-privileged/0"]
    assert len(privileged) == 1
    (finding,) = privileged
    assert finding.ref is not None and (finding.ref.kind, finding.ref.name) == ("Pod", "debug")
    assert finding.file == "debug.yaml"
    assert finding.line == LIST_OF_PODS.splitlines().index("        privileged: true") + 1
    assert finding.severity == "error"


def test_items_of_a_typed_list_take_its_kind(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"pods.yaml": POD_LIST})
    validator = PolicyValidator(PolicySettings(packs=("pss-baseline",)), repo)
    findings = validator.validate(Workspace.load(repo).resources)
    hosts = [f for f in findings if (f.rule or "").startswith("pss-baseline-host-namespaces")]
    assert [(f.ref.kind, f.ref.name) for f in hosts if f.ref] == [("Pod", "typed")]


def test_policies_bindings_and_params_written_as_a_list_are_loaded(
    make_repo: Callable[..., Path],
) -> None:
    loaded = load_text(POLICY_LIST, "policies/list.yaml", shared_environment())
    assert [p.name for p in loaded.policies] == ["max-replicas"]
    assert [b.name for b in loaded.bindings] == ["max-replicas"]
    assert [p["metadata"]["name"] for p in loaded.params] == ["limits"]
    assert loaded.policies[0].line == 4  # the item's line, not the List's

    repo = make_repo(files={"policies/list.yaml": POLICY_LIST, "apps/web.yaml": DEPLOYMENT})
    settings = PolicySettings(packs=(), folders=("policies",))
    findings = PolicyValidator(settings, repo).validate(Workspace.load(repo).resources)
    # paramRef names namespace default, where the ConfigMap without a namespace lives
    assert [(f.rule, f.message, f.file) for f in findings] == [
        ("max-replicas/0", "too many replicas", "apps/web.yaml")
    ]
