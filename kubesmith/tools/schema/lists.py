"""``kind: List`` documents: each item is a resource of its own, validated as such.

kubectl applies the items of a ``v1/List`` one by one and kubeconform validates them one by one;
there is no schema for the List itself. Items are validated as written (no apiVersion or kind
taken from the List): :class:`kubesmith.reading.lists.ListItem` with ``defaults=False``.
"""

from __future__ import annotations

from kubesmith.model import Manifest
from kubesmith.reading.lists import ListItem


def list_items(m: Manifest) -> list[ListItem] | None:
    """The items of a List document, or None when ``m`` is not one."""
    obj = m.obj
    kind = obj.get("kind")
    items = obj.get("items")
    if not isinstance(kind, str) or kind.lower() != "list" or not isinstance(items, list):
        return None
    return [ListItem(m, i, defaults=False) for i in range(len(items))]
