"""CustomResourceDefinitions → standalone JSON schemas, in the same layout as the built-in ones.

A CRD's ``openAPIV3Schema`` is OpenAPI, not JSON Schema, plus Kubernetes extensions that change
what is valid:

- ``nullable: true`` → the type also admits ``null``;
- ``x-kubernetes-int-or-string`` → an integer or a string (any declared ``type`` is dropped);
- ``x-kubernetes-preserve-unknown-fields`` → unknown fields are allowed even in strict mode;
- ``x-kubernetes-embedded-resource`` → the value is an object with ``apiVersion``, ``kind`` and
  ``metadata`` (required by the API server for embedded objects).

In strict mode every object that lists ``properties`` and does not preserve unknown fields gets
``additionalProperties: false`` — a typo'd field is an error, as kubeconform ``-strict`` does for
built-in kinds. The top-level ``metadata`` is the real ``ObjectMeta`` of the chosen Kubernetes
version, and ``apiVersion``/``kind`` are pinned to the CRD's group, version and kind.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubesmith.errors import ToolError
from kubesmith.tools.schema.bundle import DRAFT, SchemaSet, closure
from kubesmith.tools.schema.jsonschema_walk import def_name, map_schema, refs_of
from kubesmith.tools.schema.paths import (
    SCHEMA_TEMPLATE,
    new_tmp_dir,
    publish_dir,
    schema_file,
)

FORMAT = "1"
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


@dataclass(frozen=True)
class CrdSchema:
    """The schema of one served version of one custom resource kind."""

    group: str
    version: str
    kind: str
    schema: dict[str, Any]

    @property
    def api_version(self) -> str:
        """``group/version``."""
        return f"{self.group}/{self.version}"


def is_crd(obj: Mapping[str, Any]) -> bool:
    """True for a CustomResourceDefinition (v1 or the old v1beta1)."""
    return obj.get("kind") == "CustomResourceDefinition" and str(
        obj.get("apiVersion", "")
    ).startswith("apiextensions.k8s.io/")


def crd_schemas(obj: Mapping[str, Any]) -> list[CrdSchema]:
    """The per-version schemas a CRD declares (versions without a schema are left out)."""
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return []
    group = spec.get("group")
    names = spec.get("names")
    kind = names.get("kind") if isinstance(names, Mapping) else None
    if not isinstance(group, str) or not isinstance(kind, str):
        return []
    out: list[CrdSchema] = []
    shared = spec.get("validation")  # v1beta1: one schema for every version
    shared_schema = shared.get("openAPIV3Schema") if isinstance(shared, Mapping) else None
    versions = spec.get("versions")
    if not isinstance(versions, list) and isinstance(spec.get("version"), str):
        versions = [{"name": spec["version"]}]
    for v in versions if isinstance(versions, list) else []:
        if not isinstance(v, Mapping) or not isinstance(v.get("name"), str):
            continue
        schema_block = v.get("schema")
        schema = (
            schema_block.get("openAPIV3Schema") if isinstance(schema_block, Mapping) else None
        ) or shared_schema
        if isinstance(schema, dict):
            out.append(CrdSchema(group, v["name"], kind, schema))
    return out


def to_json_schema(crd: CrdSchema, strict: bool, definitions: Mapping[str, Any]) -> dict[str, Any]:
    """Convert one CRD version's OpenAPI schema into a standalone JSON schema (2020-12)."""

    def convert(node: dict[str, Any]) -> dict[str, Any]:
        node.pop("description", None)
        preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
        if node.get("x-kubernetes-int-or-string") is True:
            node.pop("type", None)
            node.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
        if node.get("x-kubernetes-embedded-resource") is True:
            props = node.setdefault("properties", {})
            props.setdefault("apiVersion", {"type": "string"})
            props.setdefault("kind", {"type": "string"})
            props.setdefault("metadata", {"type": "object"})
            required = node.setdefault("required", [])
            required.extend(k for k in ("apiVersion", "kind") if k not in required)
            node.setdefault("type", "object")
        if node.get("nullable") is True:
            t = node.get("type")
            if isinstance(t, str):
                node["type"] = [t, "null"]
            if isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        node.pop("nullable", None)
        if strict and "properties" in node and "additionalProperties" not in node and not preserve:
            node["additionalProperties"] = False
        return node

    schema: dict[str, Any] = map_schema(json.loads(json.dumps(crd.schema)), convert)
    props = schema.setdefault("properties", {})
    props["apiVersion"] = {"type": "string", "enum": [crd.api_version]}
    props["kind"] = {"type": "string", "enum": [crd.kind]}
    props["metadata"] = {"$ref": f"#/$defs/{_OBJECT_META}"}
    schema.setdefault("type", "object")
    if strict and schema.get("x-kubernetes-preserve-unknown-fields") is not True:
        schema.setdefault("additionalProperties", False)
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind"})
    schema["$schema"] = DRAFT
    names = {n for r in refs_of(schema) if (n := def_name(r))}
    schema["$defs"] = closure(names, dict(definitions))
    schema["x-kubernetes-group-version-kind"] = [
        {"group": crd.group, "version": crd.version, "kind": crd.kind}
    ]
    return schema


@dataclass(frozen=True)
class CrdSet:
    """Generated schemas of a set of CRDs (for one Kubernetes version's ``ObjectMeta``)."""

    dir: Path
    kinds: frozenset[tuple[str, str]]
    """(apiVersion, kind) pairs that have a schema here."""

    def location(self) -> str:
        """kubeconform ``-schema-location`` for this set."""
        return f"{self.dir}/standalone{{{{ .StrictSuffix }}}}/{SCHEMA_TEMPLATE}"

    def path_for(self, api_version: str, kind: str, strict: bool) -> Path | None:
        """The schema file for ``api_version``/``kind``, or None when no CRD declares it."""
        if (api_version, kind) not in self.kinds:
            return None
        group, _, version = api_version.rpartition("/")
        folder = "standalone-strict" if strict else "standalone"
        return self.dir / folder / schema_file(group, version, kind)


def fingerprint(crds: Iterable[CrdSchema]) -> str:
    """A short content hash of a CRD set (changes whenever a schema changes)."""
    h = hashlib.sha256(FORMAT.encode())
    for c in sorted(crds, key=lambda c: (c.group, c.version, c.kind)):
        h.update(json.dumps([c.group, c.version, c.kind, c.schema], sort_keys=True).encode())
    return h.hexdigest()[:16]


def ensure_crd_schemas(crds: Iterable[CrdSchema], schemas: SchemaSet) -> CrdSet | None:
    """Write the schemas of ``crds`` under the schema set's folder (once per distinct CRD set).

    Returns None when there are no CRDs.

    Raises:
        ToolError: when the files cannot be written.
    """
    unique = {(c.group, c.version, c.kind): c for c in crds}
    if not unique:
        return None
    kinds = frozenset((c.api_version, c.kind) for c in unique.values())
    final = schemas.dir / "crds" / fingerprint(unique.values())
    if final.is_dir():
        return CrdSet(final, kinds)
    tmp = new_tmp_dir(final.parent, "crds")
    try:
        for strict in (False, True):
            defs = schemas.definitions(strict)
            folder = tmp / ("standalone-strict" if strict else "standalone")
            for c in unique.values():
                target = folder / schema_file(c.group, c.version, c.kind)
                target.parent.mkdir(parents=True, exist_ok=True)
                text = json.dumps(to_json_schema(c, strict, defs), separators=(",", ":"))
                target.write_text(text)
        publish_dir(tmp, final)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ToolError(f"could not write CRD schemas under {final}: {e}") from e
    return CrdSet(final, kinds)
