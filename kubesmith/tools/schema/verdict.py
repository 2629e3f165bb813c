"""What a schema engine says about one document, engine-neutral.

Both engines (kubeconform and the embedded one) reduce their output to the same shape — a status
and a list of :class:`Violation` with a field path split into segments — so the validator turns
either into the same findings, and the verdict cache stores one format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml

Status = Literal["valid", "invalid", "no-schema", "error"]

RULE_TYPE = "schema/type"
RULE_UNKNOWN_FIELD = "schema/unknown-field"
RULE_REQUIRED = "schema/required"
RULE_ENUM = "schema/enum"
RULE_ONE_OF = "schema/one-of"
RULE_OTHER = "schema/constraint"
RULE_NO_SCHEMA = "schema/no-schema"
RULE_ENGINE = "schema/engine-failure"
RULE_DUPLICATE_KEY = "schema/duplicate-key"
RULE_INVALID_DOCUMENT = "schema/invalid-document"
RULE_SKIPPED = "schema/skipped"

NAME = "schema"
"""The schema validator's name, as findings carry it."""

_KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def is_kustomization(file: str, obj: dict[str, Any]) -> bool:
    """A kustomization file (by name, or by its kustomize ``apiVersion``)."""
    if file.rsplit("/", 1)[-1] in _KUSTOMIZATION_FILES:
        return True
    return obj.get("kind") in ("Kustomization", "Component") and str(
        obj.get("apiVersion", "")
    ).startswith("kustomize.config.k8s.io/")


@dataclass(frozen=True)
class Violation:
    """One schema violation: where (path segments from the document root), what, which rule."""

    path: tuple[str | int, ...]
    message: str
    rule: str = RULE_OTHER


@dataclass(frozen=True)
class Verdict:
    """An engine's answer for one document."""

    status: Status
    violations: tuple[Violation, ...] = ()
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain data for the verdict cache."""
        return {
            "status": self.status,
            "message": self.message,
            "violations": [[list(v.path), v.message, v.rule] for v in self.violations],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Verdict:
        """The inverse of :meth:`to_json`."""
        return cls(
            status=data["status"],
            message=data.get("message", ""),
            violations=tuple(
                Violation(tuple(path), message, rule) for path, message, rule in data["violations"]
            ),
        )


VALID = Verdict("valid")


def pointer_segments(pointer: str, obj: Any) -> tuple[str | int, ...]:
    """A JSON pointer (``/spec/containers/0``) → segments, with list indexes as ints.

    Whether ``0`` is an index or a map key is decided by the document itself: ``obj`` is its
    value or its YAML node tree (which spares building the value just to read a path).
    """
    segments: list[str | int] = []
    node = obj
    for raw in pointer.split("/")[1:] if pointer else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        items = node.value if isinstance(node, yaml.SequenceNode) else node
        if isinstance(items, list) and token.isdigit():
            index = int(token)
            segments.append(index)
            node = items[index] if index < len(items) else None
        else:
            segments.append(token)
            node = _member(node, token)
    return tuple(segments)


def _member(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def unknown_fields(path: Sequence[str | int], fields: Sequence[str]) -> list[Violation]:
    """One violation per unexpected field, pointing at the field itself (not its parent)."""
    return [
        Violation((*path, name), f'unknown field "{name}"', RULE_UNKNOWN_FIELD) for name in fields
    ]
