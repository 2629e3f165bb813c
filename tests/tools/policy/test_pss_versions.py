"""The PSS packs judge as PodSecurity admission does, version by version (offline).

Every case of :mod:`psa_fixtures` — PSA's own fixture cases per check and version, and the
version boundaries — at every Kubernetes minor the schemas cover, both levels. The integration
test in ``test_pss_agreement.py`` checks the same cases against a real API server's PodSecurity
admission.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kubesmith.config import PolicySettings
from kubesmith.errors import ConfigError
from kubesmith.tools.policy import PolicyValidator
from kubesmith.tools.policy.celenv import CelEnvironment
from kubesmith.tools.policy.evaluator import Evaluator
from kubesmith.tools.policy.matching import Kinds
from kubesmith.tools.policy.packs import expand, load_packs, pack_documents
from kubesmith.tools.policy.pss import LATEST_MINOR, OVERRIDDEN, PackRef, resolve
from tests.tools.policy import psa_fixtures

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


@pytest.fixture(scope="module")
def env() -> CelEnvironment:
    return CelEnvironment()


def evaluator(env: CelEnvironment, level: str, minor: int) -> Evaluator:
    return Evaluator(load_packs([f"pss-{level}:v1.{minor}"], env), env)


@pytest.mark.parametrize("minor", psa_fixtures.MINORS)
@pytest.mark.parametrize("level", psa_fixtures.LEVELS)
def test_every_psa_fixture_case_gets_psa_verdict(
    env: CelEnvironment, level: str, minor: int
) -> None:
    judge = evaluator(env, level, minor)
    wrong = []
    for case in psa_fixtures.cases(level, minor):
        found = judge.evaluate(case.pod, Kinds(), {})
        if (not found) != case.allowed:
            wrong.append(
                (case.name, "allowed" if case.allowed else "denied", [v.policy for v in found])
            )
    assert wrong == [], f"pss-{level}:v1.{minor} disagrees with PSA on {len(wrong)} case(s)"


def pod(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


HARDENED: dict[str, Any] = {
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
}


def test_a_pod_level_run_as_non_root_false_fails_restricted_even_when_containers_say_true(
    env: CelEnvironment,
) -> None:
    """kubesmith#16: PSA denies this pod; the pack used to let the containers' true win."""
    spec = {**HARDENED, "securityContext": {**HARDENED["securityContext"], "runAsNonRoot": False}}
    spec["containers"] = [{**spec["containers"][0]}]
    spec["containers"][0]["securityContext"] = {
        **spec["containers"][0]["securityContext"],
        "runAsNonRoot": True,
    }
    found = evaluator(env, "restricted", 34).evaluate(pod(spec), Kinds(), {})
    assert [v.policy for v in found] == ["pss-restricted-run-as-non-root"]
    assert found[0].message == "spec.securityContext.runAsNonRoot must not be false"


def test_probe_hosts_are_forbidden_from_1_34_only(env: CelEnvironment) -> None:
    spec = {**HARDENED, "containers": [{**HARDENED["containers"][0]}]}
    spec["containers"][0]["readinessProbe"] = {"tcpSocket": {"host": "10.0.0.1", "port": 80}}
    assert evaluator(env, "baseline", 33).evaluate(pod(spec), Kinds(), {}) == []
    found = evaluator(env, "baseline", 34).evaluate(pod(spec), Kinds(), {})
    assert [v.policy for v in found] == ["pss-baseline-host-probes"]
    assert found[0].message == "probe or lifecycle host is not allowed in: app"


def test_the_sysctl_allow_list_grows_with_the_version(env: CelEnvironment) -> None:
    spec = {
        **HARDENED,
        "securityContext": {
            **HARDENED["securityContext"],
            "sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "1"}],
        },
    }
    assert {v.policy for v in evaluator(env, "baseline", 31).evaluate(pod(spec), Kinds(), {})} == {
        "pss-baseline-sysctls"
    }
    assert evaluator(env, "baseline", 32).evaluate(pod(spec), Kinds(), {}) == []


def test_pack_refs_pin_a_version_or_follow_the_kubernetes_version() -> None:
    assert PackRef.parse("pss-restricted:v1.33") == PackRef("pss-restricted", 33)
    assert PackRef.parse("pss-baseline:1.30.2") == PackRef("pss-baseline", 30)
    assert PackRef.parse("pss-baseline:latest") == PackRef("pss-baseline", LATEST_MINOR)
    assert PackRef.parse("pss-baseline:v1.99") == PackRef(
        "pss-baseline", LATEST_MINOR
    )  # as PSA: newest
    assert PackRef.parse("best-practices") == PackRef("best-practices")
    assert resolve(["pss-restricted", "best-practices"], "1.31.0") == [
        PackRef("pss-restricted", 31),
        PackRef("best-practices"),
    ]
    assert resolve(["pss-restricted"], None) == [PackRef("pss-restricted", LATEST_MINOR)]
    # an unpinned PSS pack follows the pinned one: one profile, one version
    assert resolve(["pss-baseline", "pss-restricted:v1.30"], "1.34") == [
        PackRef("pss-baseline", 30),
        PackRef("pss-restricted", 30),
    ]
    assert expand(["pss-restricted:v1.30"]) == ["pss-baseline", "pss-restricted"]


@pytest.mark.parametrize(
    ("packs", "kube_version", "error"),
    [
        (["pss-baseline:v1.20"], None, "version 1.20 .* is not supported: use 1.25 or newer"),
        (["pss-baseline:1.x"], None, "invalid Kubernetes version '1.x' in 'pss-baseline:1.x'"),
        (["best-practices:v1.33"], None, "'best-practices' has no versions"),
        (
            ["pss-baseline:v1.30", "pss-restricted:v1.33"],
            None,
            r"different versions \(v1.30, v1.33\)",
        ),
        (["pss-baseline"], "1.24", "version 1.24 in 'schema.kube_version' is not supported"),
    ],
)
def test_bad_versions_are_configuration_errors(
    packs: list[str], kube_version: str | None, error: str
) -> None:
    with pytest.raises(ConfigError, match=error):
        resolve(packs, kube_version)


def test_the_validator_evaluates_the_version_validated_against(tmp_path: Path) -> None:
    sysctl = pod(
        {**HARDENED, "securityContext": {"sysctls": [{"name": "net.ipv4.tcp_wmem", "value": "1"}]}}
    )
    (tmp_path / "pod.yaml").write_text(__import__("yaml").safe_dump(sysctl))
    from kubesmith.workspace import Workspace

    docs = Workspace.load(tmp_path).documents
    old = PolicyValidator(PolicySettings(packs=("pss-baseline",)), tmp_path, kube_version="1.31.0")
    new = PolicyValidator(PolicySettings(packs=("pss-baseline",)), tmp_path, kube_version="1.32.0")
    pinned = PolicyValidator(
        PolicySettings(packs=("pss-baseline:v1.31",)), tmp_path, kube_version="1.34"
    )
    assert [f.rule for f in old.validate(docs)] == ["pss-baseline-sysctls/0"]
    assert new.validate(docs) == []
    assert [f.rule for f in pinned.validate(docs)] == ["pss-baseline-sysctls/0"]


def test_documents_for_a_cluster_are_the_evaluated_set() -> None:
    docs = pack_documents(["pss-restricted:v1.33"])
    names = {d["metadata"]["name"] for _, d in docs}
    assert not names & set(OVERRIDDEN)
    assert set(OVERRIDDEN.values()) <= names
    policies = [d for _, d in docs if d["kind"] == "ValidatingAdmissionPolicy"]
    assert all(
        {v["name"]: v["expression"] for v in p["spec"]["variables"]}["pssMinor"] == "33"
        for p in policies
    )
    assert {d["spec"]["policyName"] for _, d in docs if d["kind"].endswith("Binding")} == {
        p["metadata"]["name"] for p in policies
    }
    baseline_only = {d["metadata"]["name"] for _, d in pack_documents(["pss-baseline"])}
    assert set(OVERRIDDEN) <= baseline_only


@pytest.mark.slow
def test_the_cli_takes_a_pinned_pack(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    probe = {
        **HARDENED,
        "containers": [
            {
                **HARDENED["containers"][0],
                "livenessProbe": {"httpGet": {"host": "example.com", "port": 80}},
            }
        ],
    }
    (tmp_path / "pod.yaml").write_text(__import__("yaml").safe_dump(pod(probe)))
    base = [KUBESMITH, "validate", "--repo", str(tmp_path), "--engine", "embedded", "-o", "json"]
    pinned = subprocess.run(
        [*base, "--policies", "pss-baseline:v1.33"], capture_output=True, text=True, check=False
    )
    latest = subprocess.run(
        [*base, "--policies", "pss-baseline:latest"], capture_output=True, text=True, check=False
    )
    bad = subprocess.run(
        [*base, "--policies", "pss-baseline:v1.2"], capture_output=True, text=True, check=False
    )
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    assert latest.returncode == 1
    assert "pss-baseline-host-probes" in latest.stdout
    assert bad.returncode == 2
    # unpinned, the pack follows --kube-version: the probe host control exists from 1.34
    older, newer = (
        subprocess.run(
            [*base, "--kube-version", v, "--policies", "pss-baseline"],
            capture_output=True, text=True, check=False,
        )
        for v in ("1.33", "1.34")
    )  # fmt: skip
    assert older.returncode == 0, older.stdout + older.stderr
    assert newer.returncode == 1
    assert "pss-baseline-host-probes" in newer.stdout
    assert "version 1.2 in 'pss-baseline:v1.2' is not supported" in bad.stdout
