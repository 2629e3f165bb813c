"""Standalone, offline JSON schemas for the Kubernetes API, generated from ``kubernetes-validate``.

The ``kubernetes-validate`` package ships, per Kubernetes version, one file per type plus a
shared ``_definitions.json``, linked by ``$ref`` URLs such as ``/api/_definitions.json#/$defs/X``
under an ``$id`` on ``kubernetes.io``. Pointed at directly, kubeconform would resolve those
against the network. So each top-level resource (a type with ``x-kubernetes-group-version-kind``)
is written as one self-contained file: the definitions it reaches are copied into its own
``$defs``, every reference is rewritten to ``#/$defs/X``, and ``$id`` is dropped. Descriptions are
stripped (they are most of the bytes and kubeconform compiles each schema it loads).

Layout (``SchemaSet.location`` is the matching kubeconform ``-schema-location`` template)::

    <cache>/schemas/v1.37.0/standalone/apps/deployment_v1.json
    <cache>/schemas/v1.37.0/standalone-strict/apps/deployment_v1.json   (additionalProperties false)
    <cache>/schemas/v1.37.0/standalone-strict/v1/pod_v1.json            (core group: the version)

Generation happens on first use and is published atomically (temporary folder + rename).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubesmith.errors import ToolError, UsageError
from kubesmith.tools.schema.jsonschema_walk import def_name, map_schema, refs_of
from kubesmith.tools.schema.paths import (
    SCHEMA_TEMPLATE,
    cache_root,
    new_tmp_dir,
    publish_dir,
    schema_file,
    split_api_version,
)

FORMAT = "2"
"""Bumped whenever the generated files change shape; a cache of another format is regenerated
(2: ``int32``/``int64`` fields carry their range; documents are read as kubectl reads YAML)."""

_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
"""The Go integer types behind ``format: int32/int64``: the API server cannot decode a number
outside them (kubeconform does not check formats, so the range is written into the schema)."""

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_SKIP_KINDS = frozenset({"DeleteOptions", "WatchEvent"})  # API plumbing listed under every group
_VERSION_DIR = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-local$")


def _shipped_root() -> Path:
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise ToolError(
            "the kubernetes-validate package is not installed; "
            "install kubesmith's schema extra: pip install 'kubesmith[schema]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"


def shipped_versions() -> list[str]:
    """Kubernetes versions ``kubernetes-validate`` ships schemas for, oldest first (``1.37.0``)."""
    found: list[tuple[int, int, int]] = []
    for entry in _shipped_root().iterdir():
        m = _VERSION_DIR.match(entry.name)
        if m:
            found.append((int(m[1]), int(m[2]), int(m[3])))
    return [f"{a}.{b}.{c}" for a, b, c in sorted(found)]


def resolve_version(requested: str | None) -> str:
    """Pick the shipped version for ``requested`` (``1.31``, ``v1.31.4``...); None → the newest.

    A patch release maps to its minor's schemas: the API schema does not change within a minor.

    Raises:
        UsageError: for a version that is malformed or not shipped.
    """
    versions = shipped_versions()
    if not versions:
        raise ToolError(f"no schemas found under {_shipped_root()}")
    if not requested:
        return versions[-1]
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.(\d+))?", requested.strip())
    if not m:
        raise UsageError(f"invalid Kubernetes version {requested!r} (expected e.g. 1.31 or 1.31.2)")
    minor = f"{m[1]}.{m[2]}."
    for v in reversed(versions):
        if v.startswith(minor):
            return v
    raise UsageError(
        f"no schemas for Kubernetes {requested}; supported: "
        + ", ".join(v.rsplit(".", 1)[0] for v in versions)
    )


@dataclass(frozen=True)
class SchemaSet:
    """The generated schemas of one Kubernetes version."""

    version: str
    dir: Path

    def folder(self, strict: bool) -> Path:
        """``standalone`` or ``standalone-strict``."""
        return self.dir / ("standalone-strict" if strict else "standalone")

    def location(self, strict: bool) -> str:
        """kubeconform ``-schema-location`` for this set (a local path template, never a URL).

        kubeconform picks the strict folder itself (``{{ .StrictSuffix }}``) when run with
        ``-strict``; the argument is kept so callers state which they mean.
        """
        del strict
        return f"{self.dir}/standalone{{{{ .StrictSuffix }}}}/{SCHEMA_TEMPLATE}"

    def path_for(self, api_version: str, kind: str, strict: bool) -> Path:
        """Where the schema of ``api_version``/``kind`` is (it may not exist)."""
        group, version = split_api_version(api_version)
        return self.folder(strict) / schema_file(group, version, kind)

    def definitions(self, strict: bool) -> dict[str, Any]:
        """The cleaned shared definitions (for CRD schemas that embed ``ObjectMeta``)."""
        data: dict[str, Any] = json.loads((self.folder(strict) / "_definitions.json").read_text())
        return data


def _clean(node: dict[str, Any]) -> dict[str, Any]:
    node.pop("description", None)
    node.pop("$id", None)
    bounds = _RANGES.get(str(node.get("format")))
    if bounds is not None and "integer" in (node.get("type") or ()):
        node.setdefault("minimum", bounds[0])
        node.setdefault("maximum", bounds[1])
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = def_name(ref)
        if name is None:
            raise ToolError(f"unexpected schema reference {ref!r}: cannot make it offline")
        node["$ref"] = f"#/$defs/{name}"
    return node


def clean_schema(schema: Any) -> Any:
    """Strip descriptions and ``$id``, rewrite every reference to a local ``#/$defs/X``."""
    return map_schema(schema, _clean)


def closure(roots: set[str], defs: dict[str, Any]) -> dict[str, Any]:
    """The definitions reachable from the refs in ``roots`` (names), transitively."""
    out: dict[str, Any] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in out or name not in defs:
            continue
        out[name] = defs[name]
        todo.extend(n for r in refs_of(defs[name]) if (n := def_name(r)) and n not in out)
    return out


def _generate_variant(src: Path, dest: Path) -> int:
    raw_defs = json.loads((src / "_definitions.json").read_text())["$defs"]
    defs = {name: clean_schema(s) for name, s in raw_defs.items()}
    dest.mkdir(parents=True)
    (dest / "_definitions.json").write_text(json.dumps(defs, separators=(",", ":")))
    written = 0
    for path in sorted(src.glob("*.json")):
        if path.name.startswith("_"):
            continue
        raw = json.loads(path.read_text())
        gvks = raw.get("x-kubernetes-group-version-kind") if isinstance(raw, dict) else None
        if not gvks:
            continue
        schema = clean_schema(raw)
        schema["$schema"] = DRAFT
        names = {n for r in refs_of(schema) if (n := def_name(r))}
        schema["$defs"] = closure(names, defs)
        text = json.dumps(schema, separators=(",", ":"))
        for gvk in gvks:
            if gvk.get("kind") in _SKIP_KINDS:
                continue
            target = dest / schema_file(gvk.get("group", ""), gvk["version"], gvk["kind"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            written += 1
    return written


def ensure_schemas(kube_version: str | None = None, cache: Path | None = None) -> SchemaSet:
    """The schemas of ``kube_version`` (default: newest), generated into the cache on first use.

    Raises:
        UsageError: for an unsupported version.
        ToolError: when kubernetes-validate is missing or its files are not what we expect.
    """
    version = resolve_version(kube_version)
    final = (cache or cache_root()) / "schemas" / f"v{version}"
    marker = final / "FORMAT"
    if marker.is_file() and marker.read_text().strip() == FORMAT:
        return SchemaSet(version, final)
    src = _shipped_root()
    tmp = new_tmp_dir(final.parent, f"v{version}")
    try:
        for strict in (False, True):
            suffix = "-strict" if strict else ""
            _generate_variant(src / f"v{version}-local{suffix}", tmp / f"standalone{suffix}")
        (tmp / "FORMAT").write_text(FORMAT + "\n")
        if final.exists():  # an older format: move it away, then publish ours
            stale = new_tmp_dir(final.parent, f"stale-v{version}")
            final.rename(stale / "old")
            shutil.rmtree(stale, ignore_errors=True)
        publish_dir(tmp, final)
    except (OSError, KeyError, ValueError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ToolError(f"could not generate schemas for Kubernetes {version}: {e}") from e
    return SchemaSet(version, final)
