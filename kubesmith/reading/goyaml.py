"""YAML values as kubectl and kubeconform read them (``sigs.k8s.io/yaml``, go-yaml v2 rules).

What the API server receives is what kubectl's YAML reader made of the file, and kubeconform
reads YAML the same way; PyYAML (YAML 1.1 as Python reads it) disagrees on plain scalars:

======================  =====================  ==========================================
written (unquoted)      PyYAML                 kubectl / kubeconform
======================  =====================  ==========================================
``y``, ``n``, ``Y``     the string             ``true`` / ``false``
``1e3``, ``1.5e3``      the string             the number 1000 / 1500
``12:30``               750 (base 60)          the string ``"12:30"``
``0o17``                the string             15
``08``                  the string             8 (a float)
``2024-01-01``          a date                 the string ``"2024-01-01"``
``5:`` / ``true:`` key  an int / a bool key    the key ``"5"`` / ``"true"``
======================  =====================  ==========================================

So every validator's documents are built from their node trees with these rules — the
validate command's documents (``tools.schema.located``), the workspace's
(``workspace.yamlnodes``), and what the schema engines check (:func:`wire_value`): the schema
engines, the policies and the dry-run judge what the server would get, through this one
module. Quoted and block scalars are strings, as everywhere. An explicit ``!!str`` on an
unquoted scalar PyYAML would also read as a string (``!!str y``) cannot be told apart from no
tag and is read as kubectl reads the plain scalar: quote such values.
"""

from __future__ import annotations

import math
import re
import struct
from typing import Any

import yaml

_T = "tag:yaml.org,2002:"
_STR = _T + "str"
_MERGE = _T + "merge"
_CORE = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "merge")
)

_TRUE = ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")
_FALSE = ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")
_WORDS: dict[str, Any] = {
    **dict.fromkeys(_TRUE, True),
    **dict.fromkeys(_FALSE, False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}  # fmt: skip
"""go-yaml v2's table of words (its ``resolveMap``)."""

_TIMESTAMP = _T + "timestamp"
_EXPECTED: dict[str, tuple[type, ...]] = {
    _T + "int": (int,),
    _T + "float": (int, float),
    _T + "bool": (bool,),
    _T + "null": (type(None),),
}
"""What an explicitly tagged scalar must resolve to (``!!int 0x`` cannot be read)."""

_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_FLOAT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_INT64 = (-(2**63), 2**63 - 1)
_UINT64_MAX = 2**64 - 1


class NotJson(ValueError):
    """A value the YAML-to-JSON conversion refuses (NaN, infinity, a null or list key)."""


def _go_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 0, 64)`` then ``ParseUint``: Go's base prefixes, in range."""
    sign, digits = (
        ("-", text[1:]) if text[:1] == "-" else ("", text[1:] if text[:1] == "+" else text)
    )
    if not digits:
        return None
    lower = digits.lower()
    base, body = 10, digits
    if lower.startswith(("0x", "0o", "0b")):
        base, body = {"x": 16, "o": 8, "b": 2}[lower[1]], digits[2:]
    elif len(digits) > 1 and digits[0] == "0":
        base, body = 8, digits[1:]
    if not body or not all(c.isdigit() or c.lower() in "abcdef" for c in body):
        return None
    try:
        value = int(sign + body, base)
    except ValueError:
        return None
    if _INT64[0] <= value <= _INT64[1] or (not sign and 0 <= value <= _UINT64_MAX):
        return value
    return None


def plain_is_text(text: str) -> bool:
    """True when the unquoted scalar ``text`` is surely its own text to go-yaml (a quick test
    for the common case: not a word of its table, not starting like a number)."""
    return bool(text) and text not in _WORDS and text[0] not in _NUMBER_START


_NUMBER_START = frozenset("0123456789+-.")


def resolve_plain(text: str) -> Any:
    """The value of an unquoted scalar as go-yaml v2 reads it into an ``interface{}``."""
    if text in _WORDS:
        return _WORDS[text]
    first = text[:1]
    if first == ".":
        return float(text) if _GO_FLOAT.fullmatch(text) else text
    if not (first.isdigit() or first in "+-"):
        return text
    # a timestamp (YYYY-...) stays its text; so does anything else that is not a number
    plain = text.replace("_", "")
    value = _go_int(plain)
    if value is not None:
        return value
    if _FLOAT.fullmatch(plain):
        return float(plain)
    if plain.startswith(("0b", "-0b")):
        bits = plain.replace("0b", "", 1)
        if bits.lstrip("-") and set(bits.lstrip("-")) <= {"0", "1"}:
            return int(bits, 2)
    return text


def _json_number(value: Any, strict: bool = True) -> Any:
    """What ``json.Marshal`` then ``json.Unmarshal`` make of a float: integral ones read back
    as integers; NaN and infinities cannot be encoded at all (kept as they are when not
    ``strict``: the schema validator is the one that refuses them)."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            if not strict:
                return value
            raise NotJson(f"{value} cannot be sent as JSON")
        if value.is_integer() and abs(value) < 1e21:
            return int(value)
    return value


def _float32_text(value: float) -> str:
    """``strconv.FormatFloat(v, 'g', -1, 32)``: how a float map key becomes a JSON key."""
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if math.isnan(value):
        return ".nan"
    f32 = struct.unpack("f", struct.pack("f", value))[0]
    if math.isinf(f32):  # too large for a float32 (1e100): Go's FormatFloat says +Inf
        return ".inf" if f32 > 0 else "-.inf"
    for digits in range(1, 10):
        mantissa = f"{f32:.{digits - 1}e}"
        if struct.unpack("f", struct.pack("f", float(mantissa)))[0] == f32:
            break
    coefficient, _, exponent = mantissa.partition("e")
    exp = int(exponent)
    if exp < -4 or exp >= 6:  # Go's %g with the shortest precision switches at 6
        return f"{coefficient}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return f"{float(mantissa):.{max(0, digits - 1 - exp)}f}"


def _key(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value > _INT64[1]:
            raise NotJson(f"map key {value} is out of range")
        return str(value)
    if isinstance(value, float):
        return _float32_text(value)
    raise NotJson(f"unsupported map key {value!r}")


_RESOLVER = yaml.resolver.Resolver()


def _explicit_str(node: yaml.ScalarNode) -> bool:
    """An unquoted scalar tagged ``!!str`` by hand (PyYAML would have resolved it otherwise)."""
    resolver: Any = _RESOLVER
    implicit: str = resolver.resolve(yaml.ScalarNode, node.value, (True, False))
    return implicit != _STR


def _resolved(node: yaml.ScalarNode) -> Any:
    """A scalar's go-yaml v2 value (floats still floats).

    Raises:
        yaml.constructor.ConstructorError: an explicitly tagged value of another type
            (``!!int 0x``, ``!!bool maybe``, ``!!timestamp foo``), at the scalar's position.
    """
    tag = node.tag
    if tag not in _CORE:  # a custom tag (!foo): go-yaml keeps the text
        return node.value
    if not node.style:  # unquoted (libyaml says '', PyYAML None)
        value = resolve_plain(node.value)
        if tag == _STR:  # a word or a number go-yaml reads as such, unless tagged !!str
            return node.value if value.__class__ is str or _explicit_str(node) else value
    elif tag == _STR:  # quoted or a block scalar
        return node.value
    else:
        value = resolve_plain(node.value)  # an explicit tag: !!int "5"
    if tag == _TIMESTAMP:
        if _implicit(node) != _TIMESTAMP:
            raise _unreadable(node)
        return node.value
    expected = _EXPECTED.get(tag)
    # 12:30 is an int to PyYAML's resolver and a string to go-yaml: only a tag written by
    # hand must hold
    if (
        expected is not None
        and type(value) not in expected
        and (node.style or _implicit(node) != tag)
    ):
        raise _unreadable(node)
    return value


def _implicit(node: yaml.ScalarNode) -> str:
    resolver: Any = _RESOLVER
    tag: str = resolver.resolve(yaml.ScalarNode, node.value, (True, False))
    return tag


def _unreadable(node: yaml.ScalarNode) -> yaml.constructor.ConstructorError:
    kind = node.tag.rsplit(":", 1)[-1]
    return yaml.constructor.ConstructorError(
        None, None, f"a {kind} value that cannot be read: {node.value!r}", node.start_mark
    )


def scalar_value(node: yaml.ScalarNode) -> Any:
    """A scalar's value as go-yaml reads it, for a reader that edits what it read (the
    workspace): a number keeps the type it is written as (``1.0`` stays a float, where
    :func:`wire_value` gives the ``1`` JSON carries), NaN and infinities are kept.

    Raises:
        yaml.constructor.ConstructorError: an explicitly tagged value that cannot be read.
    """
    return _resolved(node)


def key_text(node: yaml.ScalarNode) -> Any:
    """A mapping key as kubectl reads it: always text (``5:`` is ``"5"``), except a null key,
    which stays ``None`` (the schema validator refuses it).

    Raises:
        yaml.constructor.ConstructorError: an explicitly tagged key that cannot be read.
    """
    value = _resolved(node)
    return None if value is None else _key(value)


def wire_value(node: yaml.Node | None, *, strict: bool = True) -> Any:
    """The document built from its node tree as kubectl would send it (see the module doc).

    Args:
        strict: refuse what JSON cannot carry (the schema validator's check); when False,
            NaN and infinities stay floats and a null key stays ``None`` (a document's value,
            for validators that judge the rest of it).

    Raises:
        NotJson: (``strict``) for a value JSON cannot carry (NaN, infinity, a null key).
        yaml.constructor.ConstructorError: an explicitly tagged value that cannot be read, or
            (not ``strict``) a list or map as a key.
    """
    return _Builder(strict).value(node)


class _Builder:
    def __init__(self, strict: bool) -> None:
        self._memo: dict[int, Any] = {}
        # a null key stays None when not strict (a document's value; the schema refuses it)
        self._strict = strict

    def value(self, node: yaml.Node | None) -> Any:
        if node is None:
            return None
        if id(node) in self._memo:  # an alias: the same value again
            return self._memo[id(node)]
        out: Any
        if isinstance(node, yaml.ScalarNode):
            out = self._scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            out = []
            self._memo[id(node)] = out
            out.extend(self.value(child) for child in node.value)
        else:
            mapping: dict[Any, Any] = {}
            self._memo[id(node)] = out = mapping
            self._mapping(node, mapping)
        self._memo[id(node)] = out
        return out

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        return _json_number(_resolved(node), self._strict)

    def _mapping(self, node: yaml.Node, out: dict[Any, Any]) -> None:
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE or (
                isinstance(key_node, yaml.ScalarNode)
                and not key_node.style
                and key_node.value == "<<"
            ):
                self._merge(value_node, out)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                if self._strict:
                    raise NotJson("a map or list as a map key")
                raise yaml.constructor.ConstructorError(
                    None, None, "a map or list as a map key", key_node.start_mark
                )
            key = _resolved(key_node)
            out[key if key is None and not self._strict else _key(key)] = self.value(value_node)

    def _merge(self, node: yaml.Node, out: dict[str, Any]) -> None:
        """go-yaml v2 merges in document order, a later merge overwriting earlier keys; in a
        list of maps, earlier maps take precedence."""
        if isinstance(node, yaml.MappingNode):
            merged = self.value(node)
            if isinstance(merged, dict):
                out.update(merged)
        elif isinstance(node, yaml.SequenceNode):
            for child in reversed(node.value):
                self._merge(child, out)
