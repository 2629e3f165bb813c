"""`kubesmith rules` with reviewers' own words and general conventions, as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_rules_feedback_cli import propose_and_reject, run

pytestmark = pytest.mark.slow  # propose renders and validates with kustomize and kubeconform


@pytest.mark.slow
def test_reasons_in_peoples_words_become_candidates_then_policies(example_repo: Path) -> None:
    repo = str(example_repo)
    scaled = propose_and_reject(
        example_repo, "scale checkout to 1", "too low. two at the very least."
    )
    propose_and_reject(example_repo, "scale cart to 3", "plz no hostpath mounts, and we need a PDB")

    code, data, err = run("rules", "list", "--repo", repo, "-o", "json")
    assert code == 0, err
    assert isinstance(data, dict)
    by_kind = {r["kind"]: r for r in data["rules"]}
    assert set(by_kind) == {"min_replicas", "field_predicate", "pdb_required"}
    # "too low" names no field: the rejected change (replicas 1) says what it is about
    assert by_kind["min_replicas"]["params"] == {"n": 2}
    assert by_kind["min_replicas"]["evidence"][0]["proposal_id"] == scaled
    predicate = by_kind["field_predicate"]
    assert predicate["params"] == {
        "on": "pod", "path": "volumes[*].hostPath", "op": "forbidden", "value": None,
    }  # fmt: skip
    assert predicate["status"] == "candidate"

    code, text, _ = run("rules", "list", "--repo", repo)
    assert "Every pod's volumes[*].hostPath is not used." in str(text)
    assert "plz no hostpath mounts" in str(text)

    # nothing is enforced before approval
    code, data, _ = run("rules", "policy", "--repo", repo, "-o", "json")
    assert isinstance(data, dict) and data["policies"] == []

    for kind in ("field_predicate", "pdb_required"):
        code, _, err = run("rules", "approve", by_kind[kind]["id"], "--repo", repo)
        assert code == 0, err
    code, data, _ = run("rules", "policy", "--repo", repo, "-o", "json")
    assert isinstance(data, dict)
    (policy, binding) = data["policies"]
    assert binding["spec"]["policyName"] == policy["metadata"]["name"]
    assert "hostPath" in policy["spec"]["validations"][0]["expression"]
    assert data["not_expressible"] == [by_kind["pdb_required"]["id"]]
    code, _, err = run("rules", "policy", "--repo", repo)
    assert code == 0
    assert "has no admission policy" in err


def test_model_reader_needs_a_model(example_repo: Path) -> None:
    code, _, err = run("rules", "list", "--reader", "model", "--repo", str(example_repo))
    assert code == 2
    assert "needs a model" in err
