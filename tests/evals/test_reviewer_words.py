"""The simulated reviewer speaks in people's words: the measured part of the comment corpus."""

from __future__ import annotations

from pathlib import Path

from kubesmith.evals.reviewer import HIDDEN_CONVENTIONS, SimulatedReviewer, corpus_words
from kubesmith.evals.reviewers_suite import part
from kubesmith.model import ChangeSet, ResourceRef, SetField
from kubesmith.workspace import Workspace

CHECKOUT = ResourceRef("apps/v1", "Deployment", "checkout")
MEMORY = next(c for c in HIDDEN_CONVENTIONS if c.kind == "memory_limit_equals_request")


def test_words_come_from_the_measured_part_only() -> None:
    measured = {c.text for c in part("measured")}
    development = {c.text for c in part("development")}
    words = corpus_words(MEMORY)
    assert len(words) >= 3
    assert set(words) <= measured
    assert not set(words) & development


def test_each_rejection_says_it_differently_then_plainly(example_repo: Path) -> None:
    reviewer = SimulatedReviewer([MEMORY], seed=1)
    ws = Workspace.load(example_repo)
    changes = ws.apply(ChangeSet("scale", (SetField(CHECKOUT, "spec.replicas", 3),)))
    pool = corpus_words(MEMORY)
    said = [reviewer.review(ws, changes).reason for _ in range(len(pool) + 1)]
    assert sorted(said[:-1]) == sorted(pool)  # every phrasing once, in a seeded order
    assert said[-1] == MEMORY.says  # then plainly
    again = SimulatedReviewer([MEMORY], seed=1)
    assert again.review(ws, changes).reason == said[0]


def test_a_general_convention_is_judged_and_named(example_repo: Path) -> None:
    spread = next(c for c in HIDDEN_CONVENTIONS if c.kind == "field_predicate")
    reviewer = SimulatedReviewer([spread], words="fixed")
    ws = Workspace.load(example_repo)
    changes = ws.apply(ChangeSet("scale", (SetField(CHECKOUT, "spec.replicas", 3),)))
    review = reviewer.review(ws, changes)
    assert (review.verdict, review.reason) == ("rejected", spread.says)
    assert spread.matches("field_predicate", dict(spread.params))
    assert not spread.matches("field_predicate", {**spread.params, "path": "volumes"})
