"""Text operations on one document, driven by node positions.

Each operation computes a span of the file's text from libyaml marks (a scalar's span, the line
after a mapping's last entry, a key's own lines) and asks the :class:`YamlFile` to splice new text
there; the file re-parses the document after every splice, so the next operation always works on
fresh positions.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubesmith.errors import ManifestError
from kubesmith.model import Match, PathSegment, format_path
from kubesmith.workspace import yamldata as D
from kubesmith.workspace import yamlrender as R
from kubesmith.workspace.yamlnodes import scalar_value
from kubesmith.workspace.yamlpath import Step, walk

if TYPE_CHECKING:
    from kubesmith.workspace.yamledit import YamlDocument, YamlFile

_STR_TAG = "tag:yaml.org,2002:str"
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_STYLE_SAMPLE = 20  # documents looked at to learn a file's indentation


def _flow(node: Node) -> bool:
    return bool(getattr(node, "flow_style", False))


def _json_like(nodes: list[Node]) -> bool:
    """True for flow content written as JSON (double-quoted strings): new entries match it."""
    scalars = [n for n in nodes if isinstance(n, ScalarNode)]
    return bool(scalars) and all(n.style == '"' or n.tag != _STR_TAG for n in scalars)


def _line_start(body: str, pos: int) -> int:
    return max(body.rfind("\n", 0, pos), body.rfind("\r", 0, pos)) + 1


def _next_line(body: str, pos: int) -> int:
    m = _BREAK.search(body, pos)
    return m.end() if m else len(body)


class TextOps:
    """Edits of document ``doc`` of ``file``, expressed as splices of its text."""

    def __init__(self, file: YamlFile, doc: int | None) -> None:
        self.f = file
        self.i = doc if doc is not None else -1

    @property
    def d(self) -> YamlDocument:
        return self.f.documents[self.i]

    @property
    def body(self) -> str:
        return self.f._body

    def pos(self, node: Node, end: bool = False) -> int:
        mark = node.end_mark if end else node.start_mark
        return int(self.d._start + mark.index)

    def _splice(self, start: int, end: int, text: str) -> None:
        self.f.splice(self.i, start, end, text)

    def _fail(self, message: str, node: Node | None = None) -> ManifestError:
        line = self.d._line0 + node.start_mark.line + 1 if node is not None else None
        return ManifestError(message, self.f.name, line)

    # ------------------------------------------------------------------ layout

    def style(self, near: Node | None = None) -> Style:
        """The file's conventions, refined by the entries of ``near`` (the nearest evidence)."""
        base = self.f._style
        if base is None:
            base = self.f._style = self._detect()
        if isinstance(near, MappingNode) and not near.flow_style:
            indent, seq_indent = None, None
            for k, v in near.value:
                kline, kcol = k.start_mark.line, k.start_mark.column
                if _flow(v) or not v.value or isinstance(v, ScalarNode):
                    continue
                if isinstance(v, SequenceNode) and v.start_mark.line > kline and seq_indent is None:
                    seq_indent = self._dash_col(v) - kcol
                elif isinstance(v, MappingNode) and indent is None:
                    first = v.value[0][0]
                    if first.start_mark.line > kline and first.start_mark.column > kcol:
                        indent = first.start_mark.column - kcol
            return replace(
                base,
                indent=base.indent if indent is None else indent,
                seq_indent=base.seq_indent if seq_indent is None else seq_indent,
            )
        if isinstance(near, SequenceNode) and not near.flow_style and near.value:
            first = near.value[0]
            dash = self._dash_before(first)
            if self._line_of_pos(dash) == self._line_of_pos(self.pos(first)):
                return replace(base, item_indent=max(2, self.pos(first) - dash))
        return base

    def _line_of_pos(self, pos: int) -> int:
        return _line_start(self.body, pos)

    def _dash_col(self, seq: SequenceNode) -> int:
        dash = self._dash_before(seq.value[0])
        return dash - _line_start(self.body, dash)

    def _detect(self) -> R.Style:
        indents: Counter[int] = Counter()
        seqs: Counter[int] = Counter()
        docs = self.f.documents
        sample = docs[:_STYLE_SAMPLE]
        if 0 <= self.i < len(docs) and self.i >= _STYLE_SAMPLE:
            sample = [docs[self.i], *sample]
        stack: list[Node] = [d._root for d in sample if d._root is not None]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, MappingNode):
                for k, v in node.value:
                    kline, kcol = k.start_mark.line, k.start_mark.column
                    if isinstance(v, MappingNode) and not v.flow_style and v.value:
                        first = v.value[0][0]
                        if first.start_mark.line > kline:
                            indents[first.start_mark.column - kcol] += 1
                    elif (
                        isinstance(v, SequenceNode)
                        and not v.flow_style
                        and v.value
                        and v.start_mark.line > kline
                        and v.start_mark.column >= kcol
                    ):
                        seqs[v.start_mark.column - kcol] += 1
                    stack.append(v)
            elif isinstance(node, SequenceNode):
                stack.extend(node.value)
        indent = next((n for n, _ in indents.most_common() if n > 0), 2)
        seq = seqs.most_common(1)[0][0] if seqs else indent
        nl = "\r\n" if "\r\n" in self.body else "\n"
        return R.Style(indent=indent, seq_indent=seq, item_indent=2, nl=nl)

    def end_of(self, node: Node) -> int:
        """Offset just after ``node``'s last character (block scalars: after their last line)."""
        while True:
            if isinstance(node, ScalarNode):
                end = self.pos(node, end=True)
                return self._trim_block(node, end) if node.style in ("|", ">") else end
            if _flow(node) or not node.value:
                return self.pos(node, end=True)
            last = node.value[-1]
            node = last[1] if isinstance(node, MappingNode) else last

    def _trim_block(self, node: Node, end: int) -> int:
        """A block scalar's end without the blank lines libyaml counts into it."""
        body = self.body
        start = self.pos(node)
        header_end = _next_line(body, start)
        if "+" in body[start:header_end].split("#")[0]:
            return end  # "keep" chomping: the blank lines are part of the value
        p = end
        while p > header_end:
            q = p - 1 if body[p - 1] in "\r\n" else p  # the break that ends the previous line
            if q == p:
                break
            if body[q] == "\n" and q > 0 and body[q - 1] == "\r":
                q -= 1
            ls = _line_start(body, q)
            if body[ls:q].strip():
                break
            p = ls
        return max(p, header_end)

    def after_line(self, pos: int) -> int:
        """Start of the line after the one holding ``pos`` (``pos`` itself at a line start)."""
        body = self.body
        if pos > 0 and body[pos - 1] in "\r\n":
            return pos
        return _next_line(body, pos)

    def _after_colon(self, key: Node) -> int:
        body = self.body
        p = self.pos(key, end=True)
        while p < len(body) and body[p] in " \t":
            p += 1
        if p >= len(body) or body[p] != ":":
            raise self._fail("cannot edit this mapping entry's layout (complex key)", key)
        return p + 1

    def _dash_before(self, node: Node) -> int:
        body = self.body
        p = self.pos(node) - 1
        while p >= 0 and body[p] in " \t\r\n":
            p -= 1
        if p < 0 or body[p] != "-":
            raise self._fail("cannot edit this list item's layout", node)
        return p

    def _open_end(self, pos: int) -> bool:
        """True when only the rest of a last line without a final line break follows ``pos``."""
        body = self.body
        return bool(body) and body[-1] not in "\r\n" and not _BREAK.search(body, pos)

    def _insert_lines(self, pos: int, lines: list[str], style: R.Style) -> None:
        body, nl = self.body, style.nl
        if pos >= len(body) and body and body[-1] not in "\r\n":
            self._splice(pos, pos, nl + nl.join(lines))
        else:
            self._splice(pos, pos, nl.join(lines) + nl)

    def render_block(self, value: Any, col: int) -> list[str]:
        """``value`` in block style at column ``col`` with the file's conventions."""
        return R.block(value, col, self.style())

    # ------------------------------------------------------------------ operations

    def _walk(self, segs: Sequence[PathSegment]) -> list[Step]:
        root = self.d._root
        if root is None or self.d.data is None:
            raise ManifestError("the document is empty", self.f.name, self.d.start_line)
        return walk(root, segs, self.d._shared, True, self.f.name)

    def set(self, segs: tuple[PathSegment, ...], value: Any) -> None:
        """Make the value at ``segs`` equal ``value`` with the fewest text changes."""
        steps = self._walk(segs)
        if len(steps) < len(segs):
            self._create(segs, steps, value)
            return
        step = steps[-1]
        _, current = D.get(self.d.data, segs)
        if isinstance(value, dict) and isinstance(step.node, MappingNode):
            for k, v in value.items():  # set first, so the mapping never empties to "{}"
                self._set_if_changed((*segs, k), v)
            for k in [k for k in current if k not in value]:
                self.remove((*segs, k))
        elif isinstance(value, list) and isinstance(step.node, SequenceNode):
            for j in range(len(current) - 1, len(value) - 1, -1):
                self.remove((*segs, j))
            for j, v in enumerate(value):
                self._set_if_changed((*segs, j), v)
        elif not D.same(current, value):
            self._replace(step, value)

    def _set_if_changed(self, segs: tuple[PathSegment, ...], value: Any) -> None:
        found, current = D.get(self.d.data, segs)
        if not (found and D.same(current, value)):
            self.set(segs, value)

    def _create(self, segs: tuple[PathSegment, ...], steps: list[Step], value: Any) -> None:
        n = len(steps)
        parent = steps[-1].node if steps else self.d._root
        assert parent is not None
        seg, rest = segs[n], segs[n + 1 :]
        name = self.f.name
        if isinstance(parent, MappingNode) and not isinstance(seg, Match):
            self._insert_key(parent, seg, D.build(rest, value, name))
        elif isinstance(parent, SequenceNode) and isinstance(seg, Match):
            self._append_item(parent, D.new_item(seg, rest, value, name))
        elif isinstance(parent, SequenceNode) and seg == len(parent.value):
            self._append_item(parent, D.build(rest, value, name))
        elif isinstance(parent, ScalarNode) and scalar_value(parent) is None and steps:
            self._replace(steps[-1], D.build(segs[n:], value, name))
        else:
            where = format_path(segs[:n]) or "the document"
            raise self._fail(f"cannot set {format_path(segs)}: {where} has no {seg}", parent)

    def _replace(self, step: Step, value: Any) -> None:
        node, parent, body = step.node, step.parent, self.body
        start, end = self.pos(node), self.end_of(node)
        quote = node.style if isinstance(node, ScalarNode) and isinstance(value, str) else None
        if _flow(parent):
            text = R.flow(value) if isinstance(value, (dict, list)) else None
            self._splice(start, end, text or R.scalar(value, flow=True, quote=quote))
            return
        multiline = isinstance(value, str) and "\n" in value
        if (
            isinstance(node, ScalarNode)
            and node.style not in ("|", ">")
            and not isinstance(value, (dict, list))
            and not multiline
        ):
            text = R.scalar(value, quote=quote)
            if start == end and body[start - 1 : start] in (":", "-"):
                text = " " + text
            self._splice(start, end, text)
            return
        style = self.style(parent)
        literal = not self._open_end(end)
        if step.key is not None:
            col = step.key.start_mark.column
            start = self._after_colon(step.key)
            head, lines = R.value_after_key(value, col, style, literal)
        else:
            dash = self._dash_before(node)
            col = dash - _line_start(body, dash)
            start = dash + 1
            first, *lines = R.item(value, col, style, literal)
            head = first[col + 1 :]
        tail = "".join(style.nl + ln for ln in lines)
        if end > start and body[end - 1] in "\r\n":
            tail += style.nl
        eol = _next_line(body, end)
        eol -= len(body[end:eol]) - len(body[end:eol].rstrip("\r\n"))
        comment = body[end:eol]
        if lines and comment.strip().startswith("#") and not _BREAK.search(body, start, end):
            # "key: value  # why" becoming a block: the comment stays on the key's line
            self._splice(start, eol, head + comment + tail)
            return
        if lines and not comment.strip():
            end = eol  # trailing blanks would become part of a literal block's last line
        self._splice(start, end, head + tail)

    def _insert_key(self, mapping: MappingNode, key: Any, value: Any) -> None:
        if mapping.flow_style:
            if _json_like([k for k, _ in mapping.value]):
                entry = f"{json.dumps(key)}: {json.dumps(value)}"
            else:
                entry = f"{R.key(key, flow=True)}: {R.flow(value)}"
            self._flow_append(mapping, [v for _, v in mapping.value], entry)
            return
        col = mapping.value[0][0].start_mark.column
        style = self.style(mapping)
        pos = self.after_line(self.end_of(mapping.value[-1][1]))
        head, lines = R.value_after_key(value, col, style, not self._open_end(pos))
        first = " " * col + R.key(key) + ":" + head
        self._insert_lines(pos, [first, *lines], style)

    def _append_item(self, seq: SequenceNode, value: Any) -> None:
        if seq.flow_style:
            text = json.dumps(value) if _json_like(seq.value) else R.flow(value)
            self._flow_append(seq, list(seq.value), text)
            return
        col = self._dash_col(seq)
        style = self.style(seq)
        pos = self.after_line(self.end_of(seq.value[-1]))
        self._insert_lines(pos, R.item(value, col, style, not self._open_end(pos)), style)

    def _flow_append(self, coll: Node, members: list[Node], text: str) -> None:
        if members:
            pos = self.end_of(members[-1])
            self._splice(pos, pos, ", " + text)
        else:
            pos = self.pos(coll, end=True) - 1
            self._splice(pos, pos, text)

    def remove(self, segs: tuple[PathSegment, ...]) -> None:
        """Remove the entry at ``segs`` (every copy of a repeated key)."""
        while True:
            steps = self._walk(segs)
            if len(steps) < len(segs):
                return
            step = steps[-1]
            if isinstance(step.parent, MappingNode):
                self._remove_entry(steps, [k for k, _ in step.parent.value], step.node)
            else:
                self._remove_entry(steps, list(step.parent.value), step.node)
                return

    def _remove_entry(self, steps: list[Step], heads: list[Node], last: Node) -> None:
        step = steps[-1]
        coll, i, body = step.parent, step.index, self.body
        if len(heads) == 1:
            empty: Any = {} if isinstance(coll, MappingNode) else []
            if len(steps) > 1:
                self._replace(steps[-2], empty)
            else:
                self._splice(self.pos(coll), self.end_of(coll), R.flow(empty))
            return
        head = heads[i] if step.key is None else step.key
        if _flow(coll):
            if i + 1 < len(heads):
                a, b = self.pos(head), self.pos(heads[i + 1])
            else:
                prev = coll.value[i - 1]
                a, b = self.end_of(prev[1] if isinstance(prev, tuple) else prev), self.end_of(last)
            self._splice(a, b, "")
            return
        start = self.pos(head) if step.key is not None else self._dash_before(head)
        ls = _line_start(body, start)
        if not body[ls:start].strip():
            a, b = ls, self.after_line(self.end_of(last))
            if b == len(body) and body[-1] not in "\r\n" and a > 0:
                # the last line of a file without a final newline: take the break before it
                a -= 2 if body[a - 2 : a] == "\r\n" else 1
        elif i + 1 < len(heads):
            nxt = heads[i + 1]
            a, b = start, (self.pos(nxt) if step.key is not None else self._dash_before(nxt))
        else:
            raise self._fail("cannot remove this entry: unusual layout", head)
        self._splice(a, b, "")

    def merge(self, prefix: tuple[PathSegment, ...], patch: dict[str, Any]) -> None:
        """Apply a JSON merge patch below ``prefix``."""
        # deletions last, so a mapping that gets new keys never empties to "{}" on the way
        for k, v in sorted(patch.items(), key=lambda kv: kv[1] is None):
            path = (*prefix, k)
            found, current = D.get(self.d.data, path)
            if v is None:
                if found:
                    self.remove(path)
            elif isinstance(v, dict) and found and isinstance(current, dict):
                self.merge(path, v)
            else:
                self.set(path, D.without_nulls(v))


Style = R.Style
