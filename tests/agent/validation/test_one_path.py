"""The same change validated by ``kubesmith validate``, the bot and ``propose`` gives the same
findings (the same identities, the same pre-existing marks): they share one validation path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubesmith.agent.factory import build_validators
from kubesmith.agent.loop import Agent
from kubesmith.agent.validation import identity
from kubesmith.bot.validation import validate_checkout
from kubesmith.config import Settings
from kubesmith.model import ChangeSet, Finding, ResourceRef, SetField, from_json
from tests.agent.validation.conftest import needs_kustomize, pull_request, validate_json

pytestmark = [pytest.mark.integration, needs_kustomize]

CHECKOUT = ResourceRef("apps/v1", "Deployment", "checkout")
CART = ResourceRef("apps/v1", "Deployment", "cart")
EDITS = (
    SetField(
        CHECKOUT, "spec.template.spec.hostPID", True, file="overlays/prod/checkout-patch.yaml"
    ),
    SetField(CART, "spec.replicas", "two"),
)


class FixedPlanner:
    """Plans the same edits whatever the intent."""

    name = "fixed"

    def plan(self, intent: str, workspace: Any, **_: Any) -> ChangeSet:
        return ChangeSet(intent, EDITS, planner=self.name)


def _key(findings: list[Finding]) -> set[tuple[object, ...]]:
    return {(*identity(f), f.severity, f.preexisting, f.file) for f in findings}


def test_validate_the_bot_and_propose_agree(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    agent = Agent(example_repo, settings, FixedPlanner(), build_validators(settings, example_repo))
    base = agent.load_base()
    changes, proposed = agent.check(base, FixedPlanner().plan("x", base.workspace))
    modified = base.workspace.modified_files()
    assert set(modified) == {"overlays/prod/checkout-patch.yaml", "base/cart/deployment.yaml"}

    co = pull_request(example_repo, dict(modified))
    verdict = validate_checkout(co, settings)
    monkeypatch.chdir(example_repo)
    run = validate_json(*sorted(modified), "--base", "main")
    validated = [from_json(Finding, f) for f in run.findings]

    errors = {(f.validator, f.rule, f.file) for f in proposed if f.severity == "error"}
    assert errors == {
        ("policy", "pss-baseline-host-namespaces/0", "overlays/prod/checkout-patch.yaml"),
        ("schema", "schema/type", "base/cart/deployment.yaml"),
    }
    assert any(f.preexisting for f in proposed)  # the base's own warnings are marked
    assert _key(proposed) == _key(list(verdict.findings)) == _key(validated)
    assert len(changes) == 2
