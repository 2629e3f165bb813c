"""Field-path edits on plain data: what a document must look like after an edit.

The text editor computes the expected result here first, then checks the re-parsed text against
it, so both sides must share one meaning of paths: a key (the last one when written twice), an
index (negative counts from the end; ``len`` appends), or ``[key=value]`` (the first item whose
``key`` reads as ``value``; setting through a selector that matches nothing appends an item).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from kubesmith.errors import ManifestError
from kubesmith.model import Match, PathSegment, format_path


def plain(value: Any) -> Any:
    """A deep copy of ``value`` as JSON-like data (tuples become lists).

    Raises:
        ManifestError: for values YAML cannot carry as plain data.
    """
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            if not isinstance(k, (str, int)):
                raise ManifestError(f"mapping keys must be strings, not {type(k).__name__}")
            out[k] = plain(v)
        return out
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    raise ManifestError(f"cannot write a {type(value).__name__} value into YAML")


def same(a: Any, b: Any) -> bool:
    """Equality that also compares types (``1``, ``1.0``, ``True`` and ``"1"`` all differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def text_of(value: Any) -> str:
    """How a scalar reads in a ``[key=value]`` selector (``true``, ``null``, ``8080``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def matches(item: Any, seg: Match) -> bool:
    """True when list item ``item`` is selected by ``[key=value]``."""
    return (
        isinstance(item, dict)
        and seg.key in item
        and not isinstance(item[seg.key], (dict, list))
        and text_of(item[seg.key]) == seg.value
    )


def match_value(text: str) -> Any:
    """The value a new item gets for its selector key: digits become an int (``containerPort``)."""
    return int(text) if text.isdigit() and (text == "0" or not text.startswith("0")) else text


def build(segs: Sequence[PathSegment], value: Any, name: str = "") -> Any:
    """The structure that holds ``value`` at ``segs`` when nothing of the path exists yet."""
    if not segs:
        return value
    seg, rest = segs[0], segs[1:]
    if isinstance(seg, Match):
        return [new_item(seg, rest, value, name)]
    if isinstance(seg, int):
        if seg not in (0, -1):
            raise ManifestError(f"cannot create list item [{seg}] in a missing list", name)
        return [build(rest, value, name)]
    return {seg: build(rest, value, name)}


def new_item(seg: Match, rest: Sequence[PathSegment], value: Any, name: str = "") -> Any:
    """A new list item ``{key: value, ...}`` for an upsert through ``[key=value]``."""
    inner = build(rest, value, name)
    if not isinstance(inner, dict):
        raise ManifestError(f"cannot create item {seg}: the item would not be a mapping", name)
    item = {seg.key: match_value(seg.value)}
    item.update({k: v for k, v in inner.items() if k != seg.key})
    return item


def find(node: Any, seg: PathSegment) -> tuple[bool, Any]:
    """``(found, key or index)`` of ``seg`` in a dict or list."""
    if isinstance(node, dict) and not isinstance(seg, Match):
        return (seg in node), seg
    if isinstance(node, list):
        if isinstance(seg, int):
            ok = -len(node) <= seg < len(node)
            return ok, (seg % len(node) if ok else seg)
        if isinstance(seg, Match):
            for i, item in enumerate(node):
                if matches(item, seg):
                    return True, i
    return False, None


def get(data: Any, segs: Sequence[PathSegment]) -> tuple[bool, Any]:
    """``(found, value)`` at ``segs``."""
    node = data
    for seg in segs:
        ok, k = find(node, seg)
        if not ok:
            return False, None
        node = node[k]
    return True, node


def set_in(
    data: Any, segs: Sequence[PathSegment], value: Any, name: str = ""
) -> tuple[Any, Any, bool]:
    """Set ``value`` at ``segs`` in ``data`` (mutated); returns ``(data, old, existed)``."""
    return _set_in(data, tuple(segs), 0, value, name)


def _set_in(
    data: Any, segs: tuple[PathSegment, ...], n: int, value: Any, name: str
) -> tuple[Any, Any, bool]:
    if n == len(segs):
        return value, data, True
    seg, rest = segs[n], segs[n + 1 :]
    if data is None and n > 0:
        return build(segs[n:], value, name), None, False
    ok, k = find(data, seg)
    if ok:
        data[k], old, existed = _set_in(data[k], segs, n + 1, value, name)
        return data, old, existed
    if isinstance(data, dict) and not isinstance(seg, Match):
        data[seg] = build(rest, value, name)
        return data, None, False
    if isinstance(data, list):
        if isinstance(seg, Match):
            data.append(new_item(seg, rest, value, name))
            return data, None, False
        if seg == len(data):
            data.append(build(rest, value, name))
            return data, None, False
        if isinstance(seg, int):
            raise ManifestError(
                f"cannot set {format_path(segs)}: list index {seg} is out of range "
                f"({len(data)} items)",
                name,
            )
    where = format_path(segs[:n]) or "the document"
    kinds: dict[type, str] = {dict: "a mapping", list: "a list"}
    kind = kinds.get(type(data), f"a {type(data).__name__} value")
    raise ManifestError(f"cannot set {format_path(segs)}: {where} is {kind}", name)


def remove_in(data: Any, segs: Sequence[PathSegment]) -> tuple[bool, Any]:
    """Remove the key or item at ``segs`` from ``data`` (mutated); returns ``(found, old)``."""
    ok, parent = get(data, segs[:-1])
    if not ok:
        return False, None
    found, k = find(parent, segs[-1])
    if not found:
        return False, None
    return True, parent.pop(k)


def without_nulls(patch: Any) -> Any:
    """A merge-patch value with its ``None`` members dropped (what it means for a new key)."""
    if isinstance(patch, dict):
        return {k: without_nulls(v) for k, v in patch.items() if v is not None}
    return patch


def merge(target: Any, patch: Any) -> Any:
    """RFC 7386: apply ``patch`` to ``target`` (mutated when both are dicts) and return it."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        return without_nulls(patch)
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge(target.get(k), v)
    return target
