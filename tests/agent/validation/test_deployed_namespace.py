"""Policies judge a resource as deployed: a base resource the overlays put in ``shop-prod`` and
``shop-staging`` is not "in the default namespace" (about 45 such warnings on the example
repository before), while a resource that really lands there still is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.agent.validation.conftest import needs_kustomize, validate_json

RULE = "best-practices-no-default-namespace/0"
LONE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: lone
spec:
  selector:
    matchLabels: {app: lone}
  template:
    metadata:
      labels: {app: lone}
    spec:
      containers:
        - name: lone
          image: nginx:1.27
"""


@pytest.mark.integration
@needs_kustomize
def test_the_example_repository_has_no_default_namespace_warnings(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (example_repo / "tools").mkdir()
    (example_repo / "tools" / "lone.yaml").write_text(LONE)
    monkeypatch.chdir(example_repo)
    run = validate_json("--policies", "best-practices")
    flagged = {f["file"] for f in run.findings if f["rule"] == RULE}
    assert flagged == {"tools/lone.yaml"}
    payments = [f for f in run.findings if f["file"] == "base/payments.yaml" and f["ref"]]
    assert payments and {f["ref"]["namespace"] for f in payments} <= {"shop-prod", "shop-staging"}


@pytest.mark.slow
def test_a_base_deployed_by_one_namespaced_build_is_judged_there(
    make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without kustomize, the file is validated as written, in the namespace its build gives.
    repo = make_repo(
        {
            "base/lone.yaml": LONE,
            "base/kustomization.yaml": "resources:\n  - lone.yaml\n",
            "env/kustomization.yaml": "namespace: team\nresources:\n  - ../base\n",
        }
    )
    monkeypatch.chdir(repo)
    run = validate_json("base/lone.yaml", "--policies", "best-practices")
    assert not [f for f in run.findings if f["rule"] == RULE], run.text
