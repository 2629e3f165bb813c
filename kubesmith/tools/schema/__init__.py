"""Schema validation: Kubernetes API schemas (offline, generated per version) and CRDs.

``SchemaValidator`` is the :class:`kubesmith.tools.validator.Validator` for the agent loop and
the library; ``validate_files`` is the file-level fast path ``kubesmith validate`` uses. Engines:
the real kubeconform binary (from the tool cache) or, without it, jsonschema-rs in-process.
"""

from kubesmith.tools.schema.bundle import (
    SchemaSet,
    ensure_schemas,
    resolve_version,
    shipped_versions,
)
from kubesmith.tools.schema.files import SourceFile, validate_files
from kubesmith.tools.schema.validator import SchemaValidator

__all__ = [
    "SchemaSet",
    "SchemaValidator",
    "SourceFile",
    "ensure_schemas",
    "resolve_version",
    "shipped_versions",
    "validate_files",
]
