"""Fixtures for schema validation: a generated schema cache, the real kubeconform, validators."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.config import SchemaSettings
from kubesmith.tools.schema import SchemaValidator, ensure_schemas
from kubesmith.tools.schema.located import LocatedDocument, parse_documents


@pytest.fixture(scope="session")
def schema_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tool-cache folder with the newest schemas generated (once per test session)."""
    cache = tmp_path_factory.mktemp("toolcache")
    ensure_schemas(None, cache)
    return cache


@pytest.fixture(scope="session")
def kubeconform_bin() -> Path:
    """The real kubeconform binary (the tool cache's, or PATH's)."""
    from kubesmith.tools.binaries.cache import tool_path

    found = tool_path("kubeconform")
    if found is None:
        pytest.skip("kubeconform is not installed: run `kubesmith tools install` (make test does)")
    return found


@pytest.fixture
def make_validator(schema_cache: Path, tmp_path: Path) -> Callable[..., SchemaValidator]:
    """Factory: a validator on the session's schemas with a per-test verdict cache."""

    def factory(
        engine: str = "embedded", kubeconform: Path | None = None, **settings: object
    ) -> SchemaValidator:
        v = SchemaValidator(
            SchemaSettings(engine=engine, **settings),  # type: ignore[arg-type]
            root=tmp_path,
            cache_dir=schema_cache,
            kubeconform=kubeconform,
        )
        v.cache.path = tmp_path / "verdicts.sqlite3"
        return v

    return factory


@pytest.fixture
def yaml_docs() -> Callable[..., list[LocatedDocument]]:
    """Documents (with positions: a small real ``Manifest``) of a dedented YAML snippet."""

    def parse(text: str, file: str = "app.yaml", is_patch: bool = False) -> list[LocatedDocument]:
        return parse_documents(textwrap.dedent(text).lstrip("\n"), file, is_patch)

    return parse
