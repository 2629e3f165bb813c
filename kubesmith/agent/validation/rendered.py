"""A resource as ``kustomize build`` renders it, located in the files a person edits.

A Kustomize patch is a partial resource, so a build is validated as rendered. A finding about the
rendered object must still point at a line a person can change: the kustomization's ``images:``
entry for an image it overrides, the patch that sets the field, else the base document, else the
generator entry that made the object — never the first line of ``kustomization.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kubesmith.agent.validation.kustomizations import Generator, ImageOverride
from kubesmith.model import Manifest, Match, PathSegment, ResourceRef, parse_path

_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


@dataclass(frozen=True)
class RenderedManifest:
    """One resource of ``kustomize build`` output (implements ``model.Manifest``).

    Attributes:
        obj: the rendered object.
        ref: its identity as rendered (with the build's namespace and name prefix).
        overlay: the build's environment name (``prod``).
        sources: the documents it came from, the build's patches first (outermost first), then
            the base document.
        kustomization: the built kustomization file.
        kustomization_line: the line of its first key.
        images: image overrides of the build, outermost first, with their kustomization file.
        generator: the generator entry that made the object, with its kustomization file.
    """

    obj: dict[str, Any]
    ref: ResourceRef
    overlay: str
    sources: tuple[Manifest, ...]
    kustomization: str
    kustomization_line: int = 1
    images: tuple[tuple[str, ImageOverride], ...] = ()
    generator: tuple[str, Generator] | None = None

    @property
    def file(self) -> str:
        """The base document's file (for a generated object, a name that says so).

        Only a name for what validators print; :meth:`locate` gives the line to edit.
        """
        if self.sources:
            return self.sources[-1].file
        return f"{self.kustomization} (generated)"

    @property
    def line(self) -> int:
        """The line of the object: its base document, else the generator or kustomization."""
        return self.locate(None)[1]

    def locate(self, path: str | Sequence[PathSegment] | None) -> tuple[str, int]:
        """The file and line a person edits to change ``path`` (the whole object for None)."""
        if not path:
            if self.sources:
                base = self.sources[-1]
                return base.file, base.line
            if self.generator is not None:
                return self.generator[0], self.generator[1].line
            return self.kustomization, self.kustomization_line
        segments = _by_name(self.obj, parse_path(path))
        image = self._image_entry(segments)
        if image is not None:
            return image
        for src in self.sources:
            if _has(src.obj, segments):
                return src.file, src.line_of(segments)
        if self.sources:
            base = self.sources[-1]
            return base.file, base.line_of(segments)
        return self.locate(None)

    def line_of(self, path: str | Sequence[PathSegment]) -> int:
        """Line of ``path`` in :attr:`file` (see :meth:`locate` for the file to edit)."""
        segments = _by_name(self.obj, parse_path(path))
        return self.sources[-1].line_of(segments) if self.sources else self.line

    def _image_entry(self, segments: Sequence[PathSegment]) -> tuple[str, int] | None:
        """The ``images:`` entry that set the image at ``segments``, if one did."""
        if len(segments) < 3 or segments[-1] != "image" or segments[-3] not in _CONTAINER_LISTS:
            return None
        value = _node(self.obj, segments)
        if not isinstance(value, str):
            return None
        name = image_name(value)
        for file, img in self.images:
            if (img.new_name or img.name) == name:
                return file, img.tag_line if img.new_tag or img.digest else img.line
        return None


def image_name(image: str) -> str:
    """``registry/repo:tag@digest`` → ``registry/repo``."""
    name = image.split("@", 1)[0]
    head, sep, tail = name.rpartition(":")
    return head if sep and "/" not in tail else name


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


def _node(obj: Any, segments: Sequence[PathSegment]) -> Any:
    node = obj
    for seg in segments:
        node = _step(node, seg)
        if node is None:
            return None
    return node


def _has(obj: Any, segments: Sequence[PathSegment]) -> bool:
    """True when ``obj`` holds a node at ``segments``."""
    return _node(obj, segments) is not None
