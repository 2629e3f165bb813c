"""Which field a failed validation is about, so a finding can point at its line.

A validation may declare ``fieldPath``; most do not, so the path is inferred from the expression:
the longest field chain it reads (``object.spec.template.spec.hostNetwork``), where a chain
through a variable (``variables.podSpec.containers``) is resolved by finding the variable's value
inside the object. Chains to fields that exist win over chains to absent ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kubesmith.model import PathSegment, format_path

_CHAIN = re.compile(r"\b(object|variables\.[A-Za-z_]\w*)((?:\.\??[A-Za-z_]\w*)*)(\()?")


def infer_path(
    expression: str, data: dict[str, Any], resolve: Callable[[str], list[PathSegment] | None]
) -> str | None:
    """The field path ``expression`` is most likely about.

    Args:
        expression: the validation's CEL source.
        data: the object.
        resolve: the path of a variable's value inside ``data`` (``None`` when it is not there).
    """
    fallback: list[PathSegment] | None = None
    chains = sorted(_CHAIN.finditer(expression), key=lambda m: -len(m.group(0)))
    for m in chains:
        head, rest = m.group(1), [s.lstrip("?") for s in m.group(2).split(".") if s]
        if m.group(3) and rest:
            rest.pop()  # a method call (``.all(``), not a field
        prefix = [] if head == "object" else resolve(head.removeprefix("variables."))
        if prefix is None:
            continue
        segments: list[PathSegment] = [*prefix, *rest]
        if exists(data, segments):
            return format_path(segments) if segments else None
        if fallback is None:
            fallback = segments
    return format_path(fallback) if fallback else None


def exists(data: Any, segments: list[PathSegment]) -> bool:
    """True when every segment of the path is present in ``data``."""
    for seg in segments:
        in_dict = isinstance(data, dict) and seg in data
        in_list = isinstance(data, list) and isinstance(seg, int) and seg < len(data)
        if not (in_dict or in_list):
            return False
        data = data[seg]
    return True


def locate(data: Any, value: Any, depth: int = 0) -> list[PathSegment] | None:
    """The path of the first node inside ``data`` equal to ``value`` (a bounded search)."""
    if depth > 8 or value is None or not isinstance(value, dict | list):
        return None
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, child in items:
        if not isinstance(child, dict | list):
            continue
        if child == value:
            return [key]
        sub = locate(child, value, depth + 1)
        if sub is not None:
            return [key, *sub]
    return None
