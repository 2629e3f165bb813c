"""Offline schema generation from kubernetes-validate: versions, layout, self-containment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubesmith.errors import UsageError
from kubesmith.tools.schema import ensure_schemas, resolve_version, shipped_versions
from kubesmith.tools.schema.bundle import FORMAT

# Generates schema bundles from kubernetes-validate (seconds of CPU each): not in `make unit`.
pytestmark = pytest.mark.slow


def _refs(node: Any, out: list[str]) -> list[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out.append(v)
            else:
                _refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _refs(v, out)
    return out


def test_versions_are_sorted_and_resolve_by_minor() -> None:
    versions = shipped_versions()
    assert len(versions) >= 2
    assert versions == sorted(versions, key=lambda v: tuple(int(x) for x in v.split(".")))
    assert resolve_version(None) == versions[-1]
    oldest_minor = versions[0].rsplit(".", 1)[0]
    assert resolve_version(oldest_minor) == versions[0]
    assert resolve_version(f"v{oldest_minor}.7") == versions[0]


@pytest.mark.parametrize("bad", ["1.2", "one.two", "1.99.0"])
def test_unknown_or_malformed_versions_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError):
        resolve_version(bad)


def test_generated_schemas_are_standalone_and_offline(schema_cache: Path) -> None:
    schemas = ensure_schemas(None, schema_cache)
    strict = json.loads(schemas.path_for("apps/v1", "Deployment", strict=True).read_text())
    loose = json.loads(schemas.path_for("apps/v1", "Deployment", strict=False).read_text())
    for schema in (strict, loose):
        assert "$id" not in json.dumps(schema)
        refs = _refs(schema, [])
        assert refs, "the Deployment schema references shared definitions"
        for ref in refs:
            assert ref.startswith("#/$defs/"), ref
            assert ref.removeprefix("#/$defs/") in schema["$defs"], ref
    assert strict["additionalProperties"] is False
    assert "additionalProperties" not in loose
    assert strict["properties"]["kind"]["enum"] == ["Deployment"]


def test_core_group_files_live_under_the_version(schema_cache: Path) -> None:
    schemas = ensure_schemas(None, schema_cache)
    assert schemas.path_for("v1", "Pod", strict=True) == schemas.folder(True) / "v1" / "pod_v1.json"
    assert schemas.path_for("v1", "Pod", strict=True).is_file()
    assert schemas.path_for("networking.k8s.io/v1", "Ingress", strict=False).is_file()
    assert "://" not in schemas.location(strict=True)
    assert "{{ .StrictSuffix }}" in schemas.location(strict=True)


def test_generation_is_cached_and_redone_for_another_format(tmp_path: Path) -> None:
    first = ensure_schemas(None, tmp_path)
    deployment = first.path_for("apps/v1", "Deployment", strict=True)
    stamp = deployment.stat().st_mtime_ns
    again = ensure_schemas(None, tmp_path)
    assert again == first
    assert deployment.stat().st_mtime_ns == stamp
    (first.dir / "FORMAT").write_text("0\n")
    ensure_schemas(None, tmp_path)
    assert (first.dir / "FORMAT").read_text().strip() == FORMAT
    leftovers = [p.name for p in first.dir.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []
