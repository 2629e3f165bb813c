"""The built-in packs: documented, bound, loadable, and every PSS control on every workload kind."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from kubesmith.errors import ConfigError
from kubesmith.tools.policy.celenv import CelEnvironment
from kubesmith.tools.policy.evaluator import Evaluator
from kubesmith.tools.policy.matching import Kinds
from kubesmith.tools.policy.packs import available_packs, expand, load_packs, pack_text
from kubesmith.tools.policy.pss import OVERRIDDEN


@pytest.fixture(scope="module")
def env() -> CelEnvironment:
    return CelEnvironment()


@pytest.fixture(scope="module")
def restricted(env: CelEnvironment) -> Evaluator:
    return Evaluator(load_packs(["pss-restricted"], env), env)


@pytest.mark.parametrize("control", sorted(OVERRIDDEN))
def test_restricted_replaces_the_baseline_controls_psa_overrides(
    restricted: Evaluator, control: str
) -> None:
    """PSA's restricted level runs its own capabilities/seccomp/volumes/procMount checks instead
    of baseline's: the violation is reported once, by the restricted policy."""
    found = {
        v.policy
        for v in restricted.evaluate(workload("Pod", pod_spec(CONTROLS[control])), Kinds(), {})
    }
    assert OVERRIDDEN[control] in found
    assert control not in found
    annotations = {
        d["metadata"]["name"]: d["metadata"].get("annotations", {})
        for d in yaml.safe_load_all(pack_text("pss-baseline"))
        if d["kind"] == "ValidatingAdmissionPolicy"
    }
    assert annotations[control]["kubesmith.dev/overridden-by"] == OVERRIDDEN[control]


def test_the_three_packs_ship_and_restricted_includes_baseline() -> None:
    assert available_packs() == ["best-practices", "pss-baseline", "pss-restricted"]
    assert expand(["pss-restricted"]) == ["pss-baseline", "pss-restricted"]
    with pytest.raises(ConfigError, match="unknown policy pack"):
        expand(["pss-latest"])


@pytest.mark.parametrize("pack", ["best-practices", "pss-baseline", "pss-restricted"])
def test_every_policy_is_documented_bound_and_loads(env: CelEnvironment, pack: str) -> None:
    docs = [d for d in yaml.safe_load_all(pack_text(pack)) if d]
    policies = [d for d in docs if d["kind"] == "ValidatingAdmissionPolicy"]
    bindings = {d["spec"]["policyName"] for d in docs if d["kind"].endswith("Binding")}
    assert policies
    for p in policies:
        annotations = p["metadata"]["annotations"]
        assert annotations["kubesmith.dev/pack"] == pack
        assert len(annotations["kubesmith.dev/description"]) > 30
        assert p["metadata"]["name"].startswith(pack + "-")
        assert p["metadata"]["name"] in bindings
        assert all(v.get("message") for v in p["spec"]["validations"])
    loaded = load_packs([pack], env)
    assert loaded.problems == ()
    assert len(loaded.policies) >= len(policies)


CONTROLS = {
    "pss-baseline-host-process": {"securityContext": {"windowsOptions": {"hostProcess": True}}},
    "pss-baseline-host-namespaces": {"hostPID": True},
    "pss-baseline-host-path": {"volumes": [{"name": "h", "hostPath": {"path": "/etc"}}]},
    "pss-baseline-sysctls": {
        "securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}
    },
    "pss-baseline-privileged": {"c": {"privileged": True}},
    "pss-baseline-capabilities": {"c": {"capabilities": {"add": ["SYS_ADMIN"]}}},
    "pss-baseline-host-ports": {"ports": [{"containerPort": 80, "hostPort": 80}]},
    "pss-baseline-host-probes": {"livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}}},
    "pss-baseline-apparmor": {"c": {"appArmorProfile": {"type": "Unconfined"}}},
    "pss-baseline-selinux": {"c": {"seLinuxOptions": {"type": "spc_t"}}},
    "pss-baseline-proc-mount": {"c": {"procMount": "Unmasked"}},
    "pss-baseline-seccomp": {"c": {"seccompProfile": {"type": "Unconfined"}}},
    "pss-restricted-volume-types": {
        "volumes": [{"name": "n", "nfs": {"server": "x", "path": "/"}}]
    },
    "pss-restricted-privilege-escalation": {"c": {"allowPrivilegeEscalation": True}},
    "pss-restricted-run-as-non-root": {"c": {"runAsNonRoot": False}},
    "pss-restricted-run-as-user": {"c": {"runAsUser": 0}},
    "pss-restricted-seccomp": {"securityContext": {"seccompProfile": None}},
    "pss-restricted-capabilities": {"c": {"capabilities": {"drop": ["NET_RAW"]}}},
    "pss-restricted-proc-mount": {"c": {"procMount": "Unmasked"}},
}

HARDENED_POD_SPEC: dict[str, Any] = {
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [
        {
            "name": "app",
            "image": "registry.example.com/app:1.0",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
        }
    ],
    "volumes": [{"name": "cfg", "configMap": {"name": "cfg"}}],
}


def pod_spec(change: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(HARDENED_POD_SPEC)
    container = spec["containers"][0]
    for key, value in change.items():
        if key == "c":
            container["securityContext"].update(value)
        elif key in ("ports", "livenessProbe"):
            container[key] = value
        elif key == "securityContext":
            spec["securityContext"].update(value)
            spec["securityContext"] = {k: v for k, v in spec["securityContext"].items() if v}
        else:
            spec[key] = value
    return spec


def workload(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    template = {"metadata": {"labels": {"app": "x"}}, "spec": spec}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": spec}
    if kind == "CronJob":
        body: dict[str, Any] = {
            "schedule": "@daily",
            "jobTemplate": {"spec": {"template": template}},
        }
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": {"name": "x"}, "spec": body}
    if kind == "PodTemplate":
        return {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}, "template": template}
    api = "batch/v1" if kind == "Job" else "v1" if kind == "ReplicationController" else "apps/v1"
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": "x"},
        "spec": {"template": template},
    }


KINDS = [
    "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
    "ReplicationController", "PodTemplate",
]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_hardened_workload_passes_pss_restricted(restricted: Evaluator, kind: str) -> None:
    assert restricted.evaluate(workload(kind, HARDENED_POD_SPEC), Kinds(), {}) == []


@pytest.fixture(scope="module")
def baseline(env: CelEnvironment) -> Evaluator:
    return Evaluator(load_packs(["pss-baseline"], env), env)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("control", sorted(CONTROLS))
def test_each_control_flags_its_violation_in_every_workload_kind(
    restricted: Evaluator, baseline: Evaluator, kind: str, control: str
) -> None:
    evaluator = baseline if control.startswith("pss-baseline") else restricted
    found = evaluator.evaluate(workload(kind, pod_spec(CONTROLS[control])), Kinds(), {})
    assert control in {v.policy for v in found}
    assert all(v.outcome == "violation" for v in found)
    assert {v.actions for v in found} == {("Deny",)}


def test_pod_security_does_not_apply_to_other_kinds(restricted: Evaluator) -> None:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {}}
    applied: list[str] = []
    assert restricted.evaluate(svc, Kinds(), {}, applied=applied) == []
    assert applied == []


def test_windows_pods_are_exempt_from_linux_only_controls(restricted: Evaluator) -> None:
    spec = pod_spec({"c": {"capabilities": {}, "allowPrivilegeEscalation": True}})
    spec["os"] = {"name": "windows"}
    spec["securityContext"].pop("seccompProfile")
    found = {v.policy for v in restricted.evaluate(workload("Pod", spec), Kinds(), {})}
    assert found == set()


def test_findings_point_at_the_failing_container_field(restricted: Evaluator) -> None:
    spec = copy.deepcopy(HARDENED_POD_SPEC)
    second = copy.deepcopy(spec["containers"][0])
    second["name"] = "sidecar"
    second["securityContext"]["privileged"] = True
    spec["containers"].append(second)
    spec["initContainers"] = [{"name": "init", "image": "busybox:1.36", "securityContext": {}}]
    found = {v.policy: v for v in restricted.evaluate(workload("Deployment", spec), Kinds(), {})}
    prefix = "spec.template.spec"
    assert found["pss-baseline-privileged"].field_path == (
        f"{prefix}.containers[1].securityContext.privileged"
    )
    assert (
        found["pss-baseline-privileged"].message == "privileged containers are not allowed: sidecar"
    )
    assert found["pss-restricted-capabilities"].field_path == (
        f"{prefix}.initContainers[0].securityContext.capabilities.drop"
    )
    assert found["pss-restricted-privilege-escalation"].field_path == (
        f"{prefix}.initContainers[0].securityContext.allowPrivilegeEscalation"
    )
