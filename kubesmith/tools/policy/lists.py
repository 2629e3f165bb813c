"""``kind: List`` (and ``PodList``, ``DeploymentList``... any ``*List`` with ``items``): kubectl
sends each item to the API server as a request of its own, so admission policies judge each item,
never the List. An item without ``apiVersion``/``kind`` takes the List's (``PodList`` → ``Pod``),
as client-go's unstructured lists do.
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
    """``obj`` with the List's apiVersion and item kind where it has none."""
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
    ``model.Manifest``): its file is the List's, its lines those of ``items[index]``."""

    parent: Manifest
    index: int

    @property
    def file(self) -> str:
        """The file of the enclosing List."""
        return self.parent.file

    @property
    def obj(self) -> dict[str, Any]:
        """The item, with the List's apiVersion/kind where it has none."""
        return item_defaults(self.parent.obj["items"][self.index], self.parent.obj)

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


def flatten(manifests: Sequence[Manifest]) -> list[Manifest]:
    """``manifests`` with every List replaced by its items (those that are mappings)."""
    out: list[Manifest] = []
    for m in manifests:
        if not is_list(m.obj):
            out.append(m)
            continue
        items = m.obj["items"]
        out += [ListItem(m, i) for i, item in enumerate(items) if isinstance(item, dict)]
    return out
