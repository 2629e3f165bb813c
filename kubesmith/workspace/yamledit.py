"""Position-preserving YAML editing: every change is spliced into the original text.

A file is never re-serialized. :meth:`YamlFile.parse` keeps the text as it is and builds each
document's data from libyaml's node tree, whose nodes carry positions
(:mod:`kubesmith.workspace.yamlnodes`); an edit replaces a
scalar's span, inserts a key with the indentation (or flow style) of its siblings, appends a list
item in the sequence's own layout, or removes exactly a key's lines. So a load and save with no edit
is byte-identical by construction, and a one-field change is a one-line diff.

Each public edit is checked: the edited document is re-parsed and its data must equal the expected
data (the old data with exactly that change); otherwise the edit is undone and
:class:`~kubesmith.errors.ManifestError` is raised. Editing a node that is shared through a YAML
anchor/alias is refused (it would silently change every alias).

Removing a key removes its own lines (key and value subtree). Comment lines above it stay, as do
comment lines after it: kubesmith cannot know which section a comment talks about.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from yaml.nodes import Node

from kubesmith.errors import KubesmithError, ManifestError, ManifestRefused
from kubesmith.model import PathSegment, format_path, parse_path
from kubesmith.reading import check_text, current
from kubesmith.workspace import yamldata as D
from kubesmith.workspace.yamlnodes import Chunk, count_breaks, gc_paused, parse_chunk
from kubesmith.workspace.yamlnodes import split_documents as _split
from kubesmith.workspace.yamlpath import walk
from kubesmith.workspace.yamlpos import TextOps
from kubesmith.workspace.yamlrender import Style

__all__ = ["YamlDocument", "YamlFile", "gc_paused"]

_BIG = 100_000  # characters: above this, parsing pauses the garbage collector (see gc_paused)


class YamlDocument:
    """One document of a :class:`YamlFile`: its plain data and where its nodes are.

    Attributes:
        data: the document as plain Python data (``None`` for an empty document).
        start_line: 1-based line where the document's content starts (its ``---`` when empty).
        duplicate_keys: ``(field path, line)`` of every mapping key written more than once (the
            last one wins, as in Kubernetes).
    """

    def __init__(self, file: YamlFile, chunk: Chunk, line0: int, keep_nodes: bool = False) -> None:
        self._file = file
        self._start = chunk.start
        self._end = chunk.end
        self._explicit = chunk.explicit
        self._line0 = line0
        self._load(keep_nodes)

    def _load(self, keep_nodes: bool = True) -> None:
        """(Re-)parse the document's text, keeping its node tree only when asked.

        Node trees are kept only for documents being edited: a large repository would otherwise
        hold millions of node objects (and the garbage collector would walk them all); ``_root``
        composes them again on demand.
        """
        parsed = parse_chunk(self._text(), self._file.name, self._line0)
        self._nodes: tuple[Node | None, frozenset[int]] | None = (
            (parsed.root, parsed.shared) if keep_nodes else None
        )
        self._first_line = parsed.root.start_mark.line if parsed.root is not None else 0
        self.data: Any = parsed.data
        self.duplicate_keys: list[tuple[str, int]] = [
            (format_path([_segment(s) for s in path]), line) for path, line in parsed.duplicates
        ]

    def __getstate__(self) -> dict[str, Any]:
        """Pickle (the workspace's parse cache) without node trees: they are rebuilt on demand."""
        return {**self.__dict__, "_nodes": None}

    def _text(self) -> str:
        return self._file._body[self._start : self._end]

    @property
    def text(self) -> str:
        """The document's own text: its ``---`` line, comments and content."""
        return self._text()

    def _tree(self) -> tuple[Node | None, frozenset[int]]:
        if self._nodes is None:
            parsed = parse_chunk(self._text(), self._file.name, self._line0)
            self._nodes = (parsed.root, parsed.shared)
        return self._nodes

    @property
    def _root(self) -> Node | None:
        return self._tree()[0]

    @property
    def _shared(self) -> frozenset[int]:
        return self._tree()[1]

    def _shift(self, offset: int, lines: int) -> None:
        self._start += offset
        self._end += offset
        self._line0 += lines

    @property
    def start_line(self) -> int:
        """1-based line of the document's first node (of its ``---`` line when it is empty)."""
        if self.data is None:
            return self._line0 + 1
        return self._line0 + self._first_line + 1

    def line_of(self, path: str | Sequence[PathSegment]) -> int:
        """1-based line of the node at ``path``, or of its closest existing ancestor.

        For a mapping entry this is the line of its key; for a list item, the line of the item.
        """
        root = self._root
        if root is None:
            return self.start_line
        steps = walk(root, parse_path(path), self._shared, editing=False)
        if not steps:
            return self.start_line
        last = steps[-1]
        mark = (last.key if last.key is not None else last.node).start_mark
        return self._line0 + mark.line + 1


def _segment(value: Any) -> PathSegment:
    return value if isinstance(value, (str, int)) and not isinstance(value, bool) else str(value)


class YamlFile:
    """A YAML file's text and its documents, editable with minimal diffs.

    Attributes:
        name: the file name used in error messages.
        documents: one :class:`YamlDocument` per YAML document, empty ones included.
    """

    def __init__(self, text: str, name: str) -> None:
        self.name = name
        self._style: Style | None = None  # layout conventions, learnt at the first edit
        self._bom = "\ufeff" if text.startswith("\ufeff") else ""
        self._body = text[len(self._bom) :]
        self.documents: list[YamlDocument] = []
        line0, last = 0, 0
        limits = current()
        check_text(text, name, limits)
        chunks = _split(self._body)
        if len(chunks) > limits.max_documents:
            raise ManifestRefused(
                f"more than {limits.max_documents:,} YAML documents in one file: not read", name, 1
            )
        with gc_paused() if len(self._body) > _BIG else nullcontext():
            for chunk in chunks:
                line0 += count_breaks(self._body, last, chunk.start)
                last = chunk.start
                self.documents.append(YamlDocument(self, chunk, line0))

    @classmethod
    def parse(cls, text: str, name: str = "<string>") -> YamlFile:
        """Parse ``text`` (kept byte for byte).

        Raises:
            ManifestError: malformed YAML (with the 1-based line); ``ManifestRefused`` when
                the text is over a reading limit (:mod:`kubesmith.reading`: size, documents,
                nesting, alias expansion).
        """
        return cls(text, name)

    @property
    def text(self) -> str:
        """The file's full current text, edits included."""
        return self._bom + self._body

    def copy(self) -> YamlFile:
        """An independent copy to edit, made without parsing again.

        Documents' ``data`` objects are shared until a document is edited (an edit replaces them,
        it never changes them in place), so treat ``data`` as read-only.
        """
        new = YamlFile.__new__(YamlFile)
        new.name, new._style, new._bom, new._body = self.name, self._style, self._bom, self._body
        new.documents = []
        for d in self.documents:
            twin = YamlDocument.__new__(YamlDocument)
            twin.__dict__.update(d.__dict__)
            twin._file = new
            new.documents.append(twin)
        return new

    def __repr__(self) -> str:
        return f"YamlFile({self.name!r}, {len(self.documents)} documents)"

    # ------------------------------------------------------------------ public edits

    def set(self, doc: int, path: str | Sequence[PathSegment], value: Any) -> tuple[Any, Any]:
        """Set the value at ``path``, creating missing parents (and upserting ``[key=value]``).

        Returns:
            ``(old, new)``: the value before (``None`` when it did not exist) and the value set.

        Raises:
            ManifestError: the path cannot be set (e.g. it runs through a scalar or an alias).
        """
        segs = _path(path, self.name)
        value = D.plain(value)
        d = self._doc(doc)
        if d.data is None:
            raise ManifestError(f"document {doc} is empty", self.name, d.start_line)
        expected = copy.deepcopy(d.data)
        expected, old, existed = D.set_in(expected, segs, value, self.name)
        if existed and D.same(old, value):
            return old, value
        with self._transaction(doc, expected, segs):
            self._ops(doc).set(segs, value)
        return old, value

    def remove(self, doc: int, path: str | Sequence[PathSegment]) -> Any:
        """Remove the key or list item at ``path``; a missing path is a no-op.

        Returns:
            the removed value (``None`` when nothing was there).
        """
        segs = _path(path, self.name)
        d = self._doc(doc)
        expected = copy.deepcopy(d.data)
        found, old = D.remove_in(expected, segs)
        if not found:
            return None
        with self._transaction(doc, expected, segs):
            self._ops(doc).remove(segs)
        return old

    def merge_patch(self, doc: int, patch: dict[str, Any]) -> None:
        """Apply an RFC 7386 JSON merge patch (``None`` deletes; dicts merge; others replace)."""
        d = self._doc(doc)
        if not isinstance(d.data, dict):
            raise ManifestError("a merge patch needs a mapping document", self.name, d.start_line)
        patch = D.plain(patch)
        expected = D.merge(copy.deepcopy(d.data), patch)
        with self._transaction(doc, expected, ()):
            self._ops(doc).merge((), patch)

    def append_document(self, data: dict[str, Any]) -> int:
        """Append ``data`` as a new document (block style); returns its index."""
        value = D.plain(data)
        if not isinstance(value, dict) or not value:
            raise ManifestError("a new document must be a non-empty mapping", self.name)
        ops = TextOps(self, None)
        nl = ops.style().nl
        body = self._body
        prefix = nl if body and body[-1] not in "\r\n" else ""
        sep = "---" + nl if self.documents or "---" in body else ""
        lines = ops.render_block(value, 0)
        tail = nl if not prefix else ""
        start = len(body) + len(prefix)
        self._body = body + prefix + sep + nl.join(lines) + tail
        try:
            line0 = count_breaks(self._body, 0, start)
            d = YamlDocument(self, Chunk(start, len(self._body), bool(sep)), line0, True)
            if not D.same(d.data, value):
                raise ManifestError("internal: the new document does not read back as given")
        except ManifestError:
            self._body = body
            raise
        if self.documents:
            self.documents[-1]._end += len(prefix)
        self.documents.append(d)
        return len(self.documents) - 1

    def delete_document(self, doc: int) -> None:
        """Remove a document and its ``---`` line (comments before the first document stay)."""
        d = self._doc(doc)
        a, b = d._start, d._end
        lines = count_breaks(self._body, a, b)
        self._body = self._body[:a] + self._body[b:]
        del self.documents[doc]
        for later in self.documents[doc:]:
            later._shift(a - b, -lines)

    # ------------------------------------------------------------------ internals

    def _doc(self, doc: int) -> YamlDocument:
        if not 0 <= doc < len(self.documents):
            raise ManifestError(
                f"no document {doc} (the file has {len(self.documents)})", self.name
            )
        return self.documents[doc]

    def _ops(self, doc: int) -> TextOps:
        return TextOps(self, doc)

    def splice(self, doc: int, start: int, end: int, text: str) -> None:
        """Replace ``body[start:end]`` inside document ``doc`` and re-parse that document."""
        d = self.documents[doc]
        if not d._start <= start <= end <= d._end:
            raise ManifestError("internal: edit outside its document", self.name, d.start_line)
        body = self._body[:start] + text + self._body[end:]
        delta = len(text) - (end - start)
        new_end = d._end + delta
        lines = count_breaks(body, d._start, new_end) - count_breaks(self._body, d._start, d._end)
        old_body, old_end = self._body, d._end
        self._body, d._end = body, new_end
        try:
            d._load()
        except ManifestError:
            self._body, d._end = old_body, old_end
            raise
        for later in self.documents[doc + 1 :]:
            later._shift(delta, lines)

    @contextmanager
    def _transaction(
        self, doc: int, expected: Any, segs: tuple[PathSegment, ...]
    ) -> Iterator[None]:
        """Undo every splice of the block unless the document ends up exactly as ``expected``."""
        body = self._body
        states = [(d, dict(d.__dict__)) for d in self.documents]
        where = format_path(segs) if segs else "the document"
        try:
            yield
            if not D.same(self.documents[doc].data, expected):
                raise ManifestError(
                    f"editing {where} would not give the expected result; file left unchanged",
                    self.name,
                    self.documents[doc].start_line,
                )
        except KubesmithError:
            self._body = body
            for d, state in states:
                d.__dict__.clear()
                d.__dict__.update(state)
            raise


def _path(path: str | Sequence[PathSegment], name: str) -> tuple[PathSegment, ...]:
    try:
        segs = parse_path(path)
    except KubesmithError as e:
        raise ManifestError(str(e), name) from e
    if not segs:
        raise ManifestError("an empty field path", name)
    return segs
