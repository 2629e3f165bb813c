"""Scorers: field assertions, side edits, and CloudEval's key-value wildcard match."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kubesmith.model import Match, PathSegment, format_path, parse_path
from kubesmith.workspace import Document, Workspace

_MISSING = object()


def flatten(value: Any, prefix: tuple[PathSegment, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Leaf paths and values; list items with a ``name`` are addressed as ``[name=x]``.

    Naming items keeps paths stable when an item is inserted before them, so a new env var
    is one new leaf rather than a shift of every later one.
    """
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from flatten(v, (*prefix, str(k)))
    elif isinstance(value, list) and value:
        for n, item in enumerate(value):
            named = isinstance(item, dict) and isinstance(item.get("name"), str)
            seg: PathSegment = Match("name", item["name"]) if named else n
            yield from flatten(item, (*prefix, seg))
    else:
        yield format_path(prefix) if prefix else "", value


def get_value(obj: Any, path: str) -> Any:
    """The value at ``path`` (selectors allowed), or a sentinel when absent (see ``present``)."""
    node = obj
    for seg in parse_path(path):
        if isinstance(seg, Match):
            items = node if isinstance(node, list) else []
            found = [i for i in items if isinstance(i, dict) and str(i.get(seg.key)) == seg.value]
            if not found:
                return _MISSING
            node = found[0]
        elif isinstance(seg, int):
            if not isinstance(node, list) or not -len(node) <= seg < len(node):
                return _MISSING
            node = node[seg]
        else:
            if not isinstance(node, dict) or seg not in node:
                return _MISSING
            node = node[seg]
    return node


def present(value: Any) -> bool:
    """False for the absent sentinel of :func:`get_value`."""
    return value is not _MISSING


def _same(a: Any, b: Any) -> bool:
    # YAML authors write 3, "3" and 3.0 for the same intent; quantities compare as text.
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, (int, float, str)) and isinstance(b, (int, float, str)):
        return str(a) == str(b)
    return bool(a == b)


def values_match(expected: Any, actual: Any) -> bool:
    """Deep comparison with the lenient scalar rule of :func:`_same`; dicts match by subset."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and values_match(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(values_match(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return _same(expected, actual)


def changed_leaves(before: dict[str, Any] | None, after: dict[str, Any] | None) -> set[str]:
    """Leaf paths whose value differs between two versions of one object."""
    old = dict(flatten(before or {}))
    new = dict(flatten(after or {}))
    return {p for p in old.keys() | new.keys() if old.get(p, _MISSING) != new.get(p, _MISSING)}


def side_edits(
    base: Workspace, head: Workspace, allowed: list[tuple[str, str | None]]
) -> list[str]:
    """Leaf changes outside what the task asked for.

    Args:
        allowed: (resource key ``Kind/name``, path prefix or None for the whole object).
    """

    def key(d: Document) -> tuple[str, str, str]:
        return (d.file, d.ref.kind, d.ref.name)

    old = {key(d): d.obj for d in base.documents}
    new = {key(d): d.obj for d in head.documents}
    out = []
    for k in sorted(old.keys() | new.keys()):
        if old.get(k) == new.get(k):
            continue
        name = f"{k[1]}/{k[2]}"
        # An object the task asked to create (or delete) may be written as a whole.
        created_or_deleted = (k in old) != (k in new)
        named = any(r == name for r, _ in allowed)
        whole = any(r == name and p is None for r, p in allowed) or (created_or_deleted and named)
        prefixes = [p for r, p in allowed if r == name and p is not None]
        for leaf in sorted(changed_leaves(old.get(k), new.get(k))):
            if whole or any(_under(leaf, p) for p in prefixes):
                continue
            out.append(f"{k[0]}: {name} {leaf}")
    return out


def _under(leaf: str, prefix: str) -> bool:
    if leaf == prefix or leaf.startswith((prefix + ".", prefix + "[")):
        return True
    # A list item selected by [name=x] carries its own name: that key comes with the item.
    for m in re.finditer(r"\[name=([^\]]*)\]", prefix):
        if leaf == prefix[: m.end()] + ".name":
            return True
    # An expectation may select a list item by index where flatten named it (or vice versa).
    return _normalise(leaf).startswith(_normalise(prefix))


def _normalise(path: str) -> str:
    return re.sub(r"\[[^\]]*\]", "[]", path)


# --------------------------------------------------------------------- CloudEval metric

WILDCARD = re.compile(r"#\s*\*")


def kv_wildcard_score(reference_text: str, candidate: Any) -> float:
    """CloudEval-YAML's key-value wildcard match: the share of the reference's leaves that the
    candidate has with the same value; a leaf whose line carries a ``# *`` label only needs to be
    present (any value is accepted)."""
    from kubesmith.workspace.yamledit import YamlFile

    ref_file = YamlFile.parse(reference_text, "reference.yaml")
    lines = reference_text.splitlines()
    wild = {i + 1 for i, line in enumerate(lines) if WILDCARD.search(line)}
    docs = [d for d in ref_file.documents if d.data is not None]
    cands = candidate if isinstance(candidate, list) else [candidate]
    total = matched = 0
    for i, doc in enumerate(docs):
        cand = cands[i] if i < len(cands) else {}
        for path, value in flatten(doc.data):
            if not path:
                continue
            total += 1
            got = get_value(cand, path)
            if not present(got):
                continue
            if doc.line_of(path) in wild or _same(value, got):
                matched += 1
    return matched / total if total else 0.0
