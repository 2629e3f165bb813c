"""Finding the node a field path names inside a composed YAML document.

Paths mean here what they mean on plain data (:mod:`kubesmith.workspace.yamldata`): a key (the
last one when written twice), an index, or ``[key=value]`` (the first item whose ``key`` reads as
``value``). Keys that only arrive through a ``<<`` merge are found too, marked ``merged``, so the
editor can refuse to edit them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubesmith.errors import ManifestError
from kubesmith.model import Match, PathSegment, format_path
from kubesmith.workspace import yamldata as D
from kubesmith.workspace.yamlnodes import key_value, scalar_value

_MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Step:
    """One resolved path segment: the container, the key node (mappings) and the value node."""

    parent: Node
    key: Node | None
    node: Node
    index: int
    merged: bool = False


def _key_is(node: Node, seg: PathSegment) -> bool:
    if not isinstance(node, ScalarNode) or node.tag == _MERGE:
        return False
    value = key_value(node)
    return type(value) is type(seg) and bool(value == seg)


def _item_is(node: Node, seg: Match) -> bool:
    if not isinstance(node, MappingNode):
        return False
    for k, v in reversed(node.value):
        if _key_is(k, seg.key):
            return isinstance(v, ScalarNode) and D.text_of(scalar_value(v)) == seg.value
    return False


def child(node: Node, seg: PathSegment) -> Step | None:
    """The entry of ``node`` that ``seg`` selects (the last one for a repeated key)."""
    if isinstance(node, MappingNode) and not isinstance(seg, Match):
        for i in range(len(node.value) - 1, -1, -1):
            if _key_is(node.value[i][0], seg):
                return Step(node, node.value[i][0], node.value[i][1], i)
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.tag == _MERGE:
                for src in v.value if isinstance(v, SequenceNode) else [v]:
                    found = child(src, seg)
                    if found is not None:
                        return replace(found, merged=True)
        return None
    if isinstance(node, SequenceNode):
        items = node.value
        if isinstance(seg, int) and -len(items) <= seg < len(items):
            return Step(node, None, items[seg % len(items)], seg % len(items))
        if isinstance(seg, Match):
            for i, item in enumerate(items):
                if _item_is(item, seg):
                    return Step(node, None, item, i)
    return None


def walk(
    root: Node, segs: Sequence[PathSegment], shared: frozenset[int], editing: bool, name: str = ""
) -> list[Step]:
    """Resolve as much of ``segs`` as exists, one :class:`Step` per resolved segment.

    Raises:
        ManifestError: when ``editing`` and the path runs through an anchored/aliased node.
    """
    steps: list[Step] = []
    node = root
    for n, seg in enumerate(segs):
        step = child(node, seg)
        if step is None:
            break
        if editing and (step.merged or id(step.node) in shared):
            where = format_path(segs[: n + 1])
            raise ManifestError(
                f"{where} is shared through a YAML anchor/alias; editing it would change every "
                "place that refers to it, so kubesmith leaves it to a human",
                name,
                step.node.start_mark.line + 1,
            )
        steps.append(step)
        node = step.node
    return steps
