"""The feedback eval suite: a simulated reviewer teaches kubesmith its team's conventions."""

from __future__ import annotations

from pathlib import Path

from kubesmith.evals.feedback_suite import intents, run_feedback_suite
from kubesmith.evals.reviewer import SimulatedReviewer
from kubesmith.model import ChangeSet, ResourceRef, SetField
from kubesmith.workspace import Workspace

CHECKOUT = ResourceRef("apps/v1", "Deployment", "checkout")


def test_reviewer_rejects_with_words_and_fixes_by_editing(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    changes = ws.apply(ChangeSet("scale checkout to 3", (SetField(CHECKOUT, "spec.replicas", 3),)))
    review = SimulatedReviewer().review(ws, changes)
    assert review.verdict == "rejected"
    assert "Memory limit must equal the memory request." in review.reason
    assert set(review.violated) >= {"required_label", "memory_limit_equals_request"}
    assert review.feedback
    # with every convention met, the same kind of change is accepted untouched
    fixed = ChangeSet(
        "meet the conventions",
        (
            SetField(CHECKOUT, "metadata.labels.owner", "shop-team"),
            SetField(CHECKOUT, 'metadata.annotations["owner-contact"]', "platform-oncall"),
            SetField(
                CHECKOUT,
                "spec.template.spec.containers[name=checkout].resources.limits.memory",
                "128Mi",
            ),
            SetField(
                CHECKOUT,
                "spec.template.spec.containers[name=checkout].imagePullPolicy",
                "IfNotPresent",
            ),
        ),
    )
    changes = ws.apply(fixed)
    review = SimulatedReviewer().review(ws, changes)
    assert (review.verdict, review.fixes, review.feedback) == ("accepted", (), False)


def test_intent_sequence_is_reproducible() -> None:
    assert intents(40, seed=3) == intents(40, seed=3)
    assert intents(40, seed=3) != intents(40, seed=4)
    assert len(intents(45)) == 45


def test_learning_lifts_acceptance_within_twenty_feedback_events() -> None:
    report = run_feedback_suite(count=40, seed=0)
    assert report["proposals"] == 40
    assert report["errors"] == 0
    assert report["hidden_conventions"] >= 5
    assert report["feedback_events"] <= 20
    assert report["last10_acceptance"] >= 0.9
    assert report["last10_acceptance"] > report["first10_acceptance"]
    # without learning the same sequence stays poor: the lift comes from learning
    assert report["control_last10_acceptance"] < 0.5
    assert len(report["rules_approved"]) >= 5
    assert all(e["result"] in ("accepted", "edited", "rejected", "refused") for e in report["log"])
