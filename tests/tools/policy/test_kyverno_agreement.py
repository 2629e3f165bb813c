"""The built-in packs against Kyverno's own expected verdicts (the external oracle).

../shared/corpora/kyverno-policies-tests holds, for each Kyverno policy, the resources of its CLI
test and the verdict Kyverno expects per (policy, rule, resource): pass, fail or skip. For every
Kyverno rule the packs have an equivalent of (``MAPPING``), the pack's verdict on each of those
resources must be the same. ``UNMAPPED`` says why the rest have no equivalent.

Run this module as a script to print the agreement table for docs/policy.md::

    .venv/bin/python tests/tools/policy/test_kyverno_agreement.py
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

if __name__ == "__main__":  # pragma: no cover - script mode: make tests.conftest importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from kubesmith.config import PolicyExemption
from kubesmith.model import ResourceRef
from kubesmith.tools.policy.celenv import CelEnvironment
from kubesmith.tools.policy.evaluator import Evaluator
from kubesmith.tools.policy.exemptions import exempted
from kubesmith.tools.policy.matching import Kinds
from kubesmith.tools.policy.packs import load_packs
from tests.conftest import corpus_dir

# Works through the whole Kyverno test corpus: not in `make unit`.
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Equivalent:
    """What in the packs stands for one Kyverno rule."""

    policies: tuple[str, ...]
    """Pack policy names, or pack names (every policy of the pack)."""
    index: int | None = None
    """Only this validation of the (single) policy counts."""
    params: dict[str, Any] = field(default_factory=dict)
    exemptions: tuple[PolicyExemption, ...] = ()
    """kubesmith exemptions standing for the Kyverno policy's own exclusions."""


def exempt(policies: tuple[str, ...], images: tuple[str, ...] = ()) -> tuple[PolicyExemption, ...]:
    return tuple(
        PolicyExemption(policy=p, images=images, reason="Kyverno exclusion") for p in policies
    )


PSS_SECCOMP = exempt(("pss-baseline-seccomp", "pss-restricted-seccomp"))
TEST_NGINX_CAPABILITIES = exempt(
    ("pss-baseline-capabilities", "pss-restricted-capabilities"), ("ghcr.io/kyverno/test-nginx*",)
)

MAPPING: dict[tuple[str, str], Equivalent] = {
    ("disallow-capabilities", "adding-capabilities"): Equivalent(("pss-baseline-capabilities",)),
    ("disallow-host-namespaces", "host-namespaces"): Equivalent(("pss-baseline-host-namespaces",)),
    ("disallow-host-path", "host-path"): Equivalent(("pss-baseline-host-path",)),
    ("disallow-host-ports", "host-ports-none"): Equivalent(("pss-baseline-host-ports",)),
    ("disallow-host-process", "host-process-containers"): Equivalent(
        ("pss-baseline-host-process",)
    ),
    ("disallow-privileged-containers", "privileged-containers"): Equivalent(
        ("pss-baseline-privileged",)
    ),
    ("disallow-proc-mount", "check-proc-mount"): Equivalent(("pss-baseline-proc-mount",)),
    ("disallow-selinux", "selinux-type"): Equivalent(("pss-baseline-selinux",), 0),
    ("disallow-selinux", "selinux-user-role"): Equivalent(("pss-baseline-selinux",), 1),
    ("restrict-apparmor-profiles", "app-armor"): Equivalent(("pss-baseline-apparmor",)),
    ("restrict-seccomp", "check-seccomp"): Equivalent(("pss-baseline-seccomp",)),
    ("restrict-sysctls", "check-sysctls"): Equivalent(("pss-baseline-sysctls",)),
    ("disallow-capabilities-strict", "adding-capabilities-strict"): Equivalent(
        ("pss-restricted-capabilities",), 0
    ),
    ("disallow-capabilities-strict", "require-drop-all"): Equivalent(
        ("pss-restricted-capabilities",), 1
    ),
    ("disallow-privilege-escalation", "privilege-escalation"): Equivalent(
        ("pss-restricted-privilege-escalation",)
    ),
    ("require-run-as-non-root-user", "run-as-non-root-user"): Equivalent(
        ("pss-restricted-run-as-user",)
    ),
    ("require-run-as-nonroot", "run-as-non-root"): Equivalent(("pss-restricted-run-as-non-root",)),
    ("restrict-seccomp-strict", "check-seccomp-strict"): Equivalent(("pss-restricted-seccomp",)),
    ("restrict-volume-types", "restricted-volumes"): Equivalent(("pss-restricted-volume-types",)),
    ("podsecurity-subrule-baseline", "baseline"): Equivalent(("pss-baseline",)),
    ("podsecurity-subrule-restricted", "restricted"): Equivalent(
        ("pss-baseline", "pss-restricted")
    ),
    ("podsecurity-subrule-restricted-seccomp", "restricted-exempt-seccomp"): Equivalent(
        ("pss-baseline", "pss-restricted"), exemptions=PSS_SECCOMP
    ),
    ("podsecurity-subrule-restricted-capabilities", "restricted-exempt-capabilities"): Equivalent(
        ("pss-baseline", "pss-restricted"), exemptions=TEST_NGINX_CAPABILITIES
    ),
    ("disallow-default-namespace", "validate-namespace"): Equivalent(
        ("best-practices-no-default-namespace",)
    ),
    ("disallow-default-namespace", "validate-podcontroller-namespace"): Equivalent(
        ("best-practices-no-default-namespace",)
    ),
    ("disallow-empty-ingress-host", "disallow-empty-ingress-host"): Equivalent(
        ("best-practices-ingress-host",), 0
    ),
    ("disallow-helm-tiller", "validate-helm-tiller"): Equivalent(("best-practices-no-tiller",)),
    ("disallow-latest-tag", "require-image-tag"): Equivalent(("best-practices-image-tag",), 0),
    ("disallow-latest-tag", "validate-image-tag"): Equivalent(("best-practices-image-tag",), 1),
    ("drop-all-capabilities", "require-drop-all"): Equivalent(
        ("best-practices-drop-all-capabilities",)
    ),
    ("drop-cap-net-raw", "require-drop-cap-net-raw"): Equivalent(("best-practices-drop-net-raw",)),
    ("require-labels", "check-for-labels"): Equivalent(("best-practices-required-labels",)),
    ("require-requests-limits", "validate-resources"): Equivalent(
        ("best-practices-requests-limits",)
    ),
    ("require-pod-probes", "validate-probes"): Equivalent(("best-practices-probes",)),
    ("require-ro-rootfs", "validate-readOnlyRootFilesystem"): Equivalent(
        ("best-practices-readonly-root-filesystem",)
    ),
    ("restrict-image-registries", "validate-registries"): Equivalent(
        ("best-practices-allowed-registries",),
        params={"best-practices-allowed-registries": {"registries": ["eu.foo.io/", "bar.io/"]}},
    ),
    ("restrict-nodeport", "validate-nodeport"): Equivalent(("best-practices-no-nodeport",)),
    ("restrict-external-ips", "check-ips"): Equivalent(("best-practices-no-external-ips",)),
    ("disallow-container-sock-mounts", "validate-docker-sock-mount"): Equivalent(
        ("best-practices-no-container-socket",), 0
    ),
    ("disallow-container-sock-mounts", "validate-containerd-sock-mount"): Equivalent(
        ("best-practices-no-container-socket",), 1
    ),
    ("disallow-container-sock-mounts", "validate-crio-sock-mount"): Equivalent(
        ("best-practices-no-container-socket",), 2
    ),
    ("check-deprecated-apis", "validate-v1-25-removals"): Equivalent(
        ("best-practices-removed-apis",)
    ),
    ("check-deprecated-apis", "validate-v1-29-removals"): Equivalent(
        ("best-practices-removed-apis",)
    ),
    ("check-deprecated-apis", "validate-v1-32-removals"): Equivalent(
        ("best-practices-removed-apis",)
    ),
}

UNMAPPED: dict[str, str] = {
    "disallow-host-ports-range": "Kyverno's variant allows host ports 5000-6000; the Pod Security "
    "Standards (and pss-baseline-host-ports) allow none",
    "add-networkpolicy": "a generate rule (creates a NetworkPolicy), not a validation",
    "add-ns-quota": "a generate rule (creates a ResourceQuota and LimitRange), not a validation",
    "add-safe-to-evict": "a mutate rule (adds an annotation), not a validation",
}

PACKS = ("pss-restricted", "best-practices")
BASELINE_PACKS = ("pss-baseline", "best-practices")
"""Baseline rules are judged by the baseline profile: with restricted on, PSA (and the packs)
replace baseline's capabilities, seccomp, hostPath and procMount checks with restricted's."""


@dataclass(frozen=True)
class Check:
    """One Kyverno expectation and the pack's verdict on it."""

    policy: str
    rule: str
    kind: str
    resource: str
    expected: str
    actual: str


def _verdict(eq: Equivalent, obj: dict[str, Any], evaluator: Evaluator, kinds: Kinds) -> str:
    applied: list[str] = []
    skip = exempted(eq.exemptions, ResourceRef.from_object(obj), obj)
    violations = evaluator.evaluate(obj, kinds, {}, skip, applied)

    def counts(name: str, pack: str | None) -> bool:
        return name in eq.policies or (pack is not None and pack in eq.policies)

    failed = [v for v in violations if counts(v.policy, v.pack) and eq.index in (None, v.index)]
    if failed:
        return "fail"
    packs = {v.pack for v in violations} | {p.pack for p, _ in evaluator.bound if p.name in applied}
    if any(name in eq.policies for name in applied) or packs & set(eq.policies):
        return "pass"
    return "skip"


def run_oracle(root: Path) -> tuple[list[Check], set[str]]:
    """Every mapped Kyverno expectation with the pack's verdict, and the unmapped policies seen."""
    env = CelEnvironment()
    policies = {
        "restricted": load_packs(PACKS, env),
        "baseline": load_packs(BASELINE_PACKS, env),
    }
    evaluators: dict[str, Evaluator] = {}
    checks: list[Check] = []
    unmapped: set[str] = set()
    for test_file in sorted(root.rglob(".kyverno-test/kyverno-test.yaml")):
        test = yaml.safe_load(test_file.read_text(encoding="utf-8"))
        objects: list[dict[str, Any]] = []
        for name in test.get("resources") or []:
            text = (test_file.parent / name).read_text(encoding="utf-8")
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            objects += [d for d in yaml.load_all(text, Loader=loader) if isinstance(d, dict)]
        kinds = Kinds.from_objects(objects)
        for result in test.get("results") or []:
            key = (result["policy"], result.get("rule", ""))
            eq = MAPPING.get(key)
            if eq is None:
                unmapped.add(result["policy"])
                continue
            level = (
                "baseline"
                if all(p.startswith("pss-baseline") for p in eq.policies)
                else "restricted"
            )
            params_key = level + repr(sorted(eq.params.items()))
            evaluator = evaluators.get(params_key)
            if evaluator is None:
                evaluator = evaluators[params_key] = Evaluator(policies[level], env, eq.params)
            for ref in result["resources"]:
                name = ref.rpartition("/")[2]
                obj = next(
                    o
                    for o in objects
                    if o.get("kind") == result["kind"] and o["metadata"].get("name") == name
                )
                actual = _verdict(eq, obj, evaluator, kinds)
                checks.append(Check(*key, result["kind"], name, result["result"], actual))
    return checks, unmapped


@pytest.fixture(scope="module")
def oracle() -> tuple[list[Check], set[str]]:
    """The oracle run once for the module (it evaluates ~1,000 resource/rule pairs)."""
    return run_oracle(corpus_dir("kyverno-policies-tests"))


def test_every_mapped_kyverno_verdict_matches(oracle: tuple[list[Check], set[str]]) -> None:
    checks, unmapped = oracle
    assert len(checks) > 300, "the corpus should yield hundreds of mapped expectations"
    disagreements = [c for c in checks if c.expected != c.actual]
    assert disagreements == []
    assert {c.policy for c in checks} >= {k[0] for k in MAPPING}
    assert unmapped <= set(UNMAPPED), f"new unmapped Kyverno policies: {unmapped - set(UNMAPPED)}"


def test_each_verdict_kind_is_exercised(oracle: tuple[list[Check], set[str]]) -> None:
    checks, _ = oracle
    assert {c.expected for c in checks} == {"pass", "fail", "skip"}


def agreement_table(checks: list[Check]) -> str:
    """Markdown: one row per Kyverno (policy, rule) with the pack equivalent and the agreement."""
    rows: dict[tuple[str, str], list[Check]] = defaultdict(list)
    for c in checks:
        rows[(c.policy, c.rule)].append(c)
    lines = [
        "| Kyverno policy / rule | kubesmith equivalent | resources | pass/fail/skip | agree |",
        "|---|---|---:|---|---:|",
    ]
    for (policy, rule), items in sorted(rows.items()):
        eq = MAPPING[(policy, rule)]
        target = ", ".join(eq.policies) + (
            f" (validation {eq.index})" if eq.index is not None else ""
        )
        for e in eq.exemptions:
            images = f" for images {', '.join(e.images)}" if e.images else ""
            target += f", exempt from {e.policy}{images}"
        split = "/".join(str(sum(c.expected == r for c in items)) for r in ("pass", "fail", "skip"))
        agree = sum(c.expected == c.actual for c in items)
        lines.append(
            f"| {policy} / {rule} | {target} | {len(items)} | {split} | {agree}/{len(items)} |"
        )
    total = len(checks)
    agree = sum(c.expected == c.actual for c in checks)
    lines.append(f"| **total** | | {total} | | **{agree}/{total}** |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    found, _ = run_oracle(
        Path(__file__).resolve().parents[4] / "shared/corpora/kyverno-policies-tests"
    )
    print(agreement_table(found))
    for c in found:
        if c.expected != c.actual:
            print(f"DISAGREE {c}")
