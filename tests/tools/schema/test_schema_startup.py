"""`kubesmith validate` pays only for what the repository needs: no workspace, no overlay
rendering and no rich on a plain repository of manifests (start-up time is most of a re-run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.agent.validation import kustomizations
from kubesmith.agent.validation.files import KUSTOMIZATION_NAMES
from kubesmith.workspace import kustomize
from tests.conftest import ROOT

# Runs the command in a fresh interpreter, then lists the heavy modules it imported.
PROBE = """
import json, sys
from click.testing import CliRunner
from kubesmith.cli.main import cli
result = CliRunner().invoke(cli, ["validate", "--repo", sys.argv[1], "--policies", "none",
                                  "-o", "json"])
heavy = ("kubesmith.workspace", "kubesmith.agent.validation.rendering", "rich")
print(json.dumps({"exit": result.exit_code, "output": result.stdout,
                  "loaded": sorted(m for m in sys.modules if m.startswith(heavy))}))
"""

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
BROKEN = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {a: 1}\n"


def probe(repo: Path, schema_cache: Path) -> dict[str, object]:
    env = {**os.environ, "KUBESMITH_TOOL_CACHE": str(schema_cache), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(repo)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.slow
def test_a_plain_repository_loads_no_workspace_and_no_rich(
    make_repo: Callable[..., Path], schema_cache: Path
) -> None:
    repo = make_repo(files={"apps/cm.yaml": CONFIGMAP, "apps/bad.yaml": BROKEN})
    result = probe(repo, schema_cache)
    assert result["loaded"] == []
    assert result["exit"] == 1  # the wrong type is still found
    findings = json.loads(str(result["output"]))["findings"]
    assert [(f["file"], f["line"]) for f in findings] == [("apps/bad.yaml", 4)]


@pytest.mark.slow
def test_a_repository_with_overlays_still_renders_them(
    example_repo: Path, schema_cache: Path
) -> None:
    kusts = kustomizations.read(example_repo)
    assert {k.file for k in kustomizations.Graph.of(kusts).roots()} == {
        "overlays/prod/kustomization.yaml",
        "overlays/staging/kustomization.yaml",
    }
    result = probe(example_repo, schema_cache)
    loaded = result["loaded"]
    assert isinstance(loaded, list) and "kubesmith.agent.validation.rendering" in loaded
    assert result["exit"] == 0, result["output"]


def test_the_kustomization_names_match_the_workspace() -> None:
    assert set(KUSTOMIZATION_NAMES) == set(kustomize.KUSTOMIZATION_NAMES)


@pytest.mark.parametrize("name", sorted(KUSTOMIZATION_NAMES))
def test_every_kustomization_name_is_found(make_repo: Callable[..., Path], name: str) -> None:
    repo = make_repo(files={f"base/{name}": "resources: [cm.yaml]\n", "base/cm.yaml": CONFIGMAP})
    assert [k.file for k in kustomizations.read(repo)] == [f"base/{name}"]


def test_kubeconform_batches_fit_the_argument_limit(tmp_path: Path) -> None:
    from kubesmith.tools.schema.files import SourceFile, _batches

    long = tmp_path / ("d" * 200)
    files = [SourceFile(f"f{i}.yaml", long / f"f{i}.yaml") for i in range(12_000)]
    batches = _batches(files)
    limit = os.sysconf("SC_ARG_MAX") // 2
    assert len(batches) > 1  # 12,000 paths of ~250 bytes exceed one command line
    assert all(sum(len(str(f.path)) + 9 for f in b) <= limit for b in batches)
    assert [f for b in batches for f in b] == files  # every file once, in order
    assert _batches(files[:10]) == [files[:10]]
