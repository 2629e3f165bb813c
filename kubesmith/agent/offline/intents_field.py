"""Grammar of explicit field paths: ``set spec.strategy.type of checkout to Recreate``.

The escape hatch for fields the other intent kinds do not cover: a path in the field-path syntax
of :mod:`kubesmith.model` (starting at ``spec``, ``metadata``, ``data`` or ``stringData``) and a
value.
"""

from __future__ import annotations

from kubesmith.agent.offline.specs import Clause, FieldSet, Scan, Spec
from kubesmith.agent.offline.text import is_removal, unquote
from kubesmith.errors import ManifestError, UsageError
from kubesmith.model import parse_path
from kubesmith.reading import load_one

_PATH = r"\b((?:spec|metadata|data|stringData)(?:\.[\w$/-]+|\[[^\]\s]+\]|\[\"[^\"]+\"\])+)"
_VALUE = r"(\"[^\"]*\"|'[^']*'|[^\s,;]+)"


def _scalar(text: str) -> object:
    """``3`` → 3, ``true`` → True, ``null`` → None; quoted or anything else stays a string."""
    if text[:1] in "\"'":
        return unquote(text)
    try:
        value = load_one(text, "the intent")  # bounded, and `!!int 0x` is an error, not a crash
    except ManifestError:
        return text
    return value if isinstance(value, (int, float, bool)) or value is None else text


def parse_field(s: Scan, prev: Clause | None) -> Spec | str | None:
    """``set spec.strategy.type of checkout to Recreate``, ``remove spec.strategy from cart``."""
    del prev
    m = s.find(_PATH)
    if not m:
        return None
    path = m.group(1)
    try:
        parse_path(path)
    except UsageError:
        return f"a valid field path (got {path!r}), e.g. spec.strategy.type"
    s.take(_PATH)
    if is_removal(s.text):
        s.take(r"^\s*[\w-]+")
        return FieldSet(path=path, remove=True)
    if v := s.take(rf"(?:\bto\b|=)\s*{_VALUE}"):
        return FieldSet(path=path, value=_scalar(v.group(1)))
    return f"a value, e.g. 'set {path} of checkout to ...'"
