"""PolicyValidator on real repositories, and `kubesmith validate --policies` as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.config import PolicyExemption, PolicySettings, load_settings
from kubesmith.tools.policy import PolicyValidator
from kubesmith.tools.validator import Validator
from kubesmith.workspace import Workspace

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))

PRIVILEGED = """\
apiVersion: v1
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

HARDENED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  labels:
    app.kubernetes.io/name: api
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: api
  template:
    metadata:
      labels:
        app.kubernetes.io/name: api
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
      - name: api
        image: registry.example.com/api:2.3.1
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 128Mi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities:
            drop: [ALL]
"""

HOST_NETWORK_PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      hostNetwork: true
"""

KUSTOMIZATION = """\
resources:
- api.yaml
patches:
- path: patch.yaml
"""

TEAM_POLICY = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: team-replicas
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: object.spec.?replicas.orValue(1) >= 2
    message: production deployments need 2 replicas
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: team-replicas
spec:
  policyName: team-replicas
  validationActions: [Audit]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: team-broken
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], resources: [deployments]}]
  validations:
  - expression: object.spec.replicas >
"""


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo(
        files={
            "apps/debug.yaml": PRIVILEGED,
            "apps/api.yaml": HARDENED,
            "apps/patch.yaml": HOST_NETWORK_PATCH,
            "apps/kustomization.yaml": KUSTOMIZATION,
            "policies/team.yaml": TEAM_POLICY,
        }
    )


def test_policy_validator_implements_the_validator_protocol(repo: Path) -> None:
    assert isinstance(PolicyValidator(PolicySettings(), repo), Validator)


def test_privileged_container_is_an_error_at_its_line_and_patches_are_skipped(repo: Path) -> None:
    ws = Workspace.load(repo)
    validator = PolicyValidator(PolicySettings(packs=("pss-restricted",)), repo)
    findings = validator.validate(ws.documents)
    privileged = [f for f in findings if f.rule == "pss-baseline-privileged/0"]
    assert len(privileged) == 1
    f = privileged[0]
    assert (f.validator, f.severity, f.file, f.ref and f.ref.name) == (
        "policy",
        "error",
        "apps/debug.yaml",
        "debug",
    )
    assert f.message == "privileged containers are not allowed: shell"
    assert f.path == "spec.containers[0].securityContext.privileged"
    assert f.line == PRIVILEGED.splitlines().index("      privileged: true") + 1
    # the hardened Deployment passes, and the hostNetwork patch is a partial resource: skipped
    assert not [f for f in findings if f.file in ("apps/api.yaml", "apps/patch.yaml")]


def test_user_folders_params_exemptions_and_broken_policies(repo: Path) -> None:
    ws = Workspace.load(repo)
    settings = PolicySettings(
        packs=("best-practices",),
        folders=("policies",),
        params={"best-practices-allowed-registries": {"registries": ["registry.example.com/"]}},
        exemptions=(
            PolicyExemption(
                policy="best-practices", kind="Pod", name="debug", reason="break-glass"
            ),
        ),
    )
    findings = PolicyValidator(settings, repo).validate(ws.documents)
    by_rule = {f.rule: f for f in findings}
    audit = by_rule["team-replicas/0"]
    assert (audit.severity, audit.file, audit.path) == ("info", "apps/api.yaml", "spec.replicas")
    broken = by_rule["team-broken"]
    assert broken.severity == "error"
    assert broken.file == "policies/team.yaml"
    assert (
        broken.line == TEAM_POLICY.splitlines().index("  - expression: object.spec.replicas >") + 1
    )
    assert "column 23" in broken.message
    assert not [f for f in findings if f.file == "apps/debug.yaml"]  # exempted
    assert not [f for f in findings if (f.rule or "").startswith("best-practices-allowed")]


def test_kustomization_namespace_is_applied_before_evaluation(
    make_repo: Callable[..., Path],
) -> None:
    pod = PRIVILEGED.replace("  namespace: tools\n", "")
    repo = make_repo(
        files={
            "base/pod.yaml": pod,
            "base/kustomization.yaml": "namespace: tools\nresources:\n- pod.yaml\n",
        }
    )
    ws = Workspace.load(repo)
    findings = PolicyValidator(PolicySettings(packs=("best-practices",)), repo).validate(
        ws.documents
    )
    assert "best-practices-no-default-namespace/0" not in {f.rule for f in findings}


def test_disabled_settings_validate_nothing(repo: Path) -> None:
    settings = PolicySettings(enabled=False, packs=("pss-restricted",))
    assert PolicyValidator(settings, repo).validate(Workspace.load(repo).documents) == []


def test_policy_settings_come_from_the_config_file(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        files={
            ".kubesmith.yaml": "policy:\n  packs: [pss-restricted]\n  exemptions:\n"
            "  - {policy: pss-baseline-privileged, name: debug, reason: node debugging}\n",
            "debug.yaml": PRIVILEGED,
        }
    )
    settings = load_settings(repo, environment=False)
    findings = PolicyValidator(settings.policy, repo).validate(Workspace.load(repo).documents)
    rules = {f.rule for f in findings}
    assert "pss-baseline-privileged/0" not in rules
    assert "pss-restricted-run-as-non-root/0" in rules


def run_validate(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBESMITH, "validate", "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_cli_flags_privileged_and_passes_hardened(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"debug.yaml": PRIVILEGED, "api.yaml": HARDENED})
    bad = run_validate(repo, str(repo / "debug.yaml"), "--policies", "pss-restricted", "-o", "json")
    assert bad.returncode == 1, bad.stderr
    findings = json.loads(bad.stdout)["findings"]
    assert "pss-baseline-privileged/0" in {f["rule"] for f in findings}
    assert all(f["file"] == "debug.yaml" and f["line"] for f in findings)
    good = run_validate(repo, str(repo / "api.yaml"), "--policies", "pss-restricted,best-practices")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "0 error(s), 0 warning(s)" in good.stdout


@pytest.mark.slow
def test_cli_rejects_an_unknown_pack(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"api.yaml": HARDENED})
    proc = run_validate(repo, "--policies", "pss-strict")
    assert proc.returncode == 2
    assert "unknown policy pack 'pss-strict'" in proc.stderr


@pytest.mark.integration
def test_rendered_overlay_findings_point_at_the_patch(make_repo: Callable[..., Path]) -> None:
    from kubesmith.agent.validation.rendering import render
    from kubesmith.tools.binaries.cache import tool_path

    if tool_path("kustomize") is None:
        pytest.skip("kustomize is not installed (kubesmith tools install kustomize)")
    repo = make_repo(
        files={
            "base/api.yaml": HARDENED,
            "base/kustomization.yaml": "resources:\n- api.yaml\n",
            "overlays/prod/patch.yaml": HOST_NETWORK_PATCH.replace(
                "  name: api\n", "  name: api\n  namespace: shop\n"
            ),
            "overlays/prod/kustomization.yaml": "resources:\n- ../../base\n"
            "patches:\n- path: patch.yaml\n",
        }
    )
    ws = Workspace.load(repo)
    rendered = render(repo, "overlays/prod")
    validator = PolicyValidator(PolicySettings(packs=("pss-baseline",)), repo)
    assert validator.validate(ws.documents) == []  # the base alone is fine
    (finding,) = validator.validate(rendered)
    assert finding.rule == "pss-baseline-host-namespaces/0"
    assert (finding.file, finding.line) == ("overlays/prod/patch.yaml", 9)
    assert finding.path == "spec.template.spec.hostNetwork"


ODD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: odd.example.com
spec: [not, a, mapping]
---
apiVersion: v1
kind: Pod
metadata:
  name: odd
  namespace: tools
  annotations:
    built: 2024-05-01
spec:
  tolerations: !!set {a, b}
  containers:
  - name: c
    image: registry.example.com/c:1.0
    securityContext:
      privileged: true
"""


def test_odd_yaml_never_crashes_the_validator(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"odd.yaml": ODD})
    docs = Workspace.load(repo).documents
    findings = PolicyValidator(PolicySettings(packs=("pss-baseline",)), repo).validate(docs)
    assert [f.rule for f in findings] == ["pss-baseline-privileged/0"]


@pytest.mark.slow
def test_without_the_cel_engine_policy_checks_are_skipped_with_a_warning(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo(files={"debug.yaml": PRIVILEGED})
    script = (
        "import sys; sys.modules['cel_expr_python'] = None\n"  # as if the extra were missing
        "from pathlib import Path\n"
        "from kubesmith.config import PolicySettings\n"
        "from kubesmith.tools.policy import PolicyValidator\n"
        "from kubesmith.workspace import Workspace\n"
        f"repo = Path({str(repo)!r})\n"
        "v = PolicyValidator(PolicySettings(packs=('pss-restricted',)), repo)\n"
        "for f in v.validate(Workspace.load(repo).documents):\n"
        "    print(f.severity, f.rule, f.message)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert proc.stdout.splitlines() == [
        "warning policy-engine policy checks skipped: policy evaluation needs cel-expr-python: "
        "pip install 'kubesmith[policy]'"
    ]


KUBECTL_SCALARS = """\
apiVersion: v1
kind: Pod
metadata:
  name: scalars
  annotations:
    at: 12:30
spec:
  hostNetwork: y
  hostPID: n
  containers:
  - name: c
    image: registry.example.com/c:1.0
    securityContext:
      privileged: Y
"""


def test_policies_judge_yaml_as_kubectl_reads_it(make_repo: Callable[..., Path]) -> None:
    """``y``/``Y`` are true and ``n`` false to kubectl (go-yaml v2), strings to PyYAML: a
    privileged pod on the host network passed pss-baseline's privileged check, and
    ``hostPID: n`` was flagged (the sandbox's PodSecurity agrees: test_pss_agreement)."""
    from kubesmith.tools.schema.located import parse_documents

    repo = make_repo(files={"pod.yaml": KUBECTL_SCALARS})
    validator = PolicyValidator(PolicySettings(packs=("pss-baseline",)), repo)
    located = parse_documents(KUBECTL_SCALARS, "pod.yaml")
    for docs in (Workspace.load(repo).documents, located):
        assert docs[0].obj["metadata"]["annotations"]["at"] == "12:30"  # text, not 750
        findings = validator.validate(docs)
        assert sorted((f.rule, f.line) for f in findings) == [
            ("pss-baseline-host-namespaces/0", 8),
            ("pss-baseline-privileged/0", 14),
        ]
