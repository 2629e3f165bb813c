"""How much work one input file may cost, and the checks that enforce it.

Everything kubesmith reads may come from a stranger (a pull request, a cloned repository), and
YAML makes small input expensive: ten lines of anchors and aliases (a "billion laughs") describe
a document of billions of nodes, which any consumer that walks the value — a CEL evaluator, a
JSON encoder, a schema engine — expands in memory. So every reading path (workspace, schema,
policy, bot, configuration) checks the same :class:`Limits` before handing a document on, and
a document over a limit is refused with :class:`~kubesmith.errors.ManifestRefused` (an error
finding with file and line), never walked.

The checks cost time proportional to the *written* size: shared (aliased) parts are measured
once and their expanded size is computed, not visited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import yaml

from kubesmith.errors import ManifestRefused


@dataclass(frozen=True)
class Limits:
    """Bounds on one input file.

    Attributes:
        max_file_bytes: a larger file is not read at all.
        max_documents: YAML documents in one file.
        max_depth: nesting of mappings and sequences in one document (real manifests, CRD
            schemas included, stay far below it; Python code walking values recursively does
            not survive much more).
        max_nodes: nodes one document may expand to through aliases; a document whose aliases
            expand it past this, and past ``alias_factor`` times its written nodes, is refused.
        alias_factor: how much larger than written aliases may make a document (``<<`` merge
            keys and shared blocks stay well within it).
    """

    max_file_bytes: int = 2_000_000
    max_documents: int = 10_000
    max_depth: int = 200
    max_nodes: int = 100_000
    alias_factor: int = 10


LIMITS = Limits()
"""The default limits."""

_CURRENT: ContextVar[Limits] = ContextVar("kubesmith_reading_limits", default=LIMITS)


def current() -> Limits:
    """The limits in force: :data:`LIMITS` unless a caller chose others with :func:`use`."""
    return _CURRENT.get()


@contextmanager
def use(limits: Limits) -> Iterator[Limits]:
    """Make ``limits`` the ones in force for the reading done inside the block.

    The repository's ``workspace.max_file_bytes`` reaches the validators' file reading this
    way (they are handed paths, not settings).
    """
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)


@dataclass(frozen=True)
class Shape:
    """What a document costs: nodes as written, nodes once aliases are expanded, nesting."""

    written: int
    expanded: int
    depth: int


class _Cycle(Exception):
    """A value that contains itself (a recursive YAML alias)."""


def _node_children(node: Any) -> Iterable[Any]:
    value = node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return value  # type: ignore[no-any-return]
    return ()


def _data_children(item: Any) -> Iterable[Any]:
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    if isinstance(item, (list, tuple)):
        return item
    return ()


def _is_node_leaf(node: Any) -> bool:
    return not isinstance(node, (yaml.MappingNode, yaml.SequenceNode))


def _is_data_leaf(item: Any) -> bool:
    return not isinstance(item, (dict, list, tuple))


def measure(
    root: Any, children: Callable[[Any], Iterable[Any]], is_leaf: Callable[[Any], bool]
) -> Shape:
    """The :class:`Shape` of a value graph (see :func:`_measure`)."""
    return _measure(root, children, is_leaf)[0]


def _measure(
    root: Any, children: Callable[[Any], Iterable[Any]], is_leaf: Callable[[Any], bool]
) -> tuple[Shape, dict[int, int], dict[int, int]]:
    """The :class:`Shape` of a value graph whose shared parts are the same object.

    Iterative (no recursion limit) and linear in what is written: a shared collection is
    walked once and counted as often as it is used. Scalars count once per use (repeating an
    aliased scalar costs text, so the file size bounds it).

    Raises:
        _Cycle: when the value contains itself.
    """
    if is_leaf(root):
        return Shape(1, 1, 0), {}, {}
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    visiting: set[int] = set()
    written = 0
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        item, done = stack.pop()
        key = id(item)
        if done:
            total, deepest = 1, 0
            for kid in children(item):
                if is_leaf(kid):
                    total += 1
                    written += 1
                else:
                    total += size[id(kid)]
                    deepest = max(deepest, depth[id(kid)])
            size[key], depth[key] = total, deepest + 1
            written += 1
            visiting.discard(key)
            continue
        if key in size:
            continue
        visiting.add(key)
        stack.append((item, True))
        for kid in children(item):
            if is_leaf(kid):
                continue
            kid_key = id(kid)
            if kid_key in visiting:
                raise _Cycle
            if kid_key not in size:
                stack.append((kid, False))
    shape = Shape(written=written, expanded=size[id(root)], depth=depth[id(root)])
    return shape, size, depth


def _deepest(root: Any, depth: dict[int, int], steps: int) -> Any:
    """The collection ``steps`` levels below ``root`` on its deepest path."""
    node = root
    for _ in range(steps):
        kids = [k for k in _node_children(node) if id(k) in depth]
        if not kids:
            break
        node = max(kids, key=lambda k: depth[id(k)])
    return node


def _culprit(root: Any, measure_of: dict[int, int], over: int) -> Any:
    """The node a person should look at: going down from ``root`` while a child is still over
    ``over`` by itself (the anchor that explodes, the place nesting passes the limit)."""
    node = root
    while True:
        kids = _node_children(node)
        nxt = next((k for k in kids if measure_of.get(id(k), 0) > over), None)
        if nxt is None:
            return node
        node = nxt


def problem(shape: Shape, limits: Limits = LIMITS) -> str | None:
    """Why a document of this shape is refused, or None when it is within ``limits``."""
    if shape.depth > limits.max_depth:
        return f"YAML nested more than {limits.max_depth} levels deep: not read"
    budget = max(limits.max_nodes, limits.alias_factor * shape.written)
    if shape.expanded > budget:
        return (
            f"YAML aliases expand the document to {shape.expanded:,} nodes "
            f"(over {budget:,}; an alias bomb?): not read"
        )
    return None


def check_node(root: yaml.Node | None, file: str, line: int, limits: Limits | None = None) -> None:
    """Refuse a composed document (PyYAML node graph) that is over ``limits``.

    Args:
        line: 1-based line of the document's first node; the refusal names the line of the
            node that breaks the limit (the exploding anchor, the too-deep collection).

    Raises:
        ManifestRefused: too deep, expanding too far through aliases, or recursive.
    """
    if root is None:
        return
    limits = limits or current()
    try:
        shape, size, depth = _measure(root, _node_children, _is_node_leaf)
    except _Cycle:
        raise ManifestRefused(
            "recursive YAML alias (a value containing itself)", file, line
        ) from None
    reason = problem(shape, limits)
    if reason is None:
        return
    if shape.depth > limits.max_depth:
        place = _deepest(root, depth, limits.max_depth)  # the first level over the limit
    else:
        budget = max(limits.max_nodes, limits.alias_factor * shape.written)
        place = _culprit(root, size, budget)
    offset = place.start_mark.line - root.start_mark.line
    raise ManifestRefused(reason, file, line + offset)


def data_problem(obj: Any, limits: Limits = LIMITS) -> str | None:
    """Why parsed data (dicts and lists, possibly sharing parts) is over ``limits``, or None.

    For validators handed values they did not parse: ``yaml.safe_load`` turns aliases into
    shared objects, which a recursive consumer expands.
    """
    try:
        shape = measure(obj, _data_children, _is_data_leaf)
    except _Cycle:
        return "the document contains itself (a recursive YAML alias): not read"
    return problem(shape, limits)
