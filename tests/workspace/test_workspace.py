"""Workspace loading, indexing and all-or-nothing editing on real files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.errors import EditRejected
from kubesmith.model import (
    AddResource,
    ChangeSet,
    DeleteResource,
    RemoveField,
    ResourceRef,
    SetField,
)
from kubesmith.workspace import GitTreeSource, Workspace
from tests.conftest import EXAMPLE_REPO

DEPLOY = ResourceRef("apps/v1", "Deployment", "checkout")


def test_example_repository_is_indexed() -> None:
    ws = Workspace.load(EXAMPLE_REPO)
    assert not ws.errors
    kinds = {d.ref.kind for d in ws.resources}
    assert {"Deployment", "Service", "Secret", "ConfigMap", "StatefulSet", "CronJob"} <= kinds
    backend = ws.find(kind="Deployment", labels={"tier": "backend"})
    assert {d.ref.name for d in backend} == {"checkout", "cart", "catalog", "payments"}
    assert {k.name for k in ws.kustomizations if k.is_overlay} == {"prod", "staging"}
    patches = [d for d in ws.documents if d.is_patch]
    assert {(d.overlay, d.ref.name) for d in patches} >= {
        ("prod", "checkout"),
        ("staging", "checkout"),
    }
    assert all(d.ref.namespace in ("shop-prod", "shop-staging") for d in patches)
    # Patches are partial resources: not among the full resources, found only when asked for.
    assert all(not d.is_patch for d in ws.find(name="checkout"))
    assert len(ws.find(name="checkout", kind="Deployment", patches=True)) == 3


def test_document_lines_point_at_the_source() -> None:
    ws = Workspace.load(EXAMPLE_REPO)
    doc = ws.get(DEPLOY)
    lines = (EXAMPLE_REPO / doc.file).read_text().splitlines()
    assert lines[doc.line_of("spec.replicas") - 1].strip().startswith("replicas:")
    image_line = doc.line_of("spec.template.spec.containers[0].image")
    assert "image:" in lines[image_line - 1]
    assert lines[doc.line - 1].startswith("apiVersion")


def test_bad_files_are_reported_and_the_rest_is_usable(tmp_path: Path) -> None:
    good = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata:\n  a: b\n"
    (tmp_path / "good.yaml").write_text(good)
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: [oops\n")
    (tmp_path / "ci.yml").write_text("stages: [build, test]\nbuild:\n  script: make\n")
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "tpl.yaml").write_text("name: {{ .Values.name }}\n  {{- if x }}\n")
    (tmp_path / "blob.yaml").write_bytes(b"\x00\x01binary")
    (tmp_path / "huge.yaml").write_text("a: " + "x" * 3_000_000 + "\n")
    outside = tmp_path.parent / "outside.yaml"
    outside.write_text(good.replace("name: ok", "name: outside"))
    os.symlink(outside, tmp_path / "link.yaml")
    ws = Workspace.load(tmp_path)
    assert [d.ref.name for d in ws.resources] == ["ok"]
    # Malformed, binary and oversized files are errors (never a mere note: tests/workspace/
    # test_hostile_files.py); YAML that is no manifest and Helm templates are notes.
    errors = {e.file: (e.line, str(e)) for e in ws.errors}
    assert set(errors) == {"broken.yaml", "blob.yaml", "huge.yaml"}
    assert errors["broken.yaml"][0] == 3
    assert "NUL character" in errors["blob.yaml"][1]
    assert "too large" in errors["huge.yaml"][1]
    notes = "\n".join(ws.notes)
    assert "ci.yml: skipped, not a Kubernetes manifest" in notes
    assert "tpl.yaml: skipped, a template" in notes
    assert "link.yaml" not in notes and "outside" not in str([d.ref for d in ws.documents])


def test_one_field_change_is_a_one_line_diff() -> None:
    ws = Workspace.load(EXAMPLE_REPO)
    changes = ws.apply(ChangeSet("scale", (SetField(DEPLOY, "spec.replicas", 3),)))
    assert [(c.operation, c.old, c.new) for c in changes] == [("set", 2, 3)]
    diff = ws.diff()
    changed = [x for x in diff.splitlines() if x[:1] in "+-" and x[:3] not in ("+++", "---")]
    assert changed == ["-  replicas: 2", "+  replicas: 3"]
    assert ws.get(DEPLOY).obj["spec"]["replicas"] == 3
    ws.reset()
    assert ws.diff() == ""


def test_apply_is_all_or_nothing() -> None:
    ws = Workspace.load(EXAMPLE_REPO)
    before = {p: f.text for p, f in ws.files.items()}
    missing = ResourceRef("apps/v1", "Deployment", "nope")
    with pytest.raises(EditRejected, match="no resource Deployment/nope"):
        ws.apply(ChangeSet("x", (SetField(DEPLOY, "spec.replicas", 5), SetField(missing, "a", 1))))
    assert {p: f.text for p, f in ws.files.items()} == before
    assert ws.modified_files() == {}


@pytest.mark.parametrize("path", ["../evil.yaml", "/etc/x.yaml", "a/../../x.yaml", "notes.txt"])
def test_unsafe_paths_are_refused(path: str) -> None:
    ws = Workspace.load(EXAMPLE_REPO)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    with pytest.raises(EditRejected):
        ws.apply(ChangeSet("x", (AddResource(path, cm),)))


def test_add_remove_and_delete(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "# keep me\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n  j: w\n"
    )
    ws = Workspace.load(tmp_path)
    ref = ResourceRef("v1", "ConfigMap", "a")
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"ports": [{"port": 80}]},
    }
    changes = ws.apply(
        ChangeSet("x", (RemoveField(ref, "data.j"), AddResource("new/svc.yaml", svc)))
    )
    assert [c.operation for c in changes] == ["remove", "add"]
    ws.write()
    assert (tmp_path / "a.yaml").read_text().startswith("# keep me\n")
    assert "j: w" not in (tmp_path / "a.yaml").read_text()
    again = Workspace.load(tmp_path)
    assert again.get(ResourceRef("v1", "Service", "s")).obj == svc
    again.apply(ChangeSet("x", (DeleteResource(ResourceRef("v1", "Service", "s")),)))
    assert again.modified_files() == {"new/svc.yaml": None}
    again.write()
    assert not (tmp_path / "new" / "svc.yaml").exists()


def test_git_commit_source_matches_the_directory(example_repo: Path) -> None:
    (example_repo / "base" / "checkout.yaml").write_text("uncommitted: true\n")
    from tests.conftest import git

    sha = git(example_repo, "rev-parse", "HEAD").strip()
    from_git = Workspace.load(example_repo, source=GitTreeSource(example_repo, sha))
    from_dir = Workspace.load(EXAMPLE_REPO)
    assert [(d.file, d.ref) for d in from_git.documents] == [
        (d.file, d.ref) for d in from_dir.documents
    ]


def test_settings_globs_select_files(make_repo: Callable[..., Path]) -> None:
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n"
    repo = make_repo(
        {
            "k8s/a.yaml": cm.format("a"),
            "other/b.yaml": cm.format("b"),
            ".kubesmith.yaml": "workspace:\n  include: ['k8s/**']\n",
        }
    )
    ws = Workspace.load(repo)
    assert [d.ref.name for d in ws.documents] == ["a"]
