"""Scorers: field assertions, side edits, and CloudEval's key-value wildcard match."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

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


@dataclass(frozen=True)
class Leaf:
    """One leaf of a YAML document for the key-value wildcard match.

    ``path`` holds mapping keys only: the items of a list of mappings share their list's path,
    and any other list (of scalars, or empty) is one leaf whose value is the whole list.
    """

    path: tuple[str, ...]
    value: Any
    wildcard: bool = False


def _labelled_lines(text: str) -> set[int]:
    """0-based numbers of lines that carry a ``# ... *`` label (a comment, ending in ``*``)."""
    return {
        n for n, line in enumerate(text.splitlines()) if "#" in line and line.rstrip().endswith("*")
    }


def leaves(data: Any, node: Any = None, labelled: frozenset[int] = frozenset()) -> list[Leaf]:
    """The leaves of one loaded document, wildcard-flagged from its composed ``node``.

    A leaf is a wildcard when the line of its key carries a label; ``node`` is the document's
    PyYAML node tree (from ``yaml.compose_all``), walked alongside ``data``.
    """
    out: list[Leaf] = []

    def walk(value: Any, nd: Any, path: tuple[str, ...], key_line: int | None) -> None:
        if isinstance(value, dict):
            pairs = nd.value if isinstance(nd, yaml.MappingNode) else []
            lines = (
                [(k.start_mark.line, v) for k, v in pairs]
                if len(pairs) == len(value)
                else [(None, None)] * len(value)
            )
            for (k, v), (line, vnode) in zip(value.items(), lines, strict=True):
                walk(v, vnode, (*path, str(k)), line)
            return
        if isinstance(value, list) and value and isinstance(value[0], dict):
            items = nd.value if isinstance(nd, yaml.SequenceNode) else []
            nodes = items if len(items) == len(value) else [None] * len(value)
            for item, inode in zip(value, nodes, strict=True):
                walk(item, inode, path, None)
            return
        out.append(Leaf(path, value, key_line is not None and key_line in labelled))

    if isinstance(data, dict):
        walk(data, node, (), None)
    return out


def _doc_key(doc: Any) -> tuple[Any, Any] | None:
    if not isinstance(doc, dict):
        return None
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return (doc.get("kind"), name) if doc.get("kind") is not None else None


def pair_documents(
    reference: list[Any], candidate: list[Any]
) -> list[tuple[int | None, int | None]]:
    """Pairs of (reference index, candidate index): by kind and name first, then in order.

    Documents left over on either side are paired with nothing (an empty document).
    """
    pairs: list[tuple[int | None, int | None]] = []
    free = list(range(len(candidate)))
    unpaired: list[int] = []
    for i, doc in enumerate(reference):
        key = _doc_key(doc)
        hit = next((j for j in free if key is not None and _doc_key(candidate[j]) == key), None)
        if hit is None:
            unpaired.append(i)
        else:
            free.remove(hit)
            pairs.append((i, hit))
    for i in unpaired:
        pairs.append((i, free.pop(0) if free else None))
    pairs.extend((None, j) for j in free)
    return sorted(pairs, key=lambda p: (p[0] is None, p[0] or 0, p[1] or 0))


def kv_wildcard_score(reference_text: str, candidate: list[Any]) -> float:
    """CloudEval-YAML's key-value wildcard match of ``candidate`` documents to the reference.

    Both sides are reduced to leaves (:func:`leaves`). A reference leaf is *matched* when some
    candidate leaf has the same key path and an equal value (any value, for a leaf whose key
    line carries the ``# *`` label). Per document pair, union = candidate leaves + reference
    leaves - matched; the score is the sum of matched over the sum of union over all pairs
    (1.0: the same key-value pairs, wildcards aside; extra or missing keys lower it).

    Documents are paired by kind and name, then in order (:func:`pair_documents`); the
    benchmark pairs them in order only, which gives the same pairs whenever the candidate
    keeps the reference's order.
    """
    labelled = frozenset(_labelled_lines(reference_text))
    ref_data = list(yaml.safe_load_all(reference_text))
    ref_nodes = list(yaml.compose_all(reference_text))
    ref_docs = [(d, n) for d, n in zip(ref_data, ref_nodes, strict=False) if d is not None]
    cand = [d for d in candidate if d is not None]
    matched = union = 0
    for i, j in pair_documents([d for d, _ in ref_docs], cand):
        ref = leaves(ref_docs[i][0], ref_docs[i][1], labelled) if i is not None else []
        got = leaves(cand[j]) if j is not None else []
        by_path: dict[tuple[str, ...], list[Any]] = {}
        for leaf in got:
            by_path.setdefault(leaf.path, []).append(leaf.value)
        hits = sum(
            1
            for leaf in ref
            if leaf.path in by_path
            and (leaf.wildcard or any(_equal(leaf.value, v) for v in by_path[leaf.path]))
        )
        matched += hits
        union += len(ref) + len(got) - hits
    return matched / union if union else 0.0


def _equal(a: Any, b: Any) -> bool:
    # The benchmark compares loaded values with Python's ==: 1 == 1.0, but 3 != "3".
    return bool(a == b)


def load_candidate(texts: list[str]) -> list[Any] | None:
    """The documents of the candidate's files, loaded as the benchmark loads them (PyYAML safe
    loader); None when a file does not parse (the benchmark scores that 0)."""
    docs: list[Any] = []
    for body in texts:
        try:
            docs.extend(yaml.safe_load_all(body))
        except yaml.YAMLError:
            return None
    return docs
