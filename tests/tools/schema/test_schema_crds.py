"""CRDs become schemas: int-or-string, preserve-unknown-fields, embedded resources, nullable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from kubesmith.tools.schema.crds import crd_schemas, is_crd

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size:
                  type: integer
                port:
                  x-kubernetes-int-or-string: true
                note:
                  type: string
                  nullable: true
                extra:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
                template:
                  type: object
                  x-kubernetes-embedded-resource: true
                  x-kubernetes-preserve-unknown-fields: true
    - name: v1alpha1
      served: true
      storage: false
"""


def _widget(spec: str) -> str:
    return f"""
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
{spec}
"""


def _errors(findings: list[Any]) -> list[tuple[str | None, str]]:
    return [(f.path, f.rule) for f in findings if f.severity == "error"]


def test_crd_versions_without_a_schema_are_left_out() -> None:
    obj = yaml.safe_load(CRD)
    assert is_crd(obj)
    found = crd_schemas(obj)
    assert [(c.api_version, c.kind) for c in found] == [("example.com/v1", "Widget")]


def test_custom_resources_are_validated_with_the_crd(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any]
) -> None:
    v = make_validator()
    v.add_crd(yaml.safe_load(CRD))
    valid = yaml_docs(
        _widget(
            "  size: 3\n  port: http\n  note: null\n  extra: {anything: [1, 2]}\n"
            "  template: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {x: 1}}"
        )
    )
    assert _errors(v.validate(valid)) == []
    numeric_port = yaml_docs(_widget("  size: 3\n  port: 8080"))
    assert _errors(v.validate(numeric_port)) == []


def test_crd_violations_point_at_the_field(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any]
) -> None:
    v = make_validator()
    v.add_crd(yaml.safe_load(CRD))
    doc = yaml_docs(_widget("  size: big\n  port: [1]\n  sizee: 2\n  template: {metadata: {}}"))
    findings = v.validate(doc)
    errors = _errors(findings)
    assert ("spec.size", "schema/type") in errors
    assert ("spec.port", "schema/one-of") in errors
    assert ("spec.sizee", "schema/unknown-field") in errors
    assert ("spec.template", "schema/required") in errors  # embedded: apiVersion and kind
    line = {f.path: f.line for f in findings}
    assert line["spec.size"] == 6
    assert line["spec.sizee"] == 8


def test_crds_among_the_validated_manifests_are_used(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any]
) -> None:
    v = make_validator()
    both = yaml_docs(CRD + "---" + _widget("  size: nope"))
    errors = _errors(v.validate(both))
    assert errors == [("spec.size", "schema/type")]


def test_a_kind_without_any_schema_is_a_warning(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any]
) -> None:
    v = make_validator()
    findings = v.validate(yaml_docs(_widget("  size: 1")))
    assert [(f.severity, f.rule) for f in findings] == [("warning", "schema/no-schema")]
