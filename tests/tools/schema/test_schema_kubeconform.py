"""The kubeconform engine with the real binary: offline, batched, failures never pass."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kubesmith.model import Finding

pytestmark = pytest.mark.integration

BROKEN = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: "three"
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx
          imagePullPolicyy: Always
          resources:
            limits: {cpu: [1]}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  name: settings-2
data:
  retries: 3
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{port: 80, targetPort: http}]
"""


def summary(findings: list[Finding]) -> list[tuple[str, int | None, str | None, str | None]]:
    return sorted((f.severity, f.line, f.path, f.rule) for f in findings)


def test_kubeconform_and_embedded_agree_on_bad_input(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any], kubeconform_bin: Path
) -> None:
    documents = yaml_docs(BROKEN)
    kc = make_validator(engine="kubeconform", kubeconform=kubeconform_bin)
    assert kc.engine == "kubeconform"
    by_kubeconform = kc.validate(documents)
    by_embedded = make_validator(engine="embedded").validate(documents)
    assert summary(by_kubeconform) == summary(by_embedded)
    assert summary(by_kubeconform) == [
        ("error", 6, "spec.replicas", "schema/type"),
        ("error", 16, "spec.template.spec.containers[0].imagePullPolicyy", "schema/unknown-field"),
        ("error", 18, "spec.template.spec.containers[0].resources.limits.cpu", "schema/one-of"),
        ("error", 24, "metadata.name", "schema/duplicate-key"),
        ("error", 26, "data.retries", "schema/type"),
        ("warning", 28, None, "schema/no-schema"),
    ]


def test_kubeconform_is_only_given_local_schema_locations(
    make_validator: Callable[..., Any], kubeconform_bin: Path
) -> None:
    run = make_validator(engine="kubeconform", kubeconform=kubeconform_bin).kubeconform_run()
    cmd = run.command(["x.yaml"])
    locations = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-schema-location"]
    assert locations
    for loc in locations:
        assert loc.startswith("/")
        assert "://" not in loc
    assert "default" not in cmd


def test_a_poisoned_proxy_changes_nothing(
    make_validator: Callable[..., Any],
    yaml_docs: Callable[..., Any],
    kubeconform_bin: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    findings = make_validator(engine="kubeconform", kubeconform=kubeconform_bin).validate(
        yaml_docs(BROKEN)
    )
    assert not [f for f in findings if f.rule == "schema/engine-failure"]
    assert ("warning", "schema/no-schema") in {(f.severity, f.rule) for f in findings}


def _fake_binary(tmp_path: Path, script: str) -> Path:
    path = tmp_path / "kubeconform"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("echo 'panic: boom' >&2; exit 2", "exit code 2"),
        ("echo 'not json'; exit 1", "unreadable output"),
        ("sleep 5", "timed out"),
    ],
)
def test_a_crash_or_timeout_is_an_error_finding(
    make_validator: Callable[..., Any],
    yaml_docs: Callable[..., Any],
    tmp_path: Path,
    script: str,
    expected: str,
) -> None:
    v = make_validator(engine="kubeconform", kubeconform=_fake_binary(tmp_path, script))
    v.timeout_s = 0.5
    findings = v.validate(yaml_docs(BROKEN))
    failures = [f for f in findings if f.rule == "schema/engine-failure"]
    assert len(failures) == 4  # every document of the batch, none passes
    assert all(f.severity == "error" and expected in f.message for f in failures)
    assert not v.cache.get_many([]), "failures are never cached"


def test_many_documents_in_one_process(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any], kubeconform_bin: Path
) -> None:
    text = "\n---\n".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: same}}\ndata: {{n: {i}}}"
        for i in range(30)
    )
    findings = make_validator(engine="kubeconform", kubeconform=kubeconform_bin).validate(
        yaml_docs(text)
    )
    # every document has the same signature; each still gets its own verdict and line
    assert sorted(f.line for f in findings) == [5 * i + 4 for i in range(30)]


def test_unquoted_timestamps_are_strings_for_both_engines(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any], kubeconform_bin: Path
) -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n"
        "  annotations: {created: 2024-01-01, at: 2024-01-01T10:00:00Z}\n"
        "data: {day: 2024-01-02, flag: yes}\n"
    )
    for engine in ("kubeconform", "embedded"):
        v = make_validator(engine=engine, kubeconform=kubeconform_bin)
        findings = v.validate(yaml_docs(text))
        assert [(f.line, f.path) for f in findings] == [(6, "data.flag")], engine


def test_the_file_fast_path_finds_what_the_library_finds(
    make_validator: Callable[..., Any], tmp_path: Path, kubeconform_bin: Path
) -> None:
    from kubesmith.tools.schema.located import parse_documents

    texts = {
        "broken.yaml": BROKEN.lstrip("\n"),
        "kustomize-named-otherwise.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\nresources: [broken.yaml]\n",
        "values.yaml": "replicaCount: 2\n",
        "twice.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: 1}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: 2}\n",
    }
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    files = [(name, tmp_path / name, False) for name in texts]
    fast = make_validator(engine="kubeconform", kubeconform=kubeconform_bin).validate_files(files)
    docs = [d for name, text in texts.items() for d in parse_documents(text, name)]
    library = make_validator(engine="kubeconform", kubeconform=kubeconform_bin).validate(docs)
    assert summary(fast) == summary(library)
    assert {(f.file, f.line) for f in fast if f.file == "twice.yaml"} == {
        ("twice.yaml", 4),
        ("twice.yaml", 9),
    }


LIST = """apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: a}
    data: {k: 1}
  - apiVersion: v1
    kind: Service
    metadata: {name: s}
    spec:
      ports: [{port: eighty}]
  - 7
"""


def test_list_items_are_validated_one_by_one(
    make_validator: Callable[..., Any], tmp_path: Path, kubeconform_bin: Path
) -> None:
    from kubesmith.tools.schema.located import parse_documents

    (tmp_path / "list.yaml").write_text(LIST)
    expected = [
        ("error", 7, "data.k", "schema/type"),
        ("error", 12, "spec.ports[0].port", "schema/type"),
        ("error", 13, None, "schema/invalid-document"),
    ]
    for engine in ("kubeconform", "embedded"):
        v = make_validator(engine=engine, kubeconform=kubeconform_bin)
        assert summary(v.validate(parse_documents(LIST, "list.yaml"))) == expected, engine
        fast = make_validator(engine=engine, kubeconform=kubeconform_bin)
        assert summary(fast.validate_files([("list.yaml", tmp_path / "list.yaml", False)])) == (
            expected
        ), engine


def test_names_kubeconform_reads_differently_are_still_matched(
    make_validator: Callable[..., Any], yaml_docs: Callable[..., Any], kubeconform_bin: Path
) -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 12}\ndata: {k: v}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: cm-}\ndata: {k: 1}\n"
    )
    v = make_validator(engine="kubeconform", kubeconform=kubeconform_bin)
    assert summary(v.validate(yaml_docs(text))) == [
        ("error", 3, "metadata.name", "schema/type"),
        ("error", 9, "data.k", "schema/type"),
    ]
