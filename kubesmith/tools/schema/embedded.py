"""The embedded engine: the same generated schemas, validated in-process with jsonschema-rs.

Used when kubeconform is not installed (or ``engine: embedded``). It reads the very files
kubeconform would read, so both engines judge against identical schemas; formats are not asserted
(kubeconform does not either), and errors are reduced to the same violations: the failing node's
path, unknown fields one by one at the field itself, ``oneOf``/``anyOf`` failures as one each.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kubesmith.errors import ToolError
from kubesmith.tools.schema.verdict import (
    RULE_ENUM,
    RULE_ONE_OF,
    RULE_OTHER,
    RULE_REQUIRED,
    RULE_TYPE,
    VALID,
    Verdict,
    Violation,
    unknown_fields,
)

SchemaLookup = Callable[[str, str], Path | None]
"""(apiVersion, kind) → the schema file to use, or None when there is none."""

_RULES = {
    "type": RULE_TYPE,
    "required": RULE_REQUIRED,
    "enum": RULE_ENUM,
    "oneOf": RULE_ONE_OF,
    "anyOf": RULE_ONE_OF,
}


class EmbeddedEngine:
    """Validates documents in-process; compiled validators are kept per schema file."""

    def __init__(self, lookup: SchemaLookup) -> None:
        try:
            import jsonschema_rs
        except ImportError as e:
            raise ToolError(
                "neither kubeconform nor jsonschema-rs is available; "
                "install kubesmith's schema extra: pip install 'kubesmith[schema]'"
            ) from e
        self._jsonschema_rs = jsonschema_rs
        self._lookup = lookup
        self._validators: dict[Path, Any] = {}

    def _validator(self, path: Path) -> Any:
        if path not in self._validators:
            schema = json.loads(path.read_text())
            self._validators[path] = self._jsonschema_rs.validator_for(
                schema, validate_formats=False
            )
        return self._validators[path]

    def check(self, docs: Sequence[dict[str, Any]]) -> list[Verdict]:
        """One verdict per document."""
        return [self._check_one(obj) for obj in docs]

    def _check_one(self, obj: dict[str, Any]) -> Verdict:
        api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
        path = self._lookup(api_version, kind)
        if path is None or not path.is_file():
            return Verdict("no-schema", (), f"could not find schema for {kind}")
        try:
            validator = self._validator(path)
            errors = list(validator.iter_errors(obj))
        except (ValueError, OSError) as e:
            msg = f"embedded schema engine failed on {path.name}: {e}"
            return Verdict("error", (Violation((), msg, "schema/engine-failure"),), msg)
        if not errors:
            return VALID
        violations: list[Violation] = []
        for err in errors:
            segments = tuple(err.instance_path)
            name = err.kind.name
            if name == "additionalProperties":
                violations.extend(unknown_fields(segments, list(err.kind.unexpected)))
            else:
                violations.append(Violation(segments, err.message, _RULES.get(name, RULE_OTHER)))
        return Verdict("invalid", tuple(violations), "; ".join(v.message for v in violations))
