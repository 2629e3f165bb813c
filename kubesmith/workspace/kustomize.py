"""What kubesmith understands of Kustomize: bases, overlays, patches, images, namespaces.

Only the structure is read here (no rendering): enough to know that ``overlays/prod`` is the
``prod`` environment, which files are patches (partial resources that must never be validated as
whole ones), and which namespace an overlay puts its resources in. Rendering overlays is the
kustomize binary's job (``kubesmith.tools.kustomize``).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZE_API = "kustomize.config.k8s.io/"


def is_kustomization(path: str, data: Any) -> bool:
    """True for a Kustomization document (by file name or by ``kind``)."""
    if posixpath.basename(path) in KUSTOMIZATION_NAMES:
        return True
    return (
        isinstance(data, dict)
        and data.get("kind") in ("Kustomization", "Component")
        and str(data.get("apiVersion", "")).startswith(KUSTOMIZE_API)
    )


@dataclass(frozen=True)
class Kustomization:
    """One kustomization file and the parts of it kubesmith uses.

    Attributes:
        file: repository-relative path of the kustomization file.
        dir: its directory (``""`` at the repository root).
        namespace: the ``namespace:`` it sets, if any.
        resources: repository-relative paths of listed resources (files or directories).
        patch_files: repository-relative paths of patch files (``patches[].path`` and the legacy
            ``patchesStrategicMerge``).
        images: the ``images:`` entries as written.
        bases: resource entries that are directories holding another kustomization.
    """

    file: str
    dir: str
    namespace: str | None = None
    resources: tuple[str, ...] = ()
    patch_files: tuple[str, ...] = ()
    images: tuple[dict[str, Any], ...] = ()
    bases: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        """The environment name: the directory's base name (``overlays/prod`` → ``prod``)."""
        return posixpath.basename(self.dir) or "."

    @property
    def is_overlay(self) -> bool:
        """True when this kustomization builds on another one (it has bases)."""
        return bool(self.bases)

    @classmethod
    def parse(cls, file: str, data: Any, dirs_with_kustomization: set[str]) -> Kustomization:
        """Read the kustomization ``data`` found at ``file``."""
        d = posixpath.dirname(file)
        data = data if isinstance(data, dict) else {}

        def rel(p: str) -> str:
            return posixpath.normpath(posixpath.join(d, p)) if d else posixpath.normpath(p)

        resources = tuple(
            rel(str(r)) for r in _list(data.get("resources")) + _list(data.get("bases"))
        )
        patches: list[str] = []
        for p in _list(data.get("patches")) + _list(data.get("patchesJson6902")):
            if isinstance(p, dict) and isinstance(p.get("path"), str):
                patches.append(rel(p["path"]))
        patches += [rel(p) for p in _list(data.get("patchesStrategicMerge")) if isinstance(p, str)]
        images = tuple(i for i in _list(data.get("images")) if isinstance(i, dict))
        bases = tuple(r for r in resources if r in dirs_with_kustomization)
        ns = data.get("namespace")
        return cls(
            file=file,
            dir=d,
            namespace=str(ns) if ns else None,
            resources=resources,
            patch_files=tuple(patches),
            images=images,
            bases=bases,
        )


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []
