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


_ALL = re.compile(
    r"\b(?P<chain>(?:object|variables)(?:\.\??[A-Za-z_]\w*)*(?:\.orValue\(\[\]\))?)"
    r"\.all\(\s*(?P<var>[A-Za-z_]\w*)\s*,"
)


def item_checks(expression: str) -> list[tuple[str, str, str]]:
    """The ``LIST.all(x, BODY)`` checks in ``expression``, as (list source, x, body source).

    A failed ``all`` is about one item; knowing which lets a finding point at that item's field
    (``spec.containers[1].securityContext.privileged``) rather than the whole list.
    """
    from kubesmith.tools.policy.celenv import matching_paren

    found = []
    for m in _ALL.finditer(expression):
        open_index = m.end("chain") + len(".all")
        close = matching_paren(expression, open_index)
        if close > 0:
            found.append((m.group("chain"), m.group("var"), expression[m.end() : close].strip()))
    return found


def item_path(data: Any, item: Any, var: str, body: str) -> str | None:
    """The path of ``item`` inside ``data``, extended by the field ``body`` reads from it.

    ``c.?securityContext.?privileged`` gives ``spec.containers[1].securityContext.privileged``:
    the longest such field that exists, else the longest one (the field to add).
    """
    base = locate(data, item)
    if base is None:
        return None
    chains = re.finditer(rf"\b{re.escape(var)}((?:\.\??[A-Za-z_]\w*)+)(\()?", body)
    candidates: list[list[PathSegment]] = []
    for m in sorted(chains, key=lambda m: -len(m.group(0))):
        rest: list[PathSegment] = [s.lstrip("?") for s in m.group(1).split(".") if s]
        if m.group(2):
            rest.pop()
        if rest:
            candidates.append(rest)
    # A field that is there and wrong beats a field that is missing (the fix is to add it).
    best = next((r for r in candidates if exists(item, r)), candidates[0] if candidates else [])
    return format_path([*base, *best])
