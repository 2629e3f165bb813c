"""SchemaValidator with the embedded engine: findings, lines, bad input, skips, verdict cache."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from kubesmith.model import Finding
from kubesmith.tools.schema.located import LocatedDocument
from kubesmith.tools.validator import Validator

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          {extra}
"""


def deployment(replicas: str = "2", extra: str = "imagePullPolicy: Always") -> str:
    return DEPLOYMENT.format(replicas=replicas, extra=extra)


def by_severity(findings: list[Finding], severity: str) -> list[Finding]:
    return [f for f in findings if f.severity == severity]


def test_it_is_a_validator(make_validator: Callable[..., Any]) -> None:
    v = make_validator()
    assert isinstance(v, Validator)
    assert v.name == "schema"


def test_a_valid_deployment_has_no_findings(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any]
) -> None:
    assert make_validator().validate(yaml_docs(deployment())) == []


def test_wrong_type_points_at_its_line(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any]
) -> None:
    [f] = make_validator().validate(yaml_docs(deployment(replicas='"three"'), file="web.yaml"))
    assert (f.severity, f.file, f.line, f.path, f.rule) == (
        "error",
        "web.yaml",
        6,
        "spec.replicas",
        "schema/type",
    )
    assert str(f.ref) == "Deployment/web"


def test_unknown_field_is_an_error_only_when_strict(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any]
) -> None:
    typo = yaml_docs(deployment(extra="imagePullPolicyy: Always"))
    [f] = make_validator().validate(typo)
    assert f.path == "spec.template.spec.containers[0].imagePullPolicyy"
    assert f.line == 16
    assert f.rule == "schema/unknown-field"
    assert make_validator(strict=False).validate(typo) == []


def test_duplicate_keys_are_errors_when_strict(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any]
) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\ndata: {k: v}\n"
    [f] = make_validator().validate(yaml_docs(text))
    assert (f.severity, f.line, f.path, f.rule) == (
        "error",
        5,
        "metadata.name",
        "schema/duplicate-key",
    )
    assert make_validator(strict=False).validate(yaml_docs(text)) == []


def test_missing_api_version_or_kind(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any]
) -> None:
    findings = make_validator().validate(
        yaml_docs("kind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {}\n")
    )
    assert [(f.severity, f.message, f.line) for f in findings] == [
        ("error", "apiVersion is missing", 1),
        ("error", "kind is missing", 4),
    ]


def test_unknown_kind_is_a_warning_not_a_pass(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any]
) -> None:
    [f] = make_validator().validate(
        yaml_docs("apiVersion: v1\nkind: Gadget\nmetadata: {name: g}\n")
    )
    assert (f.severity, f.rule) == ("warning", "schema/no-schema")


def test_skips_are_notes_not_errors(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any]
) -> None:
    v = make_validator()
    patch = yaml_docs(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n",
        file="overlays/prod/patch.yaml",
        is_patch=True,
    )
    kustomization = yaml_docs("resources: [a.yaml]\n", file="base/kustomization.yaml")
    values = yaml_docs("replicaCount: 2\nimage: {tag: x}\n", file="values.yaml")
    empty = yaml_docs("---\n---\n", file="empty.yaml")
    findings = v.validate([*patch, *kustomization, *values, *empty])
    assert [(f.file, f.severity, f.rule) for f in findings] == [
        ("overlays/prod/patch.yaml", "info", "schema/skipped"),
        ("base/kustomization.yaml", "info", "schema/skipped"),
        ("values.yaml", "info", "schema/skipped"),
    ]


def test_alias_bomb_is_refused_quickly(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any]
) -> None:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: bomb}", "a0: &a0 [x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 20)]
    # The file readers refuse it before building a value (kubesmith.reading); a library caller
    # may still hand over data yaml.safe_load built, aliases shared: the validator checks too.
    obj = yaml.safe_load("\n".join(lines) + "\n")
    started = time.perf_counter()
    [f] = make_validator().validate([LocatedDocument("app.yaml", 0, None, obj)])
    assert time.perf_counter() - started < 30  # bounded: it is never expanded
    assert f.severity == "error"
    assert "alias bomb" in f.message


def test_verdicts_are_cached_by_content(
    make_validator: Callable[..., Any],
    yaml_docs: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    v = make_validator()
    first = v.validate(yaml_docs(deployment(replicas='"three"')))
    engine_calls: list[int] = []
    real_check = v.check

    def counting(objs: Any) -> Any:
        engine_calls.append(len(objs))
        return real_check(objs)

    monkeypatch.setattr(v, "check", counting)
    again = v.validate(yaml_docs(deployment(replicas='"three"')))
    assert again == first
    assert engine_calls == [0]
    v.validate(yaml_docs(deployment(replicas="4")))
    assert engine_calls == [0, 1]
    stricter = make_validator(strict=False)
    stricter.cache.path = v.cache.path
    monkeypatch.setattr(stricter, "check", counting)
    stricter.validate(yaml_docs(deployment(replicas="4")))
    assert engine_calls == [0, 1, 1]  # strictness is part of the key


def test_findings_use_the_workspace_document(
    make_validator: Callable[..., Any], make_repo: Callable[..., Any]
) -> None:
    workspace = pytest.importorskip("kubesmith.workspace")
    repo = make_repo(files={"web.yaml": deployment(replicas='"three"').lstrip("\n")})
    ws = workspace.Workspace.load(repo)
    [f] = make_validator().validate(ws.documents)
    assert (f.file, f.line, f.path) == ("web.yaml", 6, "spec.replicas")


def test_prepare_learns_the_workspace_crds(
    make_validator: Callable[..., Any], make_repo: Callable[..., Any]
) -> None:
    workspace = pytest.importorskip("kubesmith.workspace")
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: gadgets.example.com}\nspec:\n  group: example.com\n"
        "  names: {kind: Gadget, plural: gadgets}\n  scope: Namespaced\n  versions:\n"
        "    - name: v1\n      served: true\n      storage: true\n      schema:\n"
        "        openAPIV3Schema:\n          type: object\n          properties:\n"
        "            spec: {type: object, properties: {size: {type: integer}}}\n"
    )
    gadget = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: big}\n"
    repo = make_repo(files={"crds/gadget.yaml": crd, "apps/g.yaml": gadget})
    ws = workspace.Workspace.load(repo)
    v = make_validator()
    v.prepare(ws)
    touched = ws.find(kind="Gadget")
    [f] = v.validate(touched)
    assert (f.file, f.line, f.path, f.severity) == ("apps/g.yaml", 4, "spec.size", "error")


def test_an_unusable_cache_only_makes_validation_uncached(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any], tmp_path: Any
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    v = make_validator()
    v.cache.path = blocker / "verdicts.sqlite3"
    [f] = v.validate(yaml_docs(deployment(replicas='"three"')))
    assert f.path == "spec.replicas"
    assert v.validate(yaml_docs(deployment(replicas='"three"'))) == [f]
