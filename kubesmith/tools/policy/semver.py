"""The Kubernetes CEL semver library (Kubernetes 1.33+): ``semver``, ``isSemver``, ``major``,
``minor``, ``patch`` and the comparisons, as ``apiserver/pkg/cel/library/semverlib.go`` defines
them: strict Semantic Versioning 2.0.0 parsing, or with ``normalize`` a leading ``v`` removed,
missing minor/patch filled with 0 and leading zeros dropped; build metadata never orders.
"""

from __future__ import annotations

import re
from typing import Any

TAG = "__k8s_semver__"
_CORE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


def _normalize(text: str) -> str:
    text = text.removeprefix("v")
    parts = text.split(".", 2)
    for i, part in enumerate(parts):
        if len(part) > 1:
            stripped = part.lstrip("0")
            if not stripped or not stripped[0].isdigit():
                stripped = "0" + stripped
            parts[i] = stripped
    if len(parts) < 3:
        if any(c in parts[-1] for c in "+-"):
            raise ValueError("short version cannot contain PreRelease/Build meta data")
        parts += ["0"] * (3 - len(parts))
    return ".".join(parts)


def parse(text: str, normalize: bool = False) -> dict[str, str]:
    """A semver value (tagged map) from ``text``.

    Raises:
        ValueError: when ``text`` is not a semantic version.
    """
    source = _normalize(text) if normalize else text
    if not _CORE.match(source):
        raise ValueError(f"could not parse {text!r} as a semantic version")
    return {TAG: source}


def is_semver(text: str, normalize: bool = False) -> bool:
    """True when :func:`parse` accepts ``text``."""
    try:
        parse(text, normalize)
    except ValueError:
        return False
    return True


def _parts(value: Any) -> tuple[int, int, int, list[str]]:
    if not (isinstance(value, dict) and len(value) == 1 and TAG in value):
        raise TypeError("no such overload: expected a semver")
    m = _CORE.match(str(value[TAG]))
    assert m is not None  # only parse() builds the tag
    pre = m.group(4).split(".") if m.group(4) else []
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), pre


def is_semver_value(value: Any) -> bool:
    """True for a value :func:`parse` built."""
    return isinstance(value, dict) and len(value) == 1 and TAG in value


def _pre_key(pre: list[str]) -> tuple[Any, ...]:
    # A release orders after its pre-releases; numeric identifiers before alphanumeric ones.
    if not pre:
        return (1,)
    return (0, *((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre), (-1, 0, ""))


def compare(a: Any, b: Any) -> int:
    """-1, 0 or 1: the Semantic Versioning precedence of ``a`` against ``b``."""
    x, y = _parts(a), _parts(b)
    kx, ky = (*x[:3], _pre_key(x[3])), (*y[:3], _pre_key(y[3]))
    return (kx > ky) - (kx < ky)


FUNCTIONS: dict[str, Any] = {
    "major": lambda v: _parts(v)[0],
    "minor": lambda v: _parts(v)[1],
    "patch": lambda v: _parts(v)[2],
}
