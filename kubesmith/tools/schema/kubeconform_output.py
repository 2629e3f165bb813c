"""Reading kubeconform's ``-output json`` into engine-neutral verdicts.

kubeconform's ``validationErrors`` list only the first level of the error tree (often a bare
``/spec: validation failed``); the whole tree is in ``msg``, flattened onto one line, each node
written as ``- at '<JSON pointer>': <message>`` indented two spaces per level. This module parses
that tree back and keeps what a person needs: the leaves, plus ``oneOf``/``anyOf`` failures as one
violation each (their branches' errors are noise: "not a string", "not an integer"...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kubesmith.tools.schema.verdict import (
    RULE_ENGINE,
    RULE_ENUM,
    RULE_ONE_OF,
    RULE_OTHER,
    RULE_REQUIRED,
    RULE_TYPE,
    Verdict,
    Violation,
    pointer_segments,
    unknown_fields,
)

_NODE = re.compile(r"( *)- at '((?:[^']|'(?!: ))*)': ")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_DESCEND = ("validation failed", "allOf failed")


@dataclass
class _Node:
    depth: int
    pointer: str
    message: str
    children: list[_Node] = field(default_factory=list)


def _tree(msg: str) -> list[_Node]:
    matches = list(_NODE.finditer(msg))
    roots: list[_Node] = []
    stack: list[_Node] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(msg)
        node = _Node(max(len(m[1]) - 1, 0) // 2, m[2], msg[m.end() : end].strip())
        while stack and stack[-1].depth >= node.depth:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def _rule(message: str) -> str:
    if message.startswith("got ") and ", want " in message:
        return RULE_TYPE
    if message.startswith("missing propert"):
        return RULE_REQUIRED
    if message.startswith("value must be one of"):
        return RULE_ENUM
    if message.startswith(("oneOf failed", "anyOf failed")):
        return RULE_ONE_OF
    return RULE_OTHER


def _leaves(nodes: list[_Node], obj: Any, out: list[Violation]) -> None:
    for node in nodes:
        if node.message in _DESCEND and node.children:
            _leaves(node.children, obj, out)
            continue
        path = pointer_segments(node.pointer, obj)
        if node.message.startswith("additional properties "):
            names = _QUOTED.findall(node.message)
            out.extend(unknown_fields(path, names))
        else:
            out.append(Violation(path, node.message, _rule(node.message)))


def violations_from_message(msg: str, obj: Any) -> tuple[Violation, ...]:
    """The violations kubeconform's ``msg`` describes (``obj`` decides index vs key segments)."""
    out: list[Violation] = []
    _leaves(_tree(msg), obj, out)
    return tuple(out)


def verdict_from_result(result: dict[str, Any], obj: Any) -> Verdict:
    """One kubeconform result entry → a verdict for the document it names."""
    status = result.get("status")
    msg = str(result.get("msg") or "")
    if status == "statusInvalid":
        violations = violations_from_message(msg, obj)
        if not violations:  # a message shape we do not know: keep it whole, never drop it
            violations = (Violation((), msg, RULE_OTHER),)
        return Verdict("invalid", violations, msg)
    if status == "statusError" and msg.startswith("could not find schema"):
        return Verdict("no-schema", (), msg)
    if status in ("statusValid", "statusSkipped", "statusEmpty"):
        return Verdict("valid")
    return Verdict("error", (Violation((), f"kubeconform: {msg}", RULE_ENGINE),), msg)
