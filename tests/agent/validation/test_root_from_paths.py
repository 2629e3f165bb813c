"""``kubesmith validate PATH`` works from any folder, as kubeconform does: the repository root is
the git top level holding PATH, so patches, overlays and CRDs around PATH are understood."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.agent.validation import find_root
from kubesmith.errors import UsageError
from tests.agent.validation.conftest import needs_kustomize, validate_json

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
"""
WIDGET = """\
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  namespace: apps
spec:
  size: big
"""


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.integration
@needs_kustomize
def test_an_overlay_named_from_another_folder_is_rendered_not_validated_alone(
    example_repo: Path, elsewhere: Path
) -> None:
    run = validate_json(str(example_repo / "overlays" / "prod"), "--policies", "none")
    # Before, the current folder was the repository: the patch was validated alone as a whole
    # Deployment ("missing property 'selector'") and the overlay was never rendered.
    assert run.exit_code == 0, run.text
    assert not run.rules("error")
    assert run.data["files"] == 3
    assert all(not Path(f["file"]).is_absolute() for f in run.findings)


@pytest.mark.slow  # kubeconform runs
def test_crds_beside_the_path_validate_its_custom_resources(
    make_repo: Callable[..., Path], elsewhere: Path
) -> None:
    repo = make_repo({"crds/widget.yaml": CRD, "apps/widget.yaml": WIDGET})
    run = validate_json(str(repo / "apps"), "--policies", "none")
    # Before, the CRD (outside PATH, under the real repository) was not seen: "no schema".
    assert run.exit_code == 1, run.text
    (error,) = [f for f in run.findings if f["severity"] == "error"]
    assert (error["file"], error["line"], error["path"]) == ("apps/widget.yaml", 7, "spec.size")


@pytest.mark.slow  # kubeconform runs
def test_repo_overrides_and_paths_outside_it_are_refused(
    make_repo: Callable[..., Path], tmp_path: Path, elsewhere: Path
) -> None:
    repo = make_repo({"crds/widget.yaml": CRD, "apps/widget.yaml": WIDGET})
    assert find_root([repo / "apps" / "widget.yaml"]) == repo.resolve()
    assert find_root([repo / "apps"], repo / "apps") == (repo / "apps").resolve()
    plain = tmp_path / "plain"
    plain.mkdir()
    assert find_root([plain]) == plain.resolve()
    with pytest.raises(UsageError, match="not inside the repository"):
        find_root([plain], repo)
    run = validate_json("--repo", str(repo / "apps"), str(repo / "apps"), "--policies", "none")
    assert [f["rule"] for f in run.findings] == ["schema/no-schema"]  # the CRD is outside
    assert run.findings[0]["file"] == "widget.yaml"


@pytest.mark.integration
@needs_kustomize
def test_no_path_in_a_subfolder_checks_that_folder_within_its_repository(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(example_repo / "overlays" / "prod")
    run = validate_json("--policies", "none")
    assert run.exit_code == 0, run.text
    assert run.data["files"] == 3
    assert {f["file"] for f in run.findings} <= {"overlays/prod/kustomization.yaml"}
