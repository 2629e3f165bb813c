"""Expression plumbing shared by the evaluator: variable binding and JSON-shaping of input."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from kubesmith.tools.policy.model import Named

_VARIABLE_REF = re.compile(r"\bvariables\.([A-Za-z_]\w*)")


def normalize(value: Any) -> Any:
    """A JSON-shaped copy of ``value``: YAML timestamps, binary and sets become JSON types.

    The API server sees JSON; YAML's implicit dates would otherwise reach CEL as timestamps,
    which cel-expr-python refuses. Only needed for the rare object that has them.
    """
    if isinstance(value, dict):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [normalize(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def largest_collection(value: Any) -> int:
    """The number of items in the largest list or map inside ``value`` (cost estimates)."""
    if isinstance(value, dict):
        return max([len(value), *(largest_collection(v) for v in value.values())])
    if isinstance(value, list):
        return max([len(value), *(largest_collection(v) for v in value)])
    return 0


def used_variables(expression: str, variables: tuple[Named, ...]) -> set[str]:
    """Names of the policy variables ``expression`` needs, directly or through other variables."""
    by_name = {v.name: v for v in variables}
    needed: set[str] = set()
    pending = _VARIABLE_REF.findall(expression)
    while pending:
        name = pending.pop()
        if name in by_name and name not in needed:
            needed.add(name)
            pending += _VARIABLE_REF.findall(by_name[name].expression)
    return needed


def wrap_variables(expression: str, variables: tuple[Named, ...]) -> str:
    """``expression`` made self-contained: the variables it uses bound by nested ``cel.bind``.

    This is the lazy form (an unused variable is never computed), used when precomputing a
    policy's variables failed for an object.
    """
    needed = used_variables(expression, variables)
    if not needed:
        return expression
    bound: list[str] = []
    layers = []
    for v in variables:
        if v.name not in needed:
            continue
        entries = [f"'{n}': variables.{n}" for n in bound] + [f"'{v.name}': dyn({v.expression})"]
        bound.append(v.name)
        layers.append(f"cel.bind(variables, {{{', '.join(entries)}}}, ")
    return "".join(layers) + f"({expression})" + ")" * len(layers)
