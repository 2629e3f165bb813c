"""Read a unified diff of YAML files as field paths: which key each changed line sets.

Reviewers' follow-up edits reach kubesmith as diffs. A line such as ``+    owner: payments``
means nothing alone; with the lines above it in the hunk (``metadata:`` / ``labels:``) it means
"the reviewer added label owner=payments". This module recovers that path from indentation.

Only what the hunk shows is known: a path whose parents lie outside the hunk's context is
truncated (so diffs with more context, ``git diff -U10``, teach more).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KV = re.compile(r"^(?P<key>[\"']?[^\s:#\"'][^:#]*?[\"']?)\s*:(?:\s+(?P<value>.*?))?\s*$")


@dataclass(frozen=True)
class DiffLine:
    """One line of a hunk with the key path it sits at.

    Attributes:
        file: the file the hunk belongs to (new name).
        sign: ``+``, ``-`` or `` `` (context).
        text: the line without its sign.
        path: mapping keys from the document root to this line's key (``-`` marks a list item).
        value: the scalar value on the line, or None for a parent key or a non-mapping line.
    """

    file: str
    sign: str
    text: str
    path: tuple[str, ...]
    value: str | None


def diff_lines(diff: str) -> list[list[DiffLine]]:
    """Hunks of the diff, each a list of lines with their paths."""
    hunks: list[list[DiffLine]] = []
    file = ""
    current: list[DiffLine] | None = None
    stack: list[tuple[int, str]] = []
    for raw in diff.splitlines():
        if raw.startswith("+++ "):
            name = raw[4:].strip()
            file = name[2:] if name.startswith(("a/", "b/")) else name
            continue
        if raw.startswith(("--- ", "diff --git", "index ", "new file", "deleted file")):
            current = None
            continue
        if raw.startswith("@@"):
            current = []
            hunks.append(current)
            stack = []
            continue
        if current is None or not raw or raw[0] not in "+- ":
            continue
        sign, text = raw[0], raw[1:]
        current.append(_line(file, sign, text, stack))
    return hunks


def _line(file: str, sign: str, text: str, stack: list[tuple[int, str]]) -> DiffLine:
    stripped = text.lstrip(" ")
    if not stripped or stripped.startswith("#") or stripped.startswith("---"):
        return DiffLine(file, sign, text, tuple(k for _, k in stack), None)
    indent = len(text) - len(stripped)
    keys: list[tuple[int, str]] = []
    while stripped.startswith("- "):
        keys.append((indent, "-"))
        rest = stripped[2:]
        indent += 2 + (len(rest) - len(rest.lstrip(" ")))
        stripped = rest.lstrip(" ")
    while stack and stack[-1][0] >= (keys[0][0] if keys else indent):
        stack.pop()
    stack.extend(keys)
    m = _KV.match(stripped)
    if m is None:
        return DiffLine(file, sign, text, tuple(k for _, k in stack), None)
    key = m.group("key").strip("\"'")
    value = m.group("value")
    stack.append((indent, key))
    path = tuple(k for _, k in stack)
    if value is not None and value.startswith(("|", ">")):
        value = None
    if value is not None:
        value = _unquote(_strip_comment(value))
    return DiffLine(file, sign, text, path, value)


def _strip_comment(value: str) -> str:
    if value[:1] in "\"'":
        return value
    return re.split(r"\s+#", value, maxsplit=1)[0]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def image_registry(image: str | None) -> str:
    """The registry host of an image reference (``docker.io`` when none is named)."""
    if not image:
        return ""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return "docker.io" if first == "index.docker.io" else first.lower()
    return "docker.io"


def image_tag(image: str | None) -> str:
    """The tag of an image reference (``""`` when untagged; digests count as pinned)."""
    if not image:
        return ""
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def replace_registry(image: str, registry: str) -> str:
    """``image`` pulled from ``registry`` instead (Docker Hub short names expanded)."""
    first, sep, rest = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return f"{registry}/{rest}"
    path = image if sep else f"library/{image}"
    return f"{registry}/{path}"
