"""Parsing YAML text into plain data *and* node positions, one document at a time.

The editor (:mod:`kubesmith.workspace.yamledit`) never re-serializes a document: it splices text at
the positions recorded here. So this module keeps, for every document, the composed node tree
(libyaml's ``compose``: nodes carry ``start_mark``/``end_mark`` with character index, line and
column) next to the plain data built from it.

Why documents are parsed one by one: a file is cut into documents at the ``---``/``...`` markers
in column 0 (YAML forbids those lines inside content, so the cut matches what the parser would
do), and each piece is parsed alone. An edit then re-parses only the document it touched, and
node positions stay relative to their document, so shifting the documents after it is cheap.

Plain data is built here rather than by PyYAML's constructor because the constructor rewrites
mapping nodes in place for ``<<`` merge keys (which would corrupt positions) and turns timestamps
into ``datetime`` objects (Kubernetes reads them as strings).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from kubesmith.errors import ManifestError, ManifestRefused
from kubesmith.reading import CONSTRUCTOR_ERRORS, Limits, check_node, current, goyaml

_T = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_T + s for s in ("str", "int", "float", "bool", "null"))
_SEQ, _MAP, _MERGE = _T + "seq", _T + "map", _T + "merge"
_IMPLICIT: dict[Any, tuple[tuple[str, re.Pattern[str]], ...]] = {
    key: tuple(resolvers) for key, resolvers in Resolver.yaml_implicit_resolvers.items()
}
_WILDCARD = _IMPLICIT.pop(None, ())


class _FastResolver:
    """PyYAML's safe tag resolution without its (unused) path resolvers: the composer calls this
    once per node, so it is a third of the parse time when written the general way."""

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], ()) + _WILDCARD:
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Path resolvers are not used."""

    def ascend_resolver(self) -> None:
        """Path resolvers are not used."""


try:
    from yaml._yaml import CParser

    class _Loader(_FastResolver, CParser):
        """libyaml's composer (C) with the fast resolver."""

    LOADER: Any = _Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml: correct, only slower
    LOADER = yaml.SafeLoader

_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|\Z)", re.MULTILINE)
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_RARE_BREAK = re.compile("[\x85\u2028\u2029]")
_SC = SafeConstructor()


def count_breaks(text: str, start: int = 0, end: int | None = None) -> int:
    """Line breaks in ``text[start:end]``, counted the way libyaml counts lines."""
    end = len(text) if end is None else end
    if text.find("\r", start, end) < 0 and not _RARE_BREAK.search(text, start, end):
        return text.count("\n", start, end)
    return len(_BREAK.findall(text, start, end))


@dataclass(frozen=True)
class Chunk:
    """One document's span of text: ``body[start:end]``; ``explicit`` when it opens with ``---``."""

    start: int
    end: int
    explicit: bool


_CONTENT_LINE = re.compile(r"^[ \t]*[^\s#]", re.MULTILINE)


def _has_content(text: str, start: int = 0, end: int | None = None) -> bool:
    """True when ``text[start:end]`` holds anything but blank lines and comments."""
    return _CONTENT_LINE.search(text, start, len(text) if end is None else end) is not None


def split_documents(body: str) -> list[Chunk]:
    """Cut ``body`` into document spans at column-0 ``---`` and ``...`` markers.

    Comment-only text before the first document belongs to no document (a file header); a
    ``%YAML`` directive there is kept with the document it introduces. Comment-only text after a
    ``...`` or at the end stays with the document before it.
    """
    chunks: list[Chunk] = []
    start, explicit, is_open = 0, False, False

    def close(end: int) -> None:
        if is_open or _has_content(body, start, end):
            chunks.append(Chunk(start, end, explicit))
        elif chunks and chunks[-1].end == start:
            chunks[-1] = Chunk(chunks[-1].start, end, chunks[-1].explicit)

    for m in _MARKER.finditer(body):
        pos = m.start()
        if m.group() == "---":
            if not is_open and _only_directives(body[start:pos]):
                explicit = is_open = True  # "%YAML 1.2" + "---": one document
                continue
            close(pos)
            start, explicit, is_open = pos, True, True
        else:
            eol = _line_end(body, m.end())
            close(eol)
            start, explicit, is_open = eol, False, False
    close(len(body))
    return chunks


def _only_directives(text: str) -> bool:
    lines = [ln.strip() for ln in text.splitlines()]
    return any(ln.startswith("%") for ln in lines) and all(
        not ln or ln.startswith(("#", "%")) for ln in lines
    )


def _line_end(text: str, pos: int) -> int:
    """Offset just after the line break ending the line that holds ``pos`` (or len(text))."""
    m = _BREAK.search(text, pos)
    return m.end() if m else len(text)


@dataclass(frozen=True)
class Parsed:
    """One parsed document: its root node (``None`` for an empty document), data and findings."""

    root: Node | None
    data: Any
    shared: frozenset[int]
    duplicates: tuple[tuple[tuple[Any, ...], int], ...]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Composing keeps every node alive, and the collector would otherwise rescan the growing heap
    again and again (measured: 3 s instead of 0.6 s for 5,000 documents).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def parse_chunk(text: str, name: str, line0: int, limits: Limits | None = None) -> Parsed:
    """Compose and build one document's text, within the reading limits.

    Args:
        text: the document's text (markers included).
        name: file name for error messages.
        line0: number of lines before ``text`` in the file, to report absolute lines.
        limits: nesting and alias expansion bounds (default: :func:`kubesmith.reading.current`).

    Raises:
        ManifestError: malformed YAML or more than one document; ``ManifestRefused`` when the
            document is nested too deeply or its aliases expand it too far (an alias bomb).
    """
    try:
        loader = LOADER(text)
        try:
            roots: list[Node] = []
            while loader.check_node():
                roots.append(loader.get_node())
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        if e.context_mark is not None and mark is not None and mark.index >= len(text.rstrip()):
            # Noticed only at the end of input (an unclosed bracket or quote): the place that
            # opened it is what a person needs to see.
            mark = e.context_mark
        line = line0 + mark.line + 1 if mark is not None else None
        problem = e.problem or e.context or "malformed YAML"
        raise ManifestError(f"malformed YAML: {problem}", file=name, line=line) from e
    except yaml.YAMLError as e:
        raise ManifestError(f"malformed YAML: {e}", file=name, line=line0 + 1) from e
    except RecursionError as e:
        raise ManifestRefused("YAML nested too deeply: not read", file=name, line=line0 + 1) from e
    if len(roots) > 1:
        raise ManifestError("cannot split the YAML documents of this file", name, line0 + 1)
    if not roots:
        return Parsed(None, None, frozenset(), ())
    return _Builder(name, line0, "&" in text, limits or current()).run(roots[0])


_PENDING = object()


class _Builder:
    """Turns a node tree into plain data (dict/list/str/int/float/bool/None)."""

    def __init__(self, name: str, line0: int, anchors: bool, limits: Limits) -> None:
        self.name = name
        self.line0 = line0
        self.limits = limits
        self.depth = 0
        self.memo: dict[int, Any] | None = {} if anchors else None
        self.shared: set[int] = set()
        self.dup_nodes: list[tuple[MappingNode, Any, Node]] = []

    def run(self, root: Node) -> Parsed:
        if self.memo is not None:
            # Anchors: measure before building, so an alias bomb is refused unexpanded (the
            # builder shares aliased values, but whoever walks the data would expand them).
            check_node(root, self.name, self._line(root), self.limits)
        try:
            data = self.build(root)
        except RecursionError as e:
            raise ManifestRefused(
                "YAML nested too deeply: not read", self.name, self._line(root)
            ) from e
        dups = tuple(((*_path_to(root, m), key), self._line(k)) for m, key, k in self.dup_nodes)
        return Parsed(root, data, frozenset(self.shared), dups)

    def _line(self, node: Node) -> int:
        return self.line0 + node.start_mark.line + 1

    def _deeper(self, node: Node) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise ManifestRefused(
                f"YAML nested more than {self.limits.max_depth} levels deep: not read",
                self.name,
                self._line(node),
            )

    def build(self, node: Node) -> Any:
        memo = self.memo
        if memo is not None:
            got = memo.get(id(node), _PENDING)
            if got is not _PENDING:
                self.shared.add(id(node))
                if got is _RECURSING:
                    raise ManifestError("recursive YAML alias", self.name, self._line(node))
                return got
            memo[id(node)] = _RECURSING
        cls = node.__class__
        result: Any
        if cls is ScalarNode:
            try:
                result = scalar_value(node)  # type: ignore[arg-type]
            except (yaml.YAMLError, *CONSTRUCTOR_ERRORS) as e:
                # PyYAML's constructors raise these for tags they cannot read (``!!int 0x``).
                raise ManifestError(
                    f"a {node.tag.rsplit(':', 1)[-1]} value that cannot be read: {node.value!r}",
                    self.name,
                    self._line(node),
                ) from e
        elif cls is SequenceNode:
            self._deeper(node)
            result = [self.build(item) for item in node.value]
            self.depth -= 1
        elif cls is MappingNode:
            self._deeper(node)
            result = self._mapping(node)  # type: ignore[arg-type]
            self.depth -= 1
        else:  # pragma: no cover - the composer only makes the three kinds
            raise ManifestError(f"unexpected YAML node {cls.__name__}", self.name)
        if memo is not None:
            memo[id(node)] = result
        return result

    def _mapping(self, node: MappingNode) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merged: list[Any] = []
        fast = self.memo is None  # no anchors: plain string scalars can skip build()
        for key_node, value_node in node.value:
            tag = key_node.tag
            if fast and tag == _STR and key_node.__class__ is ScalarNode and _is_text(key_node):
                key: Any = key_node.value
            elif tag == _MERGE:
                merged.append(self.build(value_node))
                continue
            elif key_node.__class__ is ScalarNode:
                key = self._key(key_node)
            else:
                key = self.build(key_node)
            if isinstance(key, (dict, list)):
                raise ManifestError(
                    "a mapping key that is itself a collection is not supported",
                    self.name,
                    self._line(key_node),
                )
            if key in result:
                self.dup_nodes.append((node, key, key_node))
            if (
                fast
                and value_node.tag == _STR
                and value_node.__class__ is ScalarNode
                and _is_text(value_node)
            ):
                result[key] = value_node.value
            else:
                result[key] = self.build(value_node)
        for m in merged:
            for src in m if isinstance(m, list) else [m]:
                if isinstance(src, dict):
                    for k, v in src.items():
                        result.setdefault(k, v)
        return result

    def _key(self, node: ScalarNode) -> Any:
        self.build(node)  # an explicitly tagged key that cannot be read is an error
        return key_value(node)


_RECURSING = object()


def _is_text(node: ScalarNode) -> bool:
    """A ``str``-tagged scalar whose value is its text: quoted, or plain text go-yaml does not
    read as a word or a number (``y`` and ``1e3`` are not)."""
    return bool(node.style) or goyaml.plain_is_text(node.value)


def scalar_value(node: ScalarNode) -> Any:
    """The value of a scalar node as kubectl reads it (:mod:`kubesmith.reading.goyaml`:
    ``y`` is true, ``12:30`` text, timestamps stay strings), so every validator judges what
    the API server would receive.

    Raises:
        yaml.constructor.ConstructorError: an explicitly tagged value that cannot be read.
    """
    if node.tag == _STR and _is_text(node):
        return node.value
    return goyaml.scalar_value(node)


def key_value(node: ScalarNode) -> Any:
    """A mapping key as written: its text (``5:`` is ``"5"``, as kubectl has it; a null key
    stays None). Paths name keys as written, so ``y:`` stays ``"y"`` here although kubectl
    sends ``"true"`` (``tools.schema.located`` documents carry kubectl's key)."""
    return None if node.tag == _NULL else node.value


def _path_to(root: Node, target: Node) -> tuple[Any, ...]:
    """Segments leading from ``root`` to ``target`` (used only for rare duplicate-key reports)."""
    stack: list[tuple[Node, tuple[Any, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for k, v in node.value:
                key = key_value(k) if isinstance(k, ScalarNode) else "?"
                stack.append((v, (*path, key)))
        elif isinstance(node, SequenceNode):
            stack.extend((v, (*path, i)) for i, v in enumerate(node.value))
    return ()
