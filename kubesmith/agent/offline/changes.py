"""Edits in the abstract: what to change on which document, before Kustomize is considered.

Builders describe changes against the resource as a person thinks of it (the base Deployment);
:mod:`kubesmith.agent.offline.overlay` then decides where each change is written (the base, an
overlay's patch, its ``images:`` list, or a new patch file).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubesmith.model import Match, PathSegment, parse_path

if TYPE_CHECKING:
    from kubesmith.workspace import Document


@dataclass(frozen=True)
class FieldChange:
    """Set (or, with ``remove``, delete) the field at ``path`` of ``doc``.

    ``image`` is ``(old, new)`` for a container image change, which an overlay writes as an
    ``images:`` entry instead of a patch.
    """

    doc: Document
    path: str
    value: Any = None
    remove: bool = False
    note: str = ""
    image: tuple[str, str] | None = None
    unchanged: bool = False
    """The value is already in place: no edit is made, only the note is kept."""


@dataclass(frozen=True)
class NewObject:
    """A new resource that belongs with ``owner`` (a Service, HPA or PDB for a workload)."""

    owner: Document
    manifest: dict[str, Any]
    note: str = ""


@dataclass(frozen=True)
class DropObject:
    """Delete the resource of ``doc``."""

    doc: Document
    note: str = ""


@dataclass
class Plan:
    """What the builders produced for one clause: changes, and questions for the person."""

    changes: list[FieldChange | NewObject | DropObject] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)


def get_path(obj: Any, path: str | tuple[PathSegment, ...]) -> tuple[bool, Any]:
    """``(found, value)`` at a field path of a plain object (``[key=value]`` selectors included)."""
    node = obj
    for seg in parse_path(path):
        if isinstance(seg, Match):
            if not isinstance(node, list):
                return False, None
            hits = [
                item
                for item in node
                if isinstance(item, dict) and str(_text(item.get(seg.key))) == seg.value
            ]
            if not hits:
                return False, None
            node = hits[0]
        elif isinstance(seg, int):
            if not isinstance(node, list) or not -len(node) <= seg < len(node):
                return False, None
            node = node[seg]
        else:
            if not isinstance(node, dict) or seg not in node:
                return False, None
            node = node[seg]
    return True, node


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def put_path(obj: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at ``path`` in a plain nested object, creating parents and list items."""
    segs = parse_path(path)
    node: Any = obj
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        nxt = None if last else segs[i + 1]
        empty: Any = [] if isinstance(nxt, Match) else {}
        if isinstance(seg, Match):
            hit = next(
                (it for it in node if isinstance(it, dict) and _text(it.get(seg.key)) == seg.value),
                None,
            )
            if hit is None:
                hit = {seg.key: int(seg.value) if seg.value.isdigit() else seg.value}
                node.append(hit)
            if last:
                if isinstance(value, dict):
                    hit.update(value)
                continue
            node = hit
        elif isinstance(seg, int):
            if seg == len(node):
                node.append(value if last else empty)
            elif last:
                node[seg] = value
            if not last:
                node = node[seg]
        elif last:
            node[seg] = value
        else:
            node = node.setdefault(seg, empty)


def drop_path(obj: dict[str, Any], path: str) -> None:
    """Remove the key or list item at ``path`` from a plain nested object (absent: no-op)."""
    segs = parse_path(path)
    found, parent = get_path(obj, segs[:-1])
    last = segs[-1]
    if not found:
        return
    if isinstance(parent, dict) and isinstance(last, str):
        parent.pop(last, None)
    elif isinstance(parent, list) and isinstance(last, int) and -len(parent) <= last < len(parent):
        del parent[last]
    elif isinstance(parent, list) and isinstance(last, Match):
        parent[:] = [
            it
            for it in parent
            if not (isinstance(it, dict) and _text(it.get(last.key)) == last.value)
        ]


def tidy(value: Any) -> Any:
    """Scalars before mappings and lists at every level (``replicas`` above ``template``),
    otherwise in the order the edits came, so a new patch reads like a hand-written one."""
    if isinstance(value, list):
        return [tidy(v) for v in value]
    if not isinstance(value, dict):
        return value
    simple = {k: v for k, v in value.items() if not isinstance(v, (dict, list))}
    nested = {k: tidy(v) for k, v in value.items() if isinstance(v, (dict, list))}
    head = {k: simple.pop(k) for k in ("apiVersion", "kind") if k in simple}
    return {
        **head,
        **({"metadata": nested.pop("metadata")} if "metadata" in nested else {}),
        **simple,
        **nested,
    }


def merge(base: Any, patch: Any) -> Any:
    """A small strategic merge: maps merge, lists of named items merge by name, null deletes."""
    if isinstance(base, dict) and isinstance(patch, dict):
        for k, v in patch.items():
            if v is None:
                base.pop(k, None)
            elif k in base:
                base[k] = merge(base[k], v)
            else:
                base[k] = copy.deepcopy(v)
        return base
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in [*base, *patch])
    ):
        by_name = {i["name"]: i for i in base}
        for item in patch:
            if item.get("$patch") == "delete":
                base = [b for b in base if b["name"] != item["name"]]
            elif item["name"] in by_name:
                merge(by_name[item["name"]], item)
            else:
                base.append(copy.deepcopy(item))
        return base
    return copy.deepcopy(patch)
