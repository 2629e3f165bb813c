"""``kind: List`` documents: each item is a resource of its own, validated as such.

kubectl applies the items of a ``v1/List`` one by one and kubeconform validates them one by one;
there is no schema for the List itself. An item is presented as a manifest whose paths and lines
are those of ``items[i]`` inside the enclosing document, so findings still point at the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kubesmith.model import Manifest, PathSegment, ResourceRef, parse_path


@dataclass(frozen=True)
class ListItem:
    """Item ``index`` of a List document (implements ``model.Manifest``)."""

    parent: Manifest
    index: int

    @property
    def file(self) -> str:
        """The file of the enclosing List."""
        return self.parent.file

    @property
    def obj(self) -> dict[str, Any]:
        """The item (``{}`` when it is not a mapping)."""
        item = self.parent.obj["items"][self.index]
        return item if isinstance(item, dict) else {}

    @property
    def ref(self) -> ResourceRef:
        """The item's identity."""
        return ResourceRef.from_object(self.obj)

    @property
    def line(self) -> int:
        """The line where the item starts."""
        return self.parent.line_of(("items", self.index))

    def line_of(self, path: str | Sequence[PathSegment]) -> int:
        """The line of ``path`` inside the item."""
        segments = parse_path(path) if isinstance(path, str) else tuple(path)
        return self.parent.line_of(("items", self.index, *segments))


def list_items(m: Manifest) -> list[ListItem] | None:
    """The items of a List document, or None when ``m`` is not one."""
    obj = m.obj
    kind = obj.get("kind")
    items = obj.get("items")
    if not isinstance(kind, str) or kind.lower() != "list" or not isinstance(items, list):
        return None
    return [ListItem(m, i) for i in range(len(items))]
