"""Rendering new values as YAML text that fits the file around them.

Only *new* text is rendered here (a replaced scalar, an inserted key, an appended item); the rest of
a file is never re-serialized. Every scalar is rendered so that it reads back as the same type:
strings that would otherwise parse as numbers, booleans or null are quoted (``"3"``, ``"true"``),
while ordinary strings such as ``256Mi`` stay plain.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from kubesmith.errors import ManifestError

_RESOLVER = Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW_CHARS = set(",[]{}")
# Plain words that other YAML readers (YAML 1.2, Go's yaml.v2 used by Kubernetes) take for numbers,
# booleans or null even where PyYAML reads a string: they are quoted too.
_AMBIGUOUS = re.compile(
    r"""^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?0(?:b[01_]+|o?[0-7_]+|x[0-9a-fA-F_]+)
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False|FALSE
    |null|Null|NULL|~|<<|=)$""",
    re.VERBOSE,
)
# Characters YAML allows unescaped (c-printable), minus the line breaks NEL, LS and PS.
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


@dataclass(frozen=True)
class Style:
    """A file's block-layout conventions, detected from its existing nodes.

    Attributes:
        indent: columns a nested mapping is indented under its key.
        seq_indent: columns a block sequence's ``-`` is indented under its key (0: indentless,
            ``key:\\n- item``).
        item_indent: columns from a ``-`` to the item's content (2 for ``- name: x``).
        nl: the line break the file uses.
    """

    indent: int = 2
    seq_indent: int = 2
    item_indent: int = 2
    nl: str = "\n"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def double_quoted(text: str) -> str:
    """``text`` as a double-quoted YAML scalar (JSON escapes are valid YAML escapes)."""
    return _NON_PRINTABLE.sub(_escape, json.dumps(text, ensure_ascii=False))


def single_quotable(text: str) -> bool:
    """True when ``text`` can be written single-quoted without folding or escapes."""
    return "\n" not in text and "\r" not in text and not _NON_PRINTABLE.search(text)


def plain_ok(text: str, flow: bool = False) -> bool:
    """True when ``text`` can be written as a plain scalar and read back as the same string."""
    if not text or text != text.strip() or _NON_PRINTABLE.search(text):
        return False
    if any(c in text for c in "\n\r\t"):
        return False
    first = text[0]
    if first in _INDICATORS and not (first in "-?:" and len(text) > 1 and text[1] != " "):
        return False
    if ": " in text or " #" in text or text.endswith(":") or text.startswith(("---", "...")):
        return False
    if flow and (any(c in _FLOW_CHARS for c in text) or ":" in text):
        return False
    if _AMBIGUOUS.match(text):
        return False
    tag = _RESOLVER.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag == _STR_TAG)


def scalar(value: Any, flow: bool = False, quote: str | None = None) -> str:
    """One-line YAML text for a scalar value.

    Args:
        value: str, int, float, bool or None.
        flow: the text goes inside ``[...]`` or ``{...}`` (commas and brackets need quotes).
        quote: the quoting of the value being replaced (``'"'`` or ``"'"``), kept for strings.

    Raises:
        ManifestError: for values that are not JSON-like scalars.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if not isinstance(value, str):
        raise ManifestError(f"cannot write a {type(value).__name__} value into YAML")
    if quote == "'" and single_quotable(value):
        return "'" + value.replace("'", "''") + "'"
    if quote != '"' and plain_ok(value, flow):
        return value
    return double_quoted(value)


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text and "." not in text:  # YAML 1.1 floats need a dot: 1e+20 -> 1.0e+20
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def key(value: Any, flow: bool = False) -> str:
    """A mapping key as YAML text."""
    return scalar(value, flow=flow)


def flow(value: Any) -> str:
    """``value`` in flow style: ``{app: cart, ports: [80, 443]}``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key(k, flow=True)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value, flow=True)


def _literal_ok(text: str) -> bool:
    return (
        "\n" in text
        and not text.startswith((" ", "\t", "\n"))
        and "\r" not in text
        and not _NON_PRINTABLE.search(text)
    )


def _literal(text: str, col: int) -> tuple[str, list[str]]:
    """A multi-line string as a literal block scalar (``|``), content at ``col``."""
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    header = "|-" if trailing == 0 else ("|" if trailing == 1 else "|+")
    lines = [(" " * col + ln) if ln else "" for ln in body.split("\n")]
    if trailing > 1:
        lines.extend([""] * (trailing - 1))
    return " " + header, lines


def value_after_key(
    value: Any, col: int, style: Style, literal: bool = True
) -> tuple[str, list[str]]:
    """How ``value`` follows ``key:`` at column ``col`` in block style.

    ``literal`` False writes multi-line strings double-quoted: a literal block at the very end of
    a file without a final newline would lose its last line break.

    Returns:
        the text that goes on the key's own line after the colon, and the lines that follow it.
    """
    if isinstance(value, dict) and value:
        return "", block(value, col + style.indent, style, literal)
    if isinstance(value, list) and value:
        return "", block(value, col + style.seq_indent, style, literal)
    if isinstance(value, (dict, list)):
        return " " + flow(value), []
    if literal and isinstance(value, str) and _literal_ok(value):
        return _literal(value, col + style.indent)
    return " " + scalar(value), []


def item(value: Any, col: int, style: Style, literal: bool = True) -> list[str]:
    """A block sequence item (``- ...``) with its dash at column ``col``."""
    pad = " " * col + "-" + " " * (style.item_indent - 1)
    inner = col + style.item_indent
    if isinstance(value, (dict, list)) and value:
        lines = block(value, inner, style, literal)
        return [pad + lines[0][inner:], *lines[1:]]
    if literal and isinstance(value, str) and _literal_ok(value):
        head, lines = _literal(value, inner)
        return [" " * col + "-" + head, *lines]
    return [pad + (flow(value) if isinstance(value, (dict, list)) else scalar(value))]


def block(value: Any, col: int, style: Style, literal: bool = True) -> list[str]:
    """A non-empty dict or list in block style, its keys or dashes at column ``col``."""
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            head, rest = value_after_key(v, col, style, literal)
            lines.append(f"{' ' * col}{key(k)}:{head}")
            lines.extend(rest)
    elif isinstance(value, list):
        for v in value:
            lines.extend(item(v, col, style, literal))
    else:
        raise ManifestError("internal: block() needs a dict or a list")
    return lines
