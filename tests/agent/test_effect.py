"""Effect proof: every proposal is checked against what is deployed — each affected overlay
rendered with the real kustomize before and after — and blocked when an edit does not show."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubesmith.agent.loop import open_agent
from kubesmith.cli.main import cli
from kubesmith.model import ChangeSet, ResourceRef, SetField
from kubesmith.tools.binaries.cache import tool_path
from tests.conftest import git

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _needs_kustomize() -> None:
    if tool_path("kustomize") is None:
        pytest.skip("kustomize is not built; run `kubesmith tools install`")


def deployment(name: str, replicas: int = 1, memory: str = "128Mi") -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: {name}
          image: registry.example.com/{name}:1.0
          resources:
            limits:
              memory: {memory}
"""


def replicas_patch(name: str, n: int) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
        f"spec:\n  replicas: {n}\n"
    )


BASE = {
    "base/kustomization.yaml": "resources:\n  - cart.yaml\n",
    "base/cart.yaml": deployment("cart", 2),
}

TWO_PATCHES = {
    **BASE,
    "overlays/prod/kustomization.yaml": (
        "resources:\n  - ../../base\npatches:\n  - path: first.yaml\n  - path: second.yaml\n"
    ),
    "overlays/prod/first.yaml": replicas_patch("cart", 3),
    "overlays/prod/second.yaml": replicas_patch("cart", 5),
}


def test_an_edit_a_later_patch_overrides_is_blocked_naming_the_winner(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo(TWO_PATCHES)
    agent = open_agent(repo, planner="offline")
    base = agent.load_base()
    ref = ResourceRef("apps/v1", "Deployment", "cart")
    plan = ChangeSet(
        "cart to 4 in prod", (SetField(ref, "spec.replicas", 4, "overlays/prod/first.yaml"),)
    )
    changes, findings = agent.check(base, plan)
    effect = [f for f in findings if f.validator == "effect"]
    assert [(f.severity, f.file, f.line) for f in effect] == [
        ("error", "overlays/prod/second.yaml", 6)
    ]
    assert "overlays/prod/first.yaml" in effect[0].message and "5" in effect[0].message
    assert changes  # the edit itself applied fine: only its effect is missing


def test_the_offline_planner_edits_the_patch_that_wins(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(TWO_PATCHES)
    p = open_agent(repo, planner="offline").propose("scale cart to 4 in prod", open_pr=False)
    assert not p.blocked, p.findings
    assert [c.file for c in p.changes] == ["overlays/prod/second.yaml"]
    assert p.rendered_diff == ("# overlays/prod\n  Deployment/cart spec.replicas: 5 → 4")


def test_force_publishes_an_unproven_effect_and_says_so(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(TWO_PATCHES)
    agent = open_agent(repo, planner="offline")
    base = agent.load_base()
    ref = ResourceRef("apps/v1", "Deployment", "cart")
    plan = ChangeSet("x", (SetField(ref, "spec.replicas", 4, "overlays/prod/first.yaml"),))
    changes, findings = agent.check(base, plan)
    blocked = agent.publish(base, "cart to 4 in prod", plan, changes, findings, open_pr=False)
    assert blocked.branch is None
    forced = agent.publish(
        base, "cart to 4 in prod", plan, changes, findings, open_pr=False, force=True
    )
    assert forced.branch is not None and forced.blocked
    from kubesmith.tools.forges.body import pr_title

    assert pr_title(forced).startswith("[unproven effect]")


COMPONENT = {
    **BASE,
    "components/small/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        "patches:\n  - path: memory.yaml\n"
    ),
    "components/small/memory.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
spec:
  template:
    spec:
      containers:
        - name: cart
          resources:
            limits:
              memory: 64Mi
""",
    "overlays/dev/kustomization.yaml": (
        "resources:\n  - ../../base\ncomponents:\n  - ../../components/small\n"
    ),
}


def test_a_base_edit_a_component_overrides_everywhere_is_an_error(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo(COMPONENT)
    p = open_agent(repo, planner="offline").propose(
        "set the memory limit of cart to 512Mi", open_pr=False
    )
    effect = [f for f in p.findings if f.validator == "effect"]
    assert p.blocked and p.branch is None
    assert [(f.severity, f.file, f.line) for f in effect] == [
        ("error", "components/small/memory.yaml", 12)
    ]


def test_a_generator_that_replaces_a_base_value_is_named(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({
        "base/kustomization.yaml": "resources:\n  - config.yaml\n",
        "base/config.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n"
            "data:\n  LOG_LEVEL: info\n"
        ),
        "overlays/prod/kustomization.yaml": (
            "resources:\n  - ../../base\nconfigMapGenerator:\n  - name: app-config\n"
            "    behavior: merge\n    literals:\n      - LOG_LEVEL=error\n"
            "generatorOptions:\n  disableNameSuffixHash: true\n"
        ),
    })  # fmt: skip
    agent = open_agent(repo, planner="offline")
    base = agent.load_base()
    ref = ResourceRef("v1", "ConfigMap", "app-config")
    plan = ChangeSet("x", (SetField(ref, "data.LOG_LEVEL", "warn", "base/config.yaml"),))
    _, findings = agent.check(base, plan)
    effect = [f for f in findings if f.validator == "effect"]
    assert [f.severity for f in effect] == ["error"]
    assert "overlays/prod/kustomization.yaml" in effect[0].message


def test_several_apps_and_overlays_render_only_what_the_change_reaches(
    make_repo: Callable[..., Path],
) -> None:
    files: dict[str, str] = {}
    for app in ("cart", "shop"):
        files[f"apps/{app}/base/kustomization.yaml"] = f"resources:\n  - {app}.yaml\n"
        files[f"apps/{app}/base/{app}.yaml"] = deployment(app, 1)
        for env in ("staging", "prod"):
            files[f"apps/{app}/overlays/{env}/kustomization.yaml"] = (
                f"namespace: {env}\nresources:\n  - ../../base\n"
            )
    files["apps/cart/overlays/prod/kustomization.yaml"] += "patches:\n  - path: r.yaml\n"
    files["apps/cart/overlays/prod/r.yaml"] = replicas_patch("cart", 6)
    repo = make_repo(files)
    p = open_agent(repo, planner="offline").propose("scale cart to 3", open_pr=False)
    # The base edit shows in staging; prod keeps its own 6 (a warning naming the patch).
    assert not p.blocked
    assert (
        p.rendered_diff
        == "# apps/cart/overlays/staging\n  Deployment/cart (namespace staging) spec.replicas: 1 → 3"
    )
    warning = next(f for f in p.findings if f.validator == "effect")
    assert (warning.severity, warning.file, warning.line) == (
        "warning",
        "apps/cart/overlays/prod/r.yaml",
        6,
    )


def test_plain_files_and_the_rendered_diff_in_json(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"cart.yaml": deployment("cart", 1)})
    result = CliRunner().invoke(
        cli,
        ["propose", "scale cart to 3", "--repo", str(repo), "--planner", "offline", "--no-pr",
         "-o", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rendered_diff"] == "# cart.yaml\n  Deployment/cart spec.replicas: 1 → 3"
    assert git(repo, "status", "--porcelain") == ""


def test_a_rendered_change_no_edit_explains_is_an_error() -> None:
    # The judge alone (no kustomize): a replacement or transformer changed another object.
    from kubesmith.agent.effect import judge
    from kubesmith.agent.effect_render import Deployed, Environment, Source
    from kubesmith.model import Change

    class Doc:
        def __init__(self, obj: dict[str, object]) -> None:
            self.obj, self.line = obj, 1

        def line_of(self, _: object) -> int:
            return 1

    def env(cm: str, app_env: str) -> Environment:
        cm_obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                  "data": {"A": cm}}  # fmt: skip
        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
               "spec": {"note": app_env}}  # fmt: skip
        return Environment("overlays/prod", ("overlays/prod/kustomization.yaml",), (
            Deployed("overlays/prod", ("ConfigMap", "", "c"), cm_obj,
                     (Source("base/c.yaml", "ConfigMap", "c", Doc(cm_obj)),)),
            Deployed("overlays/prod", ("Deployment", "", "d"), dep,
                     (Source("base/d.yaml", "Deployment", "d", Doc(dep)),)),
        ))  # fmt: skip

    change = Change("base/c.yaml", ResourceRef("v1", "ConfigMap", "c"), "set", "data.A", "1", "2")
    explained = judge(
        [change], {"overlays/prod": env("1", "x")}, {"overlays/prod": env("2", "x")}, set()
    )
    assert explained.findings == ()
    assert explained.rendered_diff == '# overlays/prod\n  ConfigMap/c data.A: "1" → "2"'
    more = judge(
        [change], {"overlays/prod": env("1", "x")}, {"overlays/prod": env("2", "y")}, set()
    )
    assert [(f.severity, f.rule) for f in more.findings] == [("error", "unexplained")]
    assert "Deployment/d spec.note" in more.findings[0].message
    missing = judge(
        [change], {"overlays/prod": env("1", "x")}, {"overlays/prod": env("1", "x")}, set()
    )
    assert [(f.severity, f.rule) for f in missing.findings] == [("error", "not-shown")]
