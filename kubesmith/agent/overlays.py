"""Overlays as Kustomize renders them, for changes that touch an overlay.

A patch in an overlay is a partial resource: validated alone it proves nothing. When a change
edits a file that belongs to an overlay (a patch, the kustomization, an overlay's own resource),
that overlay is rendered with the pinned kustomize from the *proposed* tree, and the rendered
objects are validated; findings point back at the patch or base line a person edits.
"""

from __future__ import annotations

import posixpath
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kubesmith.errors import ToolError
from kubesmith.model import Finding, Manifest
from kubesmith.tools.validator import Validator
from kubesmith.workspace import GitTreeSource, Kustomization, Workspace


def affected_overlays(ws: Workspace, files: set[str]) -> list[Kustomization]:
    """Overlays (kustomizations built on another) holding one of ``files``."""
    out = []
    for k in ws.kustomizations:
        if not k.is_overlay:
            continue
        inside = any(
            f == k.file or posixpath.dirname(f) == k.dir or f.startswith(k.dir + "/") for f in files
        )
        if inside or any(f in k.patch_files for f in files):
            out.append(k)
    return out


def materialize(ws: Workspace, into: Path, *, proposed: bool = True) -> Path:
    """Write the workspace's tree, edits included unless ``proposed`` is False, into ``into``.

    A commit source is exported with ``git archive`` (so non-YAML files a kustomization refers
    to, such as generator inputs, are there too), then the edited files are written over it.
    """
    source = ws.source
    if isinstance(source, GitTreeSource):
        archive = subprocess.run(
            ["git", "archive", "--format=tar", source.rev],
            cwd=source.repo, capture_output=True, check=True,
        ).stdout  # fmt: skip
        tar_path = into / ".kubesmith-tree.tar"
        tar_path.write_bytes(archive)
        with tarfile.open(tar_path) as tar:
            tar.extractall(into, filter="data")
        tar_path.unlink()
    else:  # a folder: copy it whole, so generator inputs and other non-YAML files are there
        shutil.copytree(ws.root, into, ignore=shutil.ignore_patterns(".git"), dirs_exist_ok=True)
    for rel, text in (ws.modified_files() if proposed else {}).items():
        target = into / rel
        if text is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return into


def validate_overlays(
    ws: Workspace,
    overlays: Sequence[Kustomization],
    validators: Sequence[Validator],
    *,
    proposed: bool = True,
) -> list[Finding]:
    """Render each overlay (with the workspace's edits, or as the base had it when ``proposed``
    is False) and validate what it renders.

    A render that fails is an error finding on the kustomization (never a silent pass).
    """
    if not overlays:
        return []
    from kubesmith.tools.rendered import render_overlay

    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="kubesmith-render-") as tmp:
        # A folder with nothing edited is rendered where it is; anything else is materialised.
        unedited = not (proposed and ws.modified_files())
        if unedited and not isinstance(ws.source, GitTreeSource):
            root = Path(ws.root)
        else:
            root = materialize(ws, Path(tmp), proposed=proposed)
        for k in overlays:
            try:
                rendered: list[Manifest] = list(render_overlay(ws, k, root=root))
            except ToolError as e:
                findings.append(
                    Finding("kustomize", "error", str(e), file=k.file, line=1, rule="build")
                )
                continue
            for v in validators:
                if getattr(v, "renders_overlays", True):
                    findings.extend(v.validate(rendered))
    return unique(findings)


def unique(findings: list[Finding]) -> list[Finding]:
    """``findings`` without repeats (an overlay's render repeats its base's findings)."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for f in findings:
        key = (f.validator, f.severity, f.file, f.line, f.path, f.message, f.rule)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
