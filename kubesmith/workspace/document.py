"""One Kubernetes document inside a YAML file, with the positions of its nodes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from kubesmith.model import PathSegment, ResourceRef, parse_path

if TYPE_CHECKING:
    from kubesmith.workspace.yamledit import YamlDocument


@dataclass(frozen=True)
class Document:
    """A Kubernetes object as written in the repository (implements ``model.Manifest``).

    Attributes:
        file: repository-relative posix path.
        index: position of the document in its file (0-based, counting every document).
        ref: the object's identity; the namespace falls back to the owning kustomization's.
        is_patch: True for a Kustomize patch: a partial resource, never validated as a whole one.
        overlay: the environment name when the file belongs to a Kustomize overlay.
    """

    file: str
    index: int
    ref: ResourceRef
    source: YamlDocument
    is_patch: bool = False
    overlay: str | None = None

    values_bounded: ClassVar[bool] = True
    """The parser checked nesting and alias expansion while building the values."""

    @property
    def obj(self) -> dict[str, Any]:
        """The parsed document."""
        data = self.source.data
        return data if isinstance(data, dict) else {}

    @property
    def line(self) -> int:
        """1-based line where the document's content starts."""
        return self.source.start_line

    @property
    def labels(self) -> dict[str, str]:
        """``metadata.labels`` (empty when absent)."""
        meta = self.obj.get("metadata")
        labels = meta.get("labels") if isinstance(meta, dict) else None
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}

    @property
    def duplicate_keys(self) -> list[tuple[str, int]]:
        """Mapping keys written twice, as (field path, line)."""
        return list(self.source.duplicate_keys)

    def line_of(self, path: str | Sequence[PathSegment]) -> int:
        """1-based line of the node at ``path`` (or of its closest existing ancestor)."""
        return self.source.line_of(parse_path(path) if isinstance(path, str) else tuple(path))

    def __str__(self) -> str:
        return f"{self.ref} ({self.file})"
