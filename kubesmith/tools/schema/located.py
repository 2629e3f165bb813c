"""YAML documents with node positions, for files validated outside a Workspace.

``kubesmith validate some/file.yaml`` may name files anywhere, and the fast path hands whole
files to kubeconform and only parses the ones it complains about. This is the small parser that
turns such a file into :class:`kubesmith.model.Manifest` objects with ``line_of`` and duplicate
keys, using libyaml's composer (positions) — the workspace's editor is not needed to *read*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import yaml

from kubesmith.errors import ManifestError
from kubesmith.model import Match, PathSegment, ResourceRef, format_path, parse_path
from kubesmith.reading import compose_documents
from kubesmith.reading.goyaml import wire_value

MAX_NODES = 500_000
"""A document expanding to more nodes than this (a YAML alias bomb) is refused, not walked."""


_LAZY: Any = object()


@dataclass(frozen=True)
class LocatedDocument:
    """One YAML document of a file, with its node tree (implements ``model.Manifest``).

    ``obj_`` may be left out: the value is then built from the node tree on first use (the CLI
    only needs the values of the few documents kubeconform flagged, and positions for the rest).
    """

    file: str
    index: int
    node: yaml.Node | None
    obj_: Any = _LAZY
    is_patch: bool = False
    values_bounded: bool = False
    """True when the values are built from a node graph :mod:`kubesmith.reading` checked
    (nesting, alias expansion; :func:`parse_documents`): a validator need not walk them again.
    A value handed in (``obj_``) from elsewhere is not."""

    @cached_property
    def value(self) -> Any:
        """The document's value (any YAML value).

        Raises:
            yaml.YAMLError: when a lazily built value cannot be constructed.
        """
        if self.obj_ is not _LAZY:
            return self.obj_
        return _construct(self.node)

    @property
    def obj(self) -> dict[str, Any]:
        """The parsed document (``{}`` when it is not a mapping)."""
        value = self.value
        return value if isinstance(value, dict) else {}

    @cached_property
    def duplicate_keys(self) -> list[tuple[str, int]]:
        """Mapping keys written twice, as (field path, line of the repeated key)."""
        return duplicate_keys(self.node)

    def scalar(self, *path: str) -> str:
        """The text of the scalar at ``path`` (``""`` when absent), read from the nodes only."""
        node = self.node
        for seg in path:
            found = _child(node, seg)
            if found is None:
                return ""
            node = found[1]
        return node.value if isinstance(node, yaml.ScalarNode) else ""

    @property
    def ref(self) -> ResourceRef:
        """The object's identity (read from the nodes while the value is not built)."""
        if self.obj_ is _LAZY and "value" not in self.__dict__:
            return ResourceRef(
                api_version=self.scalar("apiVersion"),
                kind=self.scalar("kind"),
                name=self.scalar("metadata", "name"),
                namespace=self.scalar("metadata", "namespace") or None,
            )
        return ResourceRef.from_object(self.obj)

    @property
    def line(self) -> int:
        """1-based line where the document's content starts."""
        return self.node.start_mark.line + 1 if self.node is not None else 1

    def line_of(self, path: str | Sequence[PathSegment]) -> int:
        """1-based line of the node at ``path`` (or of its closest existing ancestor)."""
        segments = parse_path(path) if isinstance(path, str) else tuple(path)
        node = self.node
        line = self.line
        for seg in segments:
            found = _child(node, seg)
            if found is None:
                break
            line, node = found
        return line


def _child(node: yaml.Node | None, seg: PathSegment) -> tuple[int, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(seg, str):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == seg:
                return k.start_mark.line + 1, v
    if isinstance(node, yaml.SequenceNode):
        if isinstance(seg, int) and -len(node.value) <= seg < len(node.value):
            item = node.value[seg]
            return item.start_mark.line + 1, item
        if isinstance(seg, Match):
            for item in node.value:
                found = _child(item, seg.key)
                if found and isinstance(found[1], yaml.ScalarNode) and found[1].value == seg.value:
                    return item.start_mark.line + 1, item
    return None


def duplicate_keys(root: yaml.Node | None) -> list[tuple[str, int]]:
    """Mapping keys written twice, as (field path, line of the repeated key)."""
    out: list[tuple[str, int]] = []
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[PathSegment, ...]]] = [(root, ())] if root else []
    while stack:
        node, path = stack.pop()
        if id(node) in seen_nodes:  # aliases share nodes: walk each once
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for k, v in node.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else None
                if key is not None and key in keys:
                    out.append((format_path((*path, key)), k.start_mark.line + 1))
                if key is not None:
                    keys.add(key)
                    stack.append((v, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, i)) for i, item in enumerate(node.value))
    return sorted(out, key=lambda d: d[1])


def expanded_size_exceeds(obj: Any, limit: int = MAX_NODES) -> bool:
    """True when ``obj``, with shared (aliased) parts counted every time, has over ``limit`` nodes.

    Stops counting at the limit, so a billion-laughs document costs at most ``limit`` steps.
    """
    count = 0
    stack = [obj]
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _construct(node: yaml.Node | None) -> Any:
    """The document's value as kubectl reads it (go-yaml v2: ``hostNetwork: y`` is true), so
    the policies and the dry-run judge what the API server would receive."""
    return wire_value(node, strict=False)


def parse_documents(
    text: str, file: str, is_patch: bool = False, *, lazy: bool = False
) -> list[LocatedDocument]:
    """Every document of ``text`` with positions, within the reading limits
    (:mod:`kubesmith.reading`: documents, nesting, alias expansion).

    Args:
        lazy: build values on first use instead of now (``value`` may then raise).

    Raises:
        ManifestError: when the text is not valid YAML (with the line of the problem);
            ``ManifestRefused`` when it is over a limit.
    """
    docs: list[LocatedDocument] = []
    try:
        for index, node in enumerate(compose_documents(text, file)):
            obj = _LAZY if lazy else _construct(node)
            docs.append(LocatedDocument(file, index, node, obj, is_patch, values_bounded=True))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        # PyYAML's own text names "<unicode string>" and repeats the position over lines; the
        # problem (and what was being parsed) is what a person needs next to file:line.
        problem, context = getattr(e, "problem", None), getattr(e, "context", None)
        detail = f"{problem} ({context})" if problem and context else problem or str(e)
        raise ManifestError(
            f"not valid YAML: {detail}", file, mark.line + 1 if mark is not None else None
        ) from e
    return docs
