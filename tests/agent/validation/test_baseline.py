""" "Already there" is decided by identity — validator, resource, field path, rule — never by
line: deleting a document must not make the findings of the documents below it new."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.agent.validation import identity, mark_preexisting
from kubesmith.bot.validation import validate_checkout
from kubesmith.config import Settings
from kubesmith.model import Finding, ResourceRef
from tests.agent.validation.conftest import pull_request, validate_json

FIRST = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n  namespace: a\ndata:\n  a: b\n"
BROKEN = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: a
spec:
  replicas: three
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""
SETTINGS = Settings.model_validate({"policy": {"enabled": False}})
WEB = ResourceRef("apps/v1", "Deployment", "web", "a")


def test_identity_is_validator_resource_path_and_rule_never_the_line() -> None:
    f = Finding("schema", "error", "got string", "a.yaml", 7, WEB, "spec.replicas", "schema/type")
    moved = Finding(
        "schema", "error", "got string", "b.yaml", 1, WEB, "spec.replicas", "schema/type"
    )
    assert identity(f) == identity(moved)
    other_rule = Finding("policy", "error", "got string", "a.yaml", 7, WEB, "spec.replicas", "x")
    assert identity(other_rule) != identity(f)
    # Without a rule the message says what it is; without a resource, the file.
    bare = Finding("files", "error", "cannot read", "a.yaml", 3)
    assert identity(bare) != identity(Finding("files", "error", "cannot read", "c.yaml", 3))
    assert identity(bare) != identity(Finding("files", "error", "other", "a.yaml", 3))
    (marked,) = mark_preexisting([f], [moved])
    assert marked.preexisting and marked.severity == "warning"


@pytest.mark.slow
def test_the_bot_keeps_old_findings_old_when_a_document_above_them_goes(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo({"apps.yaml": FIRST + "---\n" + BROKEN})
    co = pull_request(repo, {"apps.yaml": BROKEN})
    verdict = validate_checkout(co, SETTINGS)
    (finding,) = [f for f in verdict.findings if f.rule == "schema/type"]
    assert finding.line == 7  # it moved up eight lines
    assert finding.preexisting and finding.severity == "warning"


@pytest.mark.slow
def test_validate_with_a_base_marks_what_the_base_had(
    make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo({"apps.yaml": FIRST + "---\n" + BROKEN})
    (repo / "apps.yaml").write_text(BROKEN.replace("nginx:1.27", "nginx:1.27\n          bogus: 1"))
    monkeypatch.chdir(repo)
    without = validate_json("--policies", "none")
    assert without.exit_code == 1
    run = validate_json("--policies", "none", "--base", "main")
    assert run.exit_code == 1  # the unknown field is new
    by_rule = {f["rule"]: f for f in run.findings}
    assert by_rule["schema/type"]["preexisting"] and by_rule["schema/type"]["severity"] == "warning"
    assert by_rule["schema/unknown-field"]["severity"] == "error"
    assert not by_rule["schema/unknown-field"]["preexisting"]
