"""The validators on mutated manifests: the embedded schema engine and the policy evaluator
always answer with findings (a validator reports, it never raises)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from kubesmith.config import PolicySettings, SchemaSettings
from kubesmith.model import Finding
from kubesmith.tools.schema.located import LocatedDocument, parse_documents
from tests.fuzz.strategies import dump, mutated_deployments

_VALIDATORS: dict[str, Any] = {}


def _validator(kind: str) -> Any:
    """One validator per kind for the whole run (building one compiles every schema/policy)."""
    if kind not in _VALIDATORS:
        if kind == "schema":
            from kubesmith.tools.schema import SchemaValidator

            _VALIDATORS[kind] = SchemaValidator(SchemaSettings(engine="embedded"))
        else:
            from kubesmith.tools.policy.validator import PolicyValidator

            pytest.importorskip("cel_expr_python")
            _VALIDATORS[kind] = PolicyValidator(
                PolicySettings(packs=("pss-baseline", "pss-restricted", "best-practices")), Path()
            )
    return _VALIDATORS[kind]


def _documents(obj: dict[str, Any]) -> list[LocatedDocument]:
    try:
        return parse_documents(dump(obj), "web.yaml")
    except Exception:  # a mutation YAML cannot write back (not the validators' concern)
        return [LocatedDocument("web.yaml", 0, None, obj)]


@pytest.mark.parametrize("kind", ["schema", "policy"])
@given(obj=mutated_deployments())
def test_validators_answer_with_findings(kind: str, obj: dict[str, Any]) -> None:
    findings = _validator(kind).validate(_documents(obj))
    assert all(isinstance(f, Finding) for f in findings)
    assert all(f.file == "web.yaml" for f in findings if f.file)


def test_a_float_key_too_large_for_float32_is_validated() -> None:
    """Found by the fuzz suite: a key ``1E100`` crashed the schema validator (ValueError)."""
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "1E100": None}
    [finding] = _validator("schema").validate(parse_documents(dump(obj), "web.yaml"))
    assert (finding.severity, finding.rule) == ("error", "schema/unknown-field")
    assert ".inf" in finding.message  # sigs.k8s.io/yaml spells the key as Go formats +Inf
