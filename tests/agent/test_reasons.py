"""The offline reader of reviewers' words: normalisation and parameters in people's forms.

The labelled corpus (``kubesmith eval --suite reviewers``) measures the reader; these pin the
mechanisms one by one, with sentences that are not in the corpus.
"""

from __future__ import annotations

import pytest

from kubesmith.agent.reasons import ChangeContext, Stated, read_reason
from kubesmith.agent.reasons_text import correct_word, normalise, osa_distance, sentences


def test_adjacent_swaps_are_one_edit() -> None:
    assert osa_distance("memroy", "memory") == 1
    assert osa_distance("label", "lable") == 1
    assert osa_distance("abc", "xyz") == 3


@pytest.mark.parametrize(
    ("typo", "word"),
    [("annotaton", "annotation"), ("replcias", "replicas"), ("requried", "required"),
     ("liveness", "liveness"), ("need", "need"), ("frobnicate", "frobnicate"), ("pod", "pod")],
)  # fmt: skip
def test_typos_are_corrected_only_towards_the_vocabulary(typo: str, word: str) -> None:
    assert correct_word(typo) == word


def test_markdown_numbers_and_shorthands_are_normalised() -> None:
    assert normalise("**Needs** `twenty five` replicas w/ a PDB pls") == (
        "needs 25 replicas with a pdb please"
    )
    assert sentences("> quoted\n- [ ] item one. Two!") == ["quoted", "item 1", "2"]
    assert "no docker.io , use registry.internal" in normalise("~~docker.io~~ -> registry.internal")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Everything we deploy carries squad: search as a label",
         Stated("required_label", {"key": "squad", "value": "search"})),
        ("Add the squad label. Its value should be search.",
         Stated("required_label", {"key": "squad", "value": "search"})),
        ("annotation 'pager' is not optional (pager=team-x)",
         Stated("required_annotation", {"key": "pager", "value": "team-x"})),
        ("nothing from quay.io, we mirror at harbor.example.org",
         Stated("forbidden_registry", {"registry": "quay.io", "replacement": "harbor.example.org"})),
        ("six replicas or more for the API", Stated("min_replicas", {"n": 6})),
        ("cpu limits can't exceed 3", Stated("field_predicate", {
            "on": "containers", "path": "resources.limits.cpu", "op": "lte", "value": "3"})),
        ("namespaces get the suffix -prod, so names end with -prod", Stated("field_predicate", {
            "on": "object", "path": "metadata.name", "op": "matches", "value": "-prod$"})),
    ],
)  # fmt: skip
def test_parameters_in_peoples_forms(text: str, expected: Stated) -> None:
    assert read_reason(text) == [expected]


def test_the_rejected_change_says_what_a_bare_reason_is_about() -> None:
    image = ChangeContext(
        "Deployment", "spec.template.spec.containers[name=a].image", "quay.io/a:1"
    )
    assert read_reason("please not from there", [image]) == [
        Stated("forbidden_registry", {"registry": "quay.io", "replacement": None})
    ]
    replicas = ChangeContext("Deployment", "spec.replicas", 2)
    assert read_reason("too low", [replicas]) == [Stated("min_replicas", {"n": 3})]
    assert read_reason("too low") == []


@pytest.mark.parametrize(
    "text",
    ["the latest release notes say otherwise", "I don't like the label value here",
     "probes look fine, it's the image", "two PRs for this already, closing", "no"],
)  # fmt: skip
def test_no_convention_no_rule(text: str) -> None:
    assert read_reason(text) == []


def test_several_conventions_in_one_reason() -> None:
    found = read_reason("Needs the owner label, a PDB and no privileged containers.")
    assert [s.kind for s in found] == ["required_label", "pdb_required", "field_predicate"]
