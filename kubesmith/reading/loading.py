"""Bounded YAML reading: compose documents (with positions) or load plain data, within limits.

Every reader of untrusted YAML goes through here, so the limits of
:mod:`kubesmith.reading.limits` hold on every path: the number of documents, their nesting,
and how far aliases expand them are checked on the composed node graph — linear in the
written text — before any value is built or walked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from kubesmith.errors import ManifestError, ManifestRefused
from kubesmith.reading.limits import Limits, check_node, current

try:
    SAFE_LOADER: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    SAFE_LOADER = yaml.SafeLoader


def check_text(text: str, file: str, limits: Limits | None = None) -> None:
    """Refuse text longer than the file size limit (for text handed over already decoded).

    Raises:
        ManifestRefused: ``text`` has more characters than ``limits.max_file_bytes``.
    """
    limits = limits or current()
    if len(text) > limits.max_file_bytes:
        raise ManifestRefused(
            f"text too large ({len(text):,} characters, over {limits.max_file_bytes:,}): not read",
            file,
            1,
        )


def compose_documents(
    text: str,
    file: str,
    limits: Limits | None = None,
    *,
    loader: type[Any] = SAFE_LOADER,
    line0: int = 0,
) -> Iterator[yaml.Node | None]:
    """The documents of ``text`` as node graphs (``None`` for an empty document), checked.

    Args:
        loader: a PyYAML loader class (the workspace passes its faster resolver).
        line0: lines before ``text`` in its file, for the lines of refusals.

    Raises:
        ManifestRefused: over a limit (the line is where the offending document starts).
        yaml.YAMLError: the text is not valid YAML.
    """
    limits = limits or current()
    check_text(text, file, limits)
    parser = loader(text)
    try:
        count = 0
        while parser.check_node():
            node = parser.get_node()
            count += 1
            line = line0 + (node.start_mark.line + 1 if node is not None else 1)
            if count > limits.max_documents:
                raise ManifestRefused(
                    f"more than {limits.max_documents:,} YAML documents in one file: not read",
                    file,
                    line,
                )
            check_node(node, file, line, limits)
            yield node
    finally:
        parser.dispose()


CONSTRUCTOR_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError)
"""What PyYAML's constructors raise on a tagged scalar they cannot read (``!!int 0x``,
``!!timestamp foo``, ``!!bool maybe``) instead of a YAMLError."""


def construct(node: yaml.Node | None) -> Any:
    """The plain value of a (checked) node graph, as ``yaml.safe_load`` would build it.

    Raises:
        yaml.constructor.ConstructorError: a tagged value that cannot be read (a YAMLError,
            with the document's position, like every other parse error).
    """
    if node is None:
        return None
    try:
        return yaml.constructor.SafeConstructor().construct_document(node)
    except CONSTRUCTOR_ERRORS as e:
        bad = _unreadable_scalar(node) or node
        value = f": {bad.value!r}" if isinstance(bad, yaml.ScalarNode) else f" ({e})"
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"a {bad.tag.rsplit(':', 1)[-1]} value that cannot be read{value}",
            bad.start_mark,
        ) from e


def _unreadable_scalar(root: yaml.Node) -> yaml.Node | None:
    """The first scalar under ``root`` that PyYAML cannot construct (for the error's line)."""
    seen: set[int] = set()
    stack: list[yaml.Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                yaml.constructor.SafeConstructor().construct_object(node)
            except (yaml.YAMLError, *CONSTRUCTOR_ERRORS):
                return node
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return None


def load_all(text: str, file: str, limits: Limits | None = None) -> list[Any]:
    """Every document of ``text`` as plain data (``yaml.safe_load_all``, bounded).

    Raises:
        ManifestError: not valid YAML (with the line), or over a limit (``ManifestRefused``).
    """
    try:
        return [construct(n) for n in compose_documents(text, file, limits)]
    except yaml.YAMLError as e:
        raise _yaml_error(e, file) from e


def load_one(text: str, file: str, limits: Limits | None = None) -> Any:
    """The single document of ``text`` (``None`` when empty) — ``yaml.safe_load``, bounded.

    Raises:
        ManifestError: not valid YAML, more than one document, or over a limit.
    """
    docs = load_all(text, file, limits)
    if len(docs) > 1:
        raise ManifestError("expected one YAML document, found several", file, 1)
    return docs[0] if docs else None


def _yaml_error(e: yaml.YAMLError, file: str) -> ManifestError:
    mark = getattr(e, "problem_mark", None)
    problem, context = getattr(e, "problem", None), getattr(e, "context", None)
    detail = f"{problem} ({context})" if problem and context else problem or str(e)
    return ManifestError(f"not valid YAML: {detail}", file, mark.line + 1 if mark else None)
