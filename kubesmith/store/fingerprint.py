"""A change's fingerprint: which resources, which fields, which values, nothing else.

Two proposals with the same fingerprint make the same change, whatever their intents said, their
ids, branches or the order of their edits. That is what lets kubesmith refuse to propose again a
change a reviewer already rejected.

The fingerprint is computed from either a :class:`~kubesmith.model.ChangeSet` (the planner's
edits, before anything is applied) or the applied :class:`~kubesmith.model.Change` list (what a
proposal stores), and both forms of the same change give the same fingerprint:

* a resource is identified by kind, namespace and name (not apiVersion, not file: moving from
  ``v1beta1`` to ``v1`` or from one file to another does not make a rejected change new);
* a merge patch counts as the set/remove operations on its leaves;
* values are compared as JSON (``3`` and ``"3"`` differ; key order does not matter).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kubesmith.errors import UsageError
from kubesmith.model import (
    AddResource,
    Change,
    ChangeSet,
    DeleteResource,
    Edit,
    MergePatch,
    RemoveField,
    ResourceRef,
    SetField,
    format_path,
    parse_path,
)

Item = tuple[str, str, str, str, str, str]
"""(kind, namespace, name, operation, path, canonical JSON value)."""


def fingerprint(changes: ChangeSet | Sequence[Change] | Sequence[Edit]) -> str:
    """A stable 16-hex-digit digest of the change; ``""`` when there is nothing to change."""
    items = change_items(changes)
    if not items:
        return ""
    digest = hashlib.sha256(json.dumps(items, separators=(",", ":")).encode()).hexdigest()
    return digest[:16]


def change_items(changes: ChangeSet | Sequence[Change] | Sequence[Edit]) -> list[Item]:
    """The sorted, de-duplicated canonical items a fingerprint is made of."""
    seq: Iterable[Any] = changes.edits if isinstance(changes, ChangeSet) else changes
    items: set[Item] = set()
    for c in seq:
        items.update(_items(c))
    return sorted(items)


def _items(c: Any) -> Iterator[Item]:
    if isinstance(c, Change):
        yield from _from_change(c)
    elif isinstance(c, SetField):
        yield _item(c.ref, "set", c.path, c.value)
    elif isinstance(c, RemoveField):
        yield _item(c.ref, "remove", c.path, None)
    elif isinstance(c, MergePatch):
        yield from _from_patch(c.ref, c.patch)
    elif isinstance(c, AddResource):
        yield _item(c.ref, "add", "", c.manifest)
    elif isinstance(c, DeleteResource):
        yield _item(c.ref, "delete", "", None)


def _from_change(c: Change) -> Iterator[Item]:
    ref = c.ref or ResourceRef("", "", c.file)
    if c.operation == "merge" and isinstance(c.new, dict):
        yield from _from_patch(ref, c.new)
    elif c.operation == "set":
        yield _item(ref, "set", c.path or "", c.new)
    elif c.operation == "remove":
        yield _item(ref, "remove", c.path or "", None)
    elif c.operation == "add":
        yield _item(ref, "add", "", c.new)
    else:
        yield _item(ref, c.operation, c.path or "", None)


def _from_patch(
    ref: ResourceRef, patch: dict[str, Any], prefix: tuple[str, ...] = ()
) -> Iterator[Item]:
    for key, value in patch.items():
        path = (*prefix, str(key))
        if isinstance(value, dict) and value:
            yield from _from_patch(ref, value, path)
        elif value is None:
            yield _item(ref, "remove", format_path(path), None)
        else:
            yield _item(ref, "set", format_path(path), value)


def _item(ref: ResourceRef, op: str, path: str, value: Any) -> Item:
    try:
        canonical_path = format_path(parse_path(path)) if path else ""
    except UsageError:
        canonical_path = path
    return (
        ref.kind,
        ref.namespace or "",
        ref.name,
        op,
        canonical_path,
        json.dumps(value, sort_keys=True, separators=(",", ":"), default=str),
    )
