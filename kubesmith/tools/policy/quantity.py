"""Kubernetes resource quantities (``500m``, ``1.5Gi``, ``2e3``) as exact fractions.

Policies compare CPU and memory amounts, so the CEL ``quantity`` library needs the same arithmetic
the API server uses. Fractions keep it exact: ``100m + 900m == 1`` with no float drift.
"""

from __future__ import annotations

import re
from fractions import Fraction

_SUFFIXES: dict[str, Fraction] = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}

_QUANTITY = re.compile(
    r"^(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE](?P<exp>[+-]?\d+))?$"
)


def parse_quantity(text: str) -> Fraction:
    """The exact value of a quantity string.

    Raises:
        ValueError: when ``text`` is not a quantity in Kubernetes' syntax.
    """
    m = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"invalid quantity {text!r}")
    value = Fraction(m.group("num"))
    if m.group("exp") is not None:
        exp = int(m.group("exp"))
        if abs(exp) > 60:
            raise ValueError(f"quantity exponent out of range in {text!r}")
        return value * Fraction(10) ** exp
    return value * _SUFFIXES[m.group("suffix") or ""]


def is_quantity(text: object) -> bool:
    """True when ``text`` parses as a quantity."""
    if not isinstance(text, str):
        return False
    try:
        parse_quantity(text)
    except ValueError:
        return False
    return True


def format_quantity(value: Fraction) -> str:
    """A canonical string for ``value``: an integer, or a decimal in milli/micro/nano units."""
    if value.denominator == 1:
        return str(value.numerator)
    for suffix, scale in (("m", 10**3), ("u", 10**6), ("n", 10**9)):
        scaled = value * scale
        if scaled.denominator == 1:
            return f"{scaled.numerator}{suffix}"
    # Finer than a nano unit: round up, as the API server does.
    nanos = -((-value.numerator * 10**9) // value.denominator)
    return f"{nanos}n"
