"""Overlays as Kustomize renders them, located in the files a human edits.

A Kustomize patch is a partial resource, so an overlay is validated as ``kustomize build``
renders it. But a finding about the rendered object must point at a line a person can change:
the overlay's patch when the patch sets that field, otherwise the base document. A
:class:`RenderedManifest` carries the rendered object plus its sources and answers
``locate(path) -> (file, line)``; validators that know about it (the dry-run validator) use it,
others fall back to ``file``/``line_of`` (the base document).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubesmith.model import Manifest, Match, PathSegment, ResourceRef, parse_path
from kubesmith.tools import kustomize

if TYPE_CHECKING:
    from kubesmith.workspace import Kustomization, Workspace


@dataclass(frozen=True)
class RenderedManifest:
    """One resource of ``kustomize build`` output (implements ``model.Manifest``).

    Attributes:
        obj: the rendered object.
        ref: its identity as rendered (with the overlay's namespace).
        overlay: the environment name (``prod``).
        sources: the documents it came from, the overlay's patches first, then the base.
        kustomization: the overlay's kustomization file (the fallback location).
    """

    obj: dict[str, Any]
    ref: ResourceRef
    overlay: str
    sources: tuple[Manifest, ...]
    kustomization: str

    @property
    def file(self) -> str:
        """The base document's file (the kustomization file when there is none)."""
        return self.sources[-1].file if self.sources else self.kustomization

    @property
    def line(self) -> int:
        """The base document's first line."""
        return self.sources[-1].line if self.sources else 1

    def locate(self, path: str | Sequence[PathSegment]) -> tuple[str, int]:
        """The file and line a person edits to change ``path``: the patch that sets it, else the
        base document (its closest existing ancestor), else the kustomization file."""
        segments = _by_name(self.obj, parse_path(path))
        for src in self.sources:
            if _has(src.obj, segments):
                return src.file, src.line_of(segments)
        if self.sources:
            base = self.sources[-1]
            return base.file, base.line_of(segments)
        return self.kustomization, 1

    def line_of(self, path: str | Sequence[PathSegment]) -> int:
        """Line of ``path`` in :attr:`file` (see :meth:`locate` for the precise location)."""
        segments = _by_name(self.obj, parse_path(path))
        return self.sources[-1].line_of(segments) if self.sources else 1


def render_overlay(
    ws: Workspace, k: Kustomization, *, timeout: float = 60.0, root: Path | None = None
) -> list[RenderedManifest]:
    """Render kustomization ``k`` of ``ws`` and locate each resource in its source documents.

    Args:
        root: the tree to render from (default: the workspace's folder); the agent passes a
            materialised copy holding the proposed edits.

    Raises:
        ToolError: kustomize is missing or failed (its stderr is in the message).
    """
    rendered = kustomize.build(Path(root or ws.root) / k.dir, timeout=timeout)
    patches = set(k.patch_files)
    out = []
    for obj in rendered:
        ref = ResourceRef.from_object(obj)
        candidates = ws.find(kind=ref.kind, name=ref.name, patches=True)
        own = [d for d in candidates if d.is_patch and d.file in patches]
        bases = [d for d in candidates if not d.is_patch and d.overlay in (None, k.name)]
        bases.sort(key=lambda d: d.overlay is None)  # the overlay's own resource first
        out.append(RenderedManifest(obj, ref, k.name, (*own, *bases[:1]), k.file))
    return out


def _by_name(obj: Any, segments: Sequence[PathSegment]) -> tuple[PathSegment, ...]:
    """Turn list indexes into ``[name=...]`` selectors where the rendered item has a name, so a
    path from the rendered object finds the same item in a patch that lists it differently."""
    out: list[PathSegment] = []
    node = obj
    for seg in segments:
        if isinstance(seg, int) and isinstance(node, list) and -len(node) <= seg < len(node):
            item = node[seg]
            name = item.get("name") if isinstance(item, dict) else None
            out.append(Match("name", str(name)) if isinstance(name, str) else seg)
            node = item
            continue
        out.append(seg)
        node = _step(node, seg)
    return tuple(out)


def _step(node: Any, seg: PathSegment) -> Any:
    if isinstance(seg, Match):
        if isinstance(node, list):
            for item in node:
                if isinstance(item, dict) and str(item.get(seg.key)) == seg.value:
                    return item
        return None
    if isinstance(seg, int):
        return node[seg] if isinstance(node, list) and -len(node) <= seg < len(node) else None
    return node.get(seg) if isinstance(node, dict) else None


def _has(obj: Any, segments: Sequence[PathSegment]) -> bool:
    """True when ``obj`` holds a node at ``segments``."""
    node = obj
    for seg in segments:
        node = _step(node, seg)
        if node is None:
            return False
    return True
