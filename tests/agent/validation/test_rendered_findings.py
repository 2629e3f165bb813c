"""Objects a kustomize build renders get every validator (schema too), and each finding points at
the line a person edits: the patch line, the base line, the kustomization's ``images:`` entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesmith.tools.binaries.cache import tool_path
from tests.agent.validation.conftest import needs_kustomize, validate_json

pytestmark = [pytest.mark.integration, needs_kustomize]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_an_overlay_patch_with_a_wrong_type_and_an_unknown_field_fails(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patch = example_repo / "overlays" / "prod" / "checkout-patch.yaml"
    _edit(patch, "  replicas: 4\n", '  replicas: "ten"\n  bogusField: 1\n')
    monkeypatch.chdir(example_repo)
    run = validate_json("--policies", "none")
    # Before: the rendered objects went to the policy validator only; exit 0.
    assert run.exit_code == 1
    assert run.rules() == {
        ("schema/type", "overlays/prod/checkout-patch.yaml", 7),
        ("schema/unknown-field", "overlays/prod/checkout-patch.yaml", 8),
    }


def test_an_image_the_kustomization_overrides_points_at_its_images_entry(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kustomization = example_repo / "overlays" / "prod" / "kustomization.yaml"
    _edit(kustomization, "newTag: 2.7.0", "newTag: latest")
    monkeypatch.chdir(example_repo)
    run = validate_json("overlays/prod/kustomization.yaml", "--policies", "best-practices")
    latest = [
        f for f in run.findings if "latest" in f["message"] and f["ref"]["namespace"] == "shop-prod"
    ]
    assert latest, run.text
    lines = kustomization.read_text().splitlines()
    entry = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("newTag: latest"))
    assert {(f["file"], f["line"]) for f in latest} == {("overlays/prod/kustomization.yaml", entry)}


def test_no_finding_on_a_rendered_object_points_at_the_top_of_a_kustomization(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patch = example_repo / "overlays" / "prod" / "checkout-patch.yaml"
    _edit(patch, "    spec:\n", "    spec:\n      hostPID: true\n")
    monkeypatch.chdir(example_repo)
    run = validate_json()
    assert run.exit_code == 1
    (error,) = [f for f in run.findings if f["severity"] == "error"]
    assert (error["file"], error["line"]) == ("overlays/prod/checkout-patch.yaml", 10)
    assert error["path"] == "spec.template.spec.hostPID"
    tops = [f for f in run.findings if f["file"].endswith("kustomization.yaml") and f["line"] == 1]
    assert tops == []


@pytest.mark.skipif(
    tool_path("kube-apiserver") is None or tool_path("etcd") is None,
    reason="kube-apiserver/etcd are not built; run `kubesmith tools install`",
)
def test_rendered_objects_are_dry_run_and_point_at_the_patch(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patch = example_repo / "overlays" / "prod" / "checkout-patch.yaml"
    _edit(patch, "memory: 512Mi", "memory: 512Mi\n              nvidia.com/gpu: -1")
    monkeypatch.chdir(example_repo)
    run = validate_json("overlays/prod", "--policies", "none", "--dry-run", "sandbox")
    assert run.exit_code == 1, run.text
    refused = {(f["file"], f["line"]) for f in run.findings if f["validator"] == "dry-run"}
    assert refused == {("overlays/prod/checkout-patch.yaml", 19)}
