"""``kind: List`` documents read as kubectl reads them: each item is a resource of its own.

kubectl sends each item of a List to the API server as a request of its own, so the validators
judge each item, never the List. An item is presented as a manifest whose paths and lines are
those of ``items[i]`` inside the enclosing document, so findings still point at the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kubesmith.model import Manifest, PathSegment, ResourceRef, parse_path


def is_list(obj: dict[str, Any]) -> bool:
    """True for a List document: a kind ending in ``List`` and an ``items`` list."""
    kind = obj.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and isinstance(obj.get("items"), list)


def item_defaults(obj: dict[str, Any], list_obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with the List's apiVersion and item kind where it has none (``PodList`` →
    ``Pod``), as client-go's unstructured lists do."""
    if obj.get("kind") and obj.get("apiVersion"):
        return obj
    kind = str(list_obj.get("kind", ""))
    filled = dict(obj)
    if not filled.get("kind") and kind != "List":
        filled["kind"] = kind.removesuffix("List")
    filled.setdefault("apiVersion", list_obj.get("apiVersion", ""))
    return filled


@dataclass(frozen=True)
class ListItem:
    """Item ``index`` of a List document as a manifest of its own (implements
    ``model.Manifest``): its file is the List's, its lines those of ``items[index]``.

    Attributes:
        defaults: give the item the List's apiVersion/kind where it has none
            (:func:`item_defaults`); when False the item is as written.
    """

    parent: Manifest
    index: int
    defaults: bool = True

    @property
    def file(self) -> str:
        """The file of the enclosing List."""
        return self.parent.file

    @property
    def obj(self) -> dict[str, Any]:
        """The item (``{}`` when it is not a mapping)."""
        item = self.parent.obj["items"][self.index]
        if not isinstance(item, dict):
            return {}
        return item_defaults(item, self.parent.obj) if self.defaults else item

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
