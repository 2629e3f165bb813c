"""One policy, two enforcers: the offline engine and the real API server agree on the corpus."""

from __future__ import annotations

import pytest

from kubesmith.config import Settings
from kubesmith.testing.policy_agreement import NAMESPACE, Verdict, compare
from kubesmith.tools.sandbox.server import Sandbox
from kubesmith.workspace import Workspace
from tests.conftest import EXAMPLE_REPO, corpus_dir
from tests.tools.test_sandbox import needs_binaries

pytestmark = [pytest.mark.integration, needs_binaries]


def test_enforcers_agree_on_a_corpus_sample(kubesmith_sandbox: Sandbox) -> None:
    corpus = Workspace.load(corpus_dir("kyverno-policies-tests"), settings=Settings())
    privileged = [d for d in corpus.resources if "disallow-privileged-containers/" in d.file]
    sample = [*corpus.resources[::10], *privileged, *Workspace.load(EXAMPLE_REPO).resources]
    report = compare(kubesmith_sandbox, sample)

    assert report.summary()["disagreements"] == []
    assert report.agreement == 1.0
    compared = report.compared
    assert len(compared) > 100
    # Not a vacuous agreement: the server fired policies for most objects ...
    assert sum(bool(v.server) for v in compared) > len(compared) // 2
    # ... including the privileged pods, which both enforcers flag.
    flagged = [
        v for v in compared if "disallow-privileged-containers/" in v.file and "badpod" in v.ref
    ]
    assert flagged
    assert all("pss-baseline-privileged" in v.server for v in flagged)
    # Objects the server rejects for other reasons (or does not serve) are skipped, with why.
    assert all(v.skipped for v in report.verdicts if v not in compared)


def test_packs_only_apply_to_the_agreement_namespace(kubesmith_sandbox: Sandbox) -> None:
    """Loading the packs must not change what the session's other tests see."""
    compare(kubesmith_sandbox, [])
    rest = kubesmith_sandbox.rest()
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]},
    }
    outside = rest.post("/api/v1/namespaces/default/pods?dryRun=All", pod)
    inside = rest.post(f"/api/v1/namespaces/{NAMESPACE}/pods?dryRun=All", pod)
    assert outside.status == inside.status == 201
    assert not any("ValidatingAdmissionPolicy" in w for w in outside.warnings)
    assert any("best-practices-image-tag" in w for w in inside.warnings)


def test_verdict_agreement_is_set_equality() -> None:
    assert Verdict("f", "r", frozenset({"a"}), frozenset({"a"})).agrees
    assert not Verdict("f", "r", frozenset({"a"}), frozenset()).agrees
