"""A structural walk over JSON Schema documents: visit subschemas by keyword, never by luck.

A naive walk over every dict would treat a *property named* ``description`` or ``$ref`` (the
CRD type ``JSONSchemaProps`` has both) as a keyword. Walking by keyword is what makes stripping
descriptions and rewriting references safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MAP_KEYWORDS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_ONE_KEYWORDS = (
    "additionalProperties",
    "items",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
)
_LIST_KEYWORDS = ("allOf", "anyOf", "oneOf", "prefixItems")

Transform = Callable[[dict[str, Any]], dict[str, Any]]


def map_schema(schema: Any, fn: Transform) -> Any:
    """Rebuild ``schema`` bottom-up, applying ``fn`` to every schema object (children first)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _MAP_KEYWORDS and isinstance(value, dict):
            out[key] = {k: map_schema(v, fn) for k, v in value.items()}
        elif key in _ONE_KEYWORDS:
            out[key] = (
                [map_schema(v, fn) for v in value]
                if isinstance(value, list)
                else map_schema(value, fn)
            )
        elif key in _LIST_KEYWORDS and isinstance(value, list):
            out[key] = [map_schema(v, fn) for v in value]
        else:
            out[key] = value
    return fn(out)


def refs_of(schema: Any, found: set[str] | None = None) -> set[str]:
    """Every ``$ref`` string used in ``schema`` (its own subschemas only, not followed)."""
    found = set() if found is None else found

    def visit(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        return node

    map_schema(schema, visit)
    return found


def def_name(ref: str) -> str | None:
    """``/api/_definitions.json#/$defs/X`` or ``#/$defs/X`` → ``X`` (None for other refs)."""
    _, sep, name = ref.partition("#/$defs/")
    return name if sep else None
