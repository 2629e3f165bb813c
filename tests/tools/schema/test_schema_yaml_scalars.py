"""YAML read as kubectl and kubeconform read it, and integers held to the API server's ranges.

kubectl (and so the API server) and kubeconform read YAML with go-yaml v2 through
``sigs.k8s.io/yaml``; PyYAML reads some unquoted scalars differently. Before kubesmith#16 the
embedded engine judged PyYAML's reading: ``replicas: 1e3`` was a type error, ``value: 12:30`` was
the number 750, ``value: y`` a string, ``port: 0o17`` a string — each the opposite of what
kubeconform and the server say. The expectations below are what the real kubeconform v0.7.0
reports on the same text (checked by the integration test at the end).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesmith.reading.goyaml import NotJson, resolve_plain, wire_value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("y", True), ("Y", True), ("yes", True), ("On", True), ("n", False), ("N", False),
        ("off", False), ("~", None), ("null", None), ("", None),
        ("1e3", 1000.0), ("1.5e3", 1500.0), ("1E-2", 0.01), (".5", 0.5), ("1.", 1.0),
        ("12:30", "12:30"), ("1:20:30", "1:20:30"),  # no base 60 in go-yaml
        ("0755", 493), ("0o17", 15), ("0x1F", 31), ("0b101", 5), ("-0b11", -3),
        ("1_000", 1000), ("+12", 12), ("-0", 0), ("08", 8.0),
        ("2024-01-01", "2024-01-01"), ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
        ("9223372036854775808", 9223372036854775808), ("18446744073709551616", 1.8446744073709552e19),
        ("1e", "1e"), (".e5", ".e5"), ("-", "-"), ("0x", "0x"), ("abc", "abc"), ("True", True),
    ],
)  # fmt: skip
def test_plain_scalars_resolve_as_go_yaml_v2_does(text: str, value: Any) -> None:
    got = resolve_plain(text)
    assert got == value
    assert type(got) is type(value)


def wire(text: str) -> Any:
    return wire_value(yaml.compose(textwrap.dedent(text), Loader=yaml.CSafeLoader))


def test_documents_are_built_as_kubectl_sends_them() -> None:
    doc = wire(
        """
        plain: y
        quoted: "y"
        block: |
          y
        explicit: !!str 5
        tagged: !!int "7"
        number: 1e3
        fraction: 1.5
        time: 12:30
        date: 2024-01-01
        5: int key
        3.14: float key
        1e6: big float key
        true: bool key
        base: &base {a: 1, b: 2}
        merged:
          <<: *base
          b: 3
        again: *base
        """
    )
    assert doc == {
        "plain": True,
        "quoted": "y",
        "block": "y\n",
        "explicit": "5",
        "tagged": 7,
        "number": 1000,  # json.Marshal writes 1000, not 1000.0
        "fraction": 1.5,
        "time": "12:30",
        "date": "2024-01-01",
        "5": "int key",
        "3.14": "float key",
        "1e+06": "big float key",
        "true": "bool key",
        "base": {"a": 1, "b": 2},
        "merged": {"a": 1, "b": 3},
        "again": {"a": 1, "b": 2},
    }
    assert type(doc["number"]) is int


@pytest.mark.parametrize("text", ["a: .nan", "a: -.inf", "? [1, 2]\n: x", "~: null key"])
def test_values_json_cannot_carry_are_refused(text: str) -> None:
    with pytest.raises(NotJson):
        wire(text)
    assert math.isnan(resolve_plain(".NaN"))


SCALARS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: scientific}
spec:
  replicas: 1e1
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      containers:
      - name: a
        image: registry.example.com/a:1.0
        env:
        - {name: CLOCK, value: 12:30}
        - {name: ANSWER, value: y}
        ports: [{containerPort: 0o17}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: keys}
data:
  5: integer key
  3.14: float key
  true: boolean key
  mode: 0644
---
apiVersion: v1
kind: LimitRange
metadata: {name: quantities}
spec:
  limits:
  - type: Container
    default: {memory: 512Mi}
    defaultRequest: {memory: 256000}
---
apiVersion: v1
kind: Service
metadata: {name: nulls, creationTimestamp: null}
spec:
  ports: [{name: "80", port: 80, targetPort: web}]
  selector: {app: a}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ranges}
spec:
  replicas: 2147483648
  revisionHistoryLimit: 2147483647
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      terminationGracePeriodSeconds: 9300000000000000000
      activeDeadlineSeconds: -9223372036854770000
      containers:
      - name: a
        image: registry.example.com/a:1.0
        args:
"""

EXPECTED = {
    # y is a boolean to kubectl: not a string
    (15, "spec.template.spec.containers[0].env[1].value", "schema/type"),
    # 0644 is the number 420: ConfigMap data are strings
    (25, "data.mode", "schema/type"),
    # int32 and int64 fields cannot hold numbers outside their range
    (47, "spec.replicas", "schema/constraint"),
    (53, "spec.template.spec.terminationGracePeriodSeconds", "schema/constraint"),
}
"""What kubeconform says (1e1 is 10, 12:30 a string, 0o17 is 15, integer/float/boolean keys are
strings, a quantity may be a number, null timestamps and null lists are fine)."""


def _found(findings: list[Any]) -> set[tuple[int | None, str | None, str | None]]:
    assert all(f.file == "scalars.yaml" for f in findings)
    return {(f.line, f.path, f.rule) for f in findings if f.severity == "error"}


def test_the_embedded_engine_judges_what_kubectl_would_send(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., list[Any]]
) -> None:
    findings = make_validator(engine="embedded").validate(yaml_docs(SCALARS, "scalars.yaml"))
    assert _found(findings) == EXPECTED


def test_workspace_documents_are_read_the_same_way(
    make_validator: Callable[..., Any], tmp_path: Path
) -> None:
    from kubesmith.workspace import Workspace

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "scalars.yaml").write_text(SCALARS)
    documents = Workspace.load(repo).documents
    assert _found(make_validator(engine="embedded").validate(documents)) == EXPECTED


def test_the_range_is_the_go_type_s(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., list[Any]]
) -> None:
    template = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec:\n  replicas: {}\n  selector: {{}}\n  template: {{}}\n"
    validator = make_validator(engine="embedded")
    for replicas, ok in (
        (2147483647, True),
        (2147483648, False),
        (-2147483648, True),
        (-2147483649, False),
    ):
        findings = validator.validate(yaml_docs(template.format(replicas)))
        assert (not [f for f in findings if f.path == "spec.replicas"]) is ok, replicas


@pytest.mark.integration
def test_kubeconform_agrees_on_every_file_path(
    make_validator: Callable[..., Any],
    kubeconform_bin: Path,
    yaml_docs: Callable[..., list[Any]],
    tmp_path: Path,
) -> None:
    """The real kubeconform on the file itself, and on the documents kubesmith built."""
    path = tmp_path / "scalars.yaml"
    path.write_text(SCALARS)
    kubeconform = make_validator(engine="kubeconform", kubeconform=kubeconform_bin)
    assert _found(kubeconform.validate_files([("scalars.yaml", path, False)])) == EXPECTED
    fresh = make_validator(engine="kubeconform", kubeconform=kubeconform_bin)
    assert _found(fresh.validate(yaml_docs(SCALARS, "scalars.yaml"))) == EXPECTED
