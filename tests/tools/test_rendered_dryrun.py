"""Overlays dry-run as rendered, with findings in the patch or base a person edits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.agent.validation.rendering import render
from kubesmith.tools.binaries import cache as toolcache
from kubesmith.tools.dryrun.validator import DryRunValidator
from kubesmith.tools.sandbox.server import Sandbox
from tests.conftest import EXAMPLE_REPO
from tests.tools.test_sandbox import needs_binaries

pytestmark = [
    pytest.mark.integration,
    needs_binaries,
    pytest.mark.skipif(toolcache.tool_path("kustomize") is None, reason="kustomize not built"),
]


def test_locate_prefers_the_patch_that_sets_the_field(example_repo: Path) -> None:
    rendered = render(example_repo, "overlays/prod")
    checkout = next(r for r in rendered if r.ref.kind == "Deployment" and r.ref.name == "checkout")
    assert checkout.ref.namespace == "shop-prod"
    assert checkout.obj["spec"]["replicas"] == 4
    patch = "overlays/prod/checkout-patch.yaml"
    assert checkout.locate("spec.replicas") == (patch, 7)
    # An index path from the rendered object finds the patch's item by name.
    memory = "spec.template.spec.containers[0].resources.limits.memory"
    assert checkout.locate(memory) == (patch, 18)
    # A field only the base sets is located in the base.
    image = "spec.template.spec.containers[0].ports[0].containerPort"
    assert checkout.locate(image) == ("base/checkout.yaml", 29)


def test_overlay_error_points_at_patch_line(
    kubesmith_sandbox: Sandbox, make_repo: Callable[..., Path]
) -> None:
    repo = make_repo(source=EXAMPLE_REPO)
    patch = repo / "overlays/prod/checkout-patch.yaml"
    patch.write_text(
        patch.read_text().replace(
            "memory: 512Mi", "memory: 512Mi\n              nvidia.com/gpu: -1"
        )
    )
    rendered = render(repo, "overlays/prod")
    findings = DryRunValidator(sandbox=kubesmith_sandbox).validate(rendered)
    errors = [f for f in findings if f.severity == "error"]
    assert errors, findings
    assert {(f.file, f.line) for f in errors} == {("overlays/prod/checkout-patch.yaml", 19)}
