"""Changes to an overlay are validated as kustomize renders it, pointing at the patch line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubesmith.agent.loop import open_agent
from kubesmith.cli.main import cli
from kubesmith.tools.binaries.cache import tool_path
from tests.conftest import git

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _needs_kustomize() -> None:
    if tool_path("kustomize") is None:
        pytest.skip("kustomize is not built; run `kubesmith tools install`")


def test_a_violation_in_an_overlay_patch_blocks_the_proposal(example_repo: Path) -> None:
    branches = git(example_repo, "branch")
    agent = open_agent(example_repo, planner="offline")
    p = agent.propose("set spec.template.spec.hostNetwork of checkout to true in prod")
    errors = [f for f in p.findings if f.severity == "error"]
    assert p.blocked and p.branch is None
    assert errors[0].validator == "policy"
    assert errors[0].file == "overlays/prod/checkout-patch.yaml"
    patch = p.diff.split("\n")
    assert any(line == "+      hostNetwork: true" for line in patch)
    assert git(example_repo, "branch") == branches


def test_a_clean_overlay_change_passes_and_only_new_findings_count(example_repo: Path) -> None:
    p = open_agent(example_repo, planner="offline").propose("set checkout replicas to 6 in prod")
    assert not p.blocked and p.pr is not None
    assert all(f.preexisting for f in p.findings if f.severity != "info")


def test_validate_renders_overlays(example_repo: Path) -> None:
    patch = example_repo / "overlays" / "prod" / "checkout-patch.yaml"
    patch.write_text(
        patch.read_text().replace("    spec:\n", "    spec:\n      hostPID: true\n", 1)
    )
    result = CliRunner().invoke(cli, ["validate", "--repo", str(example_repo), "-o", "json"])
    assert result.exit_code == 1, result.output
    errors = [f for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"]
    assert [(f["file"], f["validator"]) for f in errors] == [
        ("overlays/prod/checkout-patch.yaml", "policy")
    ]


def test_overlays_render_with_their_non_yaml_inputs(make_repo: Callable[..., Path]) -> None:
    # A configMapGenerator reads a .properties file: rendering must see every file, not only YAML.
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base-cm\ndata:\n  a: b\n"
    repo = make_repo(
        {
            "base/kustomization.yaml": "resources:\n  - cm.yaml\n",
            "base/cm.yaml": cm,
            "overlays/prod/kustomization.yaml": (
                "namespace: prod\nresources:\n  - ../../base\nconfigMapGenerator:\n"
                "  - name: app\n    files:\n      - app.properties\n"
            ),
            "overlays/prod/app.properties": "level=info\n",
        }
    )
    result = CliRunner().invoke(cli, ["validate", "--repo", str(repo), "-o", "json"])
    findings = json.loads(result.stdout)["findings"]
    assert not [f for f in findings if f["validator"] == "kustomize"], findings
    assert result.exit_code == 0, result.output
    p = open_agent(repo, planner="offline").propose("add label team=a to base-cm in prod")
    assert not [f for f in p.findings if f.validator == "kustomize"]
