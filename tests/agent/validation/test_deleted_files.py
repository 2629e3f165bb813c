"""A pull request that only deletes a file a build still needs gets the build's error: deleted
files select the builds that used them, like changed ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesmith.bot.validation import validate_checkout
from kubesmith.config import Settings
from tests.agent.validation.conftest import needs_kustomize, pull_request


@pytest.mark.integration
@needs_kustomize
def test_deleting_a_resource_a_kustomization_lists_fails_its_build(example_repo: Path) -> None:
    co = pull_request(example_repo, {"base/redis.yaml": None})
    verdict = validate_checkout(co, Settings())
    failed = {(f.validator, f.file) for f in verdict.findings if f.severity == "error"}
    # Before: nothing was checked ("checked 0 files", success).
    assert failed == {
        ("kustomize", "overlays/prod/kustomization.yaml"),
        ("kustomize", "overlays/staging/kustomization.yaml"),
    }
