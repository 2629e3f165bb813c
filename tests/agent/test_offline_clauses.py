"""No clause dropped: every clause of an intent is planned, or the intent is not understood
(exit 2, nothing written); several environments with several values in one sentence work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubesmith.agent.loop import Agent
from kubesmith.agent.offline import OfflinePlanner
from kubesmith.config import Settings
from kubesmith.errors import IntentNotUnderstood, ReferenceError_, UsageError
from kubesmith.model import ChangeSet, SetField
from kubesmith.workspace import Workspace

MEMORY = "spec.template.spec.containers[name=cart].resources.limits.memory"


def edits(ws: Workspace, intent: str) -> list[tuple[str, str, Any]]:
    plan = OfflinePlanner().plan(intent, ws)
    return [(e.file or "", e.path, e.value) for e in plan.edits if isinstance(e, SetField)]


def test_two_environments_with_two_values_in_one_sentence(shop: Workspace) -> None:
    assert edits(shop, "set checkout replicas to 2 in staging and 3 in production") == [
        ("overlays/staging/checkout-patch.yaml", "spec.replicas", 2),
        ("overlays/prod/checkout-patch.yaml", "spec.replicas", 3),
    ]
    assert edits(shop, "scale checkout to 2 in staging and to 5 in prod") == [
        ("overlays/staging/checkout-patch.yaml", "spec.replicas", 2),
        ("overlays/prod/checkout-patch.yaml", "spec.replicas", 5),
    ]


@pytest.mark.parametrize(
    "intent",
    ["scale cart to 3 and frobnicate the cart", "scale cart to 3, then frobnicate it gently"],
)
def test_unknown_words_are_not_dropped(shop: Workspace, intent: str) -> None:
    with pytest.raises(IntentNotUnderstood, match="frobnicate"):
        OfflinePlanner().plan(intent, shop)


def test_a_clause_that_only_adds_parameters_still_joins_the_previous(shop: Workspace) -> None:
    plan = OfflinePlanner().plan("create a pdb for checkout, max unavailable 1", shop)
    assert plan.edits


def test_values_are_not_cut_at_a_hash(shop: Workspace) -> None:
    with pytest.raises(UsageError, match="'x#y' is not a valid label value"):
        OfflinePlanner().plan("add label team=x#y to cart", shop)
    assert edits(shop, "annotate cart with note=a#b") == [
        ("base/cart/deployment.yaml", "metadata.annotations.note", "a#b")
    ]


def test_an_environment_given_as_a_folder_is_that_overlay(shop: Workspace) -> None:
    expected = [("overlays/prod/checkout-patch.yaml", "spec.replicas", 2)]
    assert edits(shop, "scale checkout to 2 in ../overlays/prod") == expected
    assert edits(shop, "scale checkout to 2 in overlays/prod/") == expected
    with pytest.raises(ReferenceError_, match="no kustomization in 'overlays/qa'"):
        OfflinePlanner().plan("scale checkout to 2 in overlays/qa", shop)


@pytest.mark.parametrize(
    "intent", ["scale checkout to 2147483648", "set checkout replicas to 99999999999"]
)
def test_values_beyond_int32_are_refused(shop: Workspace, intent: str) -> None:
    with pytest.raises(UsageError, match="32-bit integer"):
        OfflinePlanner().plan(intent, shop)


class _Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.intents: list[str] = []

    def plan(self, intent: str, workspace: Any, **_: Any) -> ChangeSet:
        self.intents.append(intent)
        raise UsageError("recorded")


def test_propose_keeps_lines_apart(make_repo: Any) -> None:
    repo = make_repo({"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"})
    planner = _Recorder()
    agent = Agent(repo=repo, settings=Settings(), planner=planner)
    with pytest.raises(UsageError):
        agent.propose("  scale checkout   to 3\n\n set the memory limit of cart to 256Mi  \n")
    assert planner.intents == ["scale checkout to 3\nset the memory limit of cart to 256Mi"]


def test_a_two_line_intent_is_two_requests(shop: Workspace) -> None:
    assert edits(shop, "scale checkout to 3\nset the memory limit of cart to 256Mi") == [
        ("base/checkout.yaml", "spec.replicas", 3),
        ("base/cart/deployment.yaml", MEMORY, "256Mi"),
    ]


def test_a_custom_resource_is_named_by_its_crd_kind(tmp_path: Path) -> None:
    crd = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true}]
"""
    widget = (
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gizmo\nspec:\n  size: 3\n"
    )
    (tmp_path / "crd.yaml").write_text(crd)
    (tmp_path / "widget.yaml").write_text(widget)
    ws = Workspace.load(tmp_path)
    for ref in ("widget/gizmo", "Widget/gizmo", "wd/gizmo", "widgets/gizmo"):
        assert edits(ws, f"set spec.size of {ref} to 5") == [("widget.yaml", "spec.size", 5)]


@pytest.mark.parametrize(
    ("intent", "path", "value"),
    [
        ("quadruple cart", "spec.replicas", 8),
        ("roll cart to 1.4.0", "spec.template.spec.containers[name=cart].image", None),
        ("switch cart from 1.0 to 1.4.0", "spec.template.spec.containers[name=cart].image", None),
    ],
)
def test_verbs_people_use(shop: Workspace, intent: str, path: str, value: Any) -> None:
    ((file, got_path, got),) = edits(shop, intent)
    assert (file, got_path) == ("base/cart/deployment.yaml", path)
    assert got == value if value is not None else str(got).endswith(":1.4.0")


def test_a_service_type_change_edits_the_existing_service(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n"
        "      labels: {app: web}\n    spec:\n      containers:\n"
        "        - {name: web, image: nginx, ports: [{containerPort: 8080}]}\n"
    )
    (tmp_path / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n"
        "  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n"
    )
    ws = Workspace.load(tmp_path)
    for intent in (
        "make the web service a LoadBalancer instead of NodePort",
        "expose web as a LoadBalancer",
    ):
        plan = OfflinePlanner().plan(intent, ws)
        assert [(type(e).__name__, e.file, getattr(e, "path", None)) for e in plan.edits] == [
            ("SetField", "svc.yaml", "spec.type")
        ]


def test_the_env_var_named_before_env_var_of(shop: Workspace) -> None:
    # It made an env var named "of" (exit 0).
    assert edits(shop, "set the LOG_LEVEL env var of cart to debug") == [
        (
            "base/cart/deployment.yaml",
            "spec.template.spec.containers[name=cart].env[name=LOG_LEVEL].value",
            "debug",
        )
    ]


def test_cap_means_a_limit(shop: Workspace) -> None:
    # It set the request (exit 0).
    assert edits(shop, "scale cart to 3 and cap its memory at 1Gi") == [
        ("base/cart/deployment.yaml", "spec.replicas", 3),
        ("base/cart/deployment.yaml", MEMORY, "1Gi"),
    ]
