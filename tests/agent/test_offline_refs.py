"""How the OfflinePlanner finds what an intent names, and how it refuses when it cannot."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.agent.offline import OfflinePlanner
from kubesmith.errors import ReferenceError_
from kubesmith.model import SetField
from kubesmith.workspace import Workspace


def targets(ws: Workspace, intent: str) -> list[str]:
    """``Kind/name@file`` of every edited document, in order, without repeats."""
    cs = OfflinePlanner().plan(intent, ws)
    out: list[str] = []
    for e in cs.edits:
        assert isinstance(e, SetField)
        key = f"{e.ref.kind}/{e.ref.name}@{e.file}"
        if key not in out:
            out.append(key)
    return out


DEP_CHECKOUT = "Deployment/checkout@base/checkout.yaml"


@pytest.mark.parametrize(
    "intent",
    [
        "scale checkout to 3",
        "scale Checkout to 3",
        "scale the checkout deployment to 3",
        "scale deployment checkout to 3",
        "scale deployment/checkout to 3",
        "scale deploy/checkout to 3",
        "set checkout's replicas to 3",
        "please scale the checkout app to 3",
        "scale base/checkout.yaml to 3",
        "scale checkout.yaml to 3",
        "scale ./base/checkout.yaml to 3",
    ],
)
def test_one_resource_many_ways(shop: Workspace, intent: str) -> None:
    assert targets(shop, intent) == [DEP_CHECKOUT]


@pytest.mark.parametrize(
    "intent",
    [
        "scale all backend deployments to 5",
        "scale every backend deployment to 5",
        "scale backend deployments to 5",
        "scale tier=backend deployments to 5",
        "scale all deployments with tier=backend to 5",
    ],
)
def test_label_selection(shop: Workspace, intent: str) -> None:
    assert sorted(targets(shop, intent)) == [
        "Deployment/cart@base/cart/deployment.yaml",
        "Deployment/catalog@base/catalog.yaml",
        DEP_CHECKOUT,
        "Deployment/payments@base/payments.yaml",
    ]


def test_label_value_without_kind_keeps_the_kinds_the_change_applies_to(shop: Workspace) -> None:
    assert sorted(targets(shop, "add label team=web to all frontend workloads")) == [
        "Deployment/frontend@base/frontend/deployment.yaml",
    ]


def test_several_names(shop: Workspace) -> None:
    assert targets(shop, "scale checkout, cart and payments to 3") == [
        DEP_CHECKOUT,
        "Deployment/cart@base/cart/deployment.yaml",
        "Deployment/payments@base/payments.yaml",
    ]


def test_words_joined_into_a_hyphenated_name(shop: Workspace) -> None:
    assert targets(shop, "add label team=carts to cart cleanup") == [
        "CronJob/cart-cleanup@base/cart-cleanup-cronjob.yaml"
    ]


def test_labels_prefer_the_workload_unless_the_kind_is_named(shop: Workspace) -> None:
    assert targets(shop, "add label team=x to checkout") == [DEP_CHECKOUT]
    assert targets(shop, "add label team=x to the checkout service") == [
        "Service/checkout@base/checkout.yaml"
    ]
    assert targets(shop, "add label team=x to svc/checkout") == [
        "Service/checkout@base/checkout.yaml"
    ]


def test_its_refers_to_the_previous_target(shop: Workspace) -> None:
    assert targets(shop, "scale cart to 3 and set its memory limit to 1Gi") == [
        "Deployment/cart@base/cart/deployment.yaml"
    ]


def test_no_match_suggests_close_names(shop: Workspace) -> None:
    with pytest.raises(ReferenceError_) as info:
        OfflinePlanner().plan("scale chekout to 3", shop)
    assert "did you mean checkout" in str(info.value)
    assert info.value.candidates == ("checkout",)
    assert info.value.reference == "chekout"


def test_a_misspelt_name_next_to_a_good_one_is_not_ignored(shop: Workspace) -> None:
    with pytest.raises(ReferenceError_, match="did you mean checkout"):
        OfflinePlanner().plan("scale chekout and cart to 3", shop)


def test_nothing_at_all(shop: Workspace) -> None:
    with pytest.raises(ReferenceError_, match="no resource matches 'warehouse'") as info:
        OfflinePlanner().plan("scale warehouse to 3", shop)
    assert info.value.candidates == ()


def test_wrong_kind(shop: Workspace) -> None:
    with pytest.raises(ReferenceError_) as info:
        OfflinePlanner().plan("scale the checkout service to 3", shop)
    assert "scaling applies to Deployment, ReplicaSet, StatefulSet" in str(info.value)
    assert info.value.candidates == ("Service/checkout (base/checkout.yaml)",)
    with pytest.raises(ReferenceError_, match="is a Service"):
        OfflinePlanner().plan("add label a=b to the checkout service and scale it to 3", shop)


def test_several_containers_need_a_name(shop: Workspace) -> None:
    with pytest.raises(ReferenceError_) as info:
        OfflinePlanner().plan("set frontend memory limit to 1Gi", shop)
    assert info.value.candidates == ("web", "metrics")
    assert "container web in frontend" in str(info.value)
    assert targets(shop, "set the memory limit of container web in frontend to 1Gi") == [
        "Deployment/frontend@base/frontend/deployment.yaml"
    ]
    with pytest.raises(ReferenceError_, match="no container 'api'") as info:
        OfflinePlanner().plan("set the memory limit of container api in frontend to 1Gi", shop)
    assert info.value.candidates == ("web", "metrics")


PLAIN = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""


@pytest.fixture
def plain_repo(make_repo: Callable[..., Path]) -> Path:
    """A repository without Kustomize: the same Deployment in a prod and a staging folder."""
    return make_repo(
        files={
            "prod/web.yaml": PLAIN.format(ns="shop"),
            "staging/web.yaml": PLAIN.format(ns="shop-staging"),
        }
    )


def test_ambiguous_name_lists_every_candidate_and_writes_nothing(plain_repo: Path) -> None:
    ws = Workspace.load(plain_repo)
    with pytest.raises(ReferenceError_) as info:
        OfflinePlanner().plan("scale web to 3", ws)
    assert info.value.candidates == (
        "Deployment/shop/web (prod/web.yaml)",
        "Deployment/shop-staging/web (staging/web.yaml)",
    )
    assert "say which one" in str(info.value)
    assert ws.modified_files() == {}
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=plain_repo, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""


@pytest.mark.parametrize(
    ("intent", "file"),
    [
        ("scale web to 3 in prod", "prod/web.yaml"),
        ("scale web to 3 in production", "prod/web.yaml"),
        ("scale web to 3 for staging", "staging/web.yaml"),
        ("scale web in namespace shop-staging to 3", "staging/web.yaml"),
        ("scale prod/web.yaml to 3", "prod/web.yaml"),
    ],
)
def test_environment_or_namespace_or_file_disambiguates(
    plain_repo: Path, intent: str, file: str
) -> None:
    ws = Workspace.load(plain_repo)
    cs = OfflinePlanner().plan(intent, ws)
    assert [(e.file, e.path, e.value) for e in cs.edits if isinstance(e, SetField)] == [
        (file, "spec.replicas", 3)
    ]


def test_unknown_environment_is_an_error(plain_repo: Path) -> None:
    ws = Workspace.load(plain_repo)
    with pytest.raises(
        ReferenceError_, match="no Kustomize overlay, folder or namespace named 'dev'"
    ):
        OfflinePlanner().plan("scale web to 3 in dev", ws)


@pytest.mark.parametrize(
    ("intent", "count"),
    [("scale everything to 5", 6), ("scale all apps to 5", 6), ("scale all statefulsets to 5", 1)],
)
def test_everything_of_the_kinds_a_request_applies_to(
    shop: Workspace, intent: str, count: int
) -> None:
    assert len(targets(shop, intent)) == count
