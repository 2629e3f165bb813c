"""Environments: an intent naming prod/staging edits that Kustomize overlay, never the base."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kubesmith.agent.offline import OfflinePlanner
from kubesmith.errors import ReferenceError_, ToolError
from kubesmith.model import AddResource, DeleteResource, RemoveField, SetField
from kubesmith.workspace import Workspace

KREF_KIND = "Kustomization"
PROD = "overlays/prod/kustomization.yaml"
STAGING = "overlays/staging/kustomization.yaml"
C = "spec.template.spec.containers[name={}]"


def plan(ws: Workspace, intent: str) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for e in OfflinePlanner().plan(intent, ws).edits:
        if isinstance(e, SetField):
            out.append(("set", e.file, e.path, e.value))
        elif isinstance(e, RemoveField):
            out.append(("remove", e.file, e.path))
        elif isinstance(e, AddResource):
            out.append(("add", e.file, e.manifest))
        elif isinstance(e, DeleteResource):
            out.append(("delete", e.file, str(e.ref)))
    return out


def apply(ws: Workspace, intent: str) -> str:
    """Plan, apply and write; return the diff."""
    cs = OfflinePlanner().plan(intent, ws)
    ws.apply(cs)
    ws.write()
    return ws.diff()


def changed_lines(diff: str) -> list[str]:
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_existing_patch_is_edited(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    assert plan(ws, "set checkout replicas to 6 in prod") == [
        ("set", "overlays/prod/checkout-patch.yaml", "spec.replicas", 6)
    ]
    assert changed_lines(apply(ws, "set checkout replicas to 6 in prod")) == [
        "-  replicas: 4",
        "+  replicas: 6",
    ]


def test_relative_change_starts_from_the_overlay_value(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    assert plan(ws, "double frontend in prod") == [
        ("set", "overlays/prod/frontend-patch.yaml", "spec.replicas", 6)
    ]
    assert plan(ws, "increase checkout memory limit to 1Gi on production") == [
        (
            "set",
            "overlays/prod/checkout-patch.yaml",
            C.format("checkout") + ".resources.limits.memory",
            "1Gi",
        )
    ]


def test_image_change_edits_the_images_entry(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    assert plan(ws, "set checkout tag to 1.5.0 in prod") == [
        ("set", PROD, "images[name=registry.example.com/shop/checkout].newTag", "1.5.0")
    ]
    assert changed_lines(apply(ws, "set checkout tag to 1.5.0 in prod")) == [
        "-    newTag: 1.4.1",
        "+    newTag: 1.5.0",
    ]


def test_image_without_an_entry_adds_one(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    assert plan(ws, "set cart tag to 2.1.0 for staging") == [
        ("set", STAGING, "images[name=registry.example.com/shop/cart].newTag", "2.1.0")
    ]
    assert changed_lines(apply(ws, "set cart tag to 2.1.0 for staging")) == [
        "+- name: registry.example.com/shop/cart",
        "+  newTag: 2.1.0",
    ]


def test_image_from_another_repository_sets_new_name(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    assert plan(ws, "set checkout image to mirror.example.com/checkout:1.5.0 in prod") == [
        (
            "set",
            PROD,
            "images[name=registry.example.com/shop/checkout].newName",
            "mirror.example.com/checkout",
        ),
        ("set", PROD, "images[name=registry.example.com/shop/checkout].newTag", "1.5.0"),
    ]


def test_no_patch_yet_creates_one_and_lists_it(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    got = plan(ws, "in prod scale cart to 5 and set its memory limit to 512Mi")
    assert got == [
        (
            "add",
            "overlays/prod/cart-patch.yaml",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "cart"},
                "spec": {
                    "replicas": 5,
                    "template": {
                        "spec": {
                            "containers": [
                                {"name": "cart", "resources": {"limits": {"memory": "512Mi"}}}
                            ]
                        }
                    },
                },
            },
        ),
        ("set", PROD, "patches[path=cart-patch.yaml].path", "cart-patch.yaml"),
    ]
    diff = apply(ws, "in prod scale cart to 5 and set its memory limit to 512Mi")
    assert "+  - path: cart-patch.yaml\n" in diff
    assert (
        (example_repo / "overlays/prod/cart-patch.yaml")
        .read_text()
        .startswith(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cart\nspec:\n  replicas: 5\n"
        )
    )
    assert [d.file for d in ws.documents if d.is_patch and d.overlay == "prod"] == [
        "overlays/prod/cart-patch.yaml",
        "overlays/prod/checkout-patch.yaml",
        "overlays/prod/frontend-patch.yaml",
    ]


def test_staging_with_indentless_lists(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    assert changed_lines(apply(ws, "scale payments to 1 in staging")) == [
        "+- path: payments-patch.yaml",
        "+apiVersion: apps/v1",
        "+kind: Deployment",
        "+metadata:",
        "+  name: payments",
        "+spec:",
        "+  replicas: 1",
    ]


def test_removals_are_strategic_merge_deletions(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    patch = "overlays/prod/checkout-patch.yaml"
    assert plan(ws, "remove env LOG_LEVEL from checkout in prod") == [
        ("set", patch, C.format("checkout") + ".env[name=LOG_LEVEL].$patch", "delete")
    ]
    assert plan(ws, "remove checkout's cpu limit in prod") == [
        ("set", patch, C.format("checkout") + ".resources.limits.cpu", None)
    ]


def test_new_object_goes_into_the_overlay(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    got = plan(ws, "add an hpa for catalog in prod")
    assert [g[:2] for g in got] == [
        ("add", "overlays/prod/catalog-hpa.yaml"),
        ("set", PROD),
    ]
    assert got[1][2:] == ("resources[1]", "catalog-hpa.yaml")


def test_delete_in_one_environment_is_a_delete_patch(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    assert plan(ws, "delete the cart-cleanup cronjob in staging") == [
        (
            "add",
            "overlays/staging/cart-cleanup-patch.yaml",
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": "cart-cleanup"},
                "$patch": "delete",
            },
        ),
        ("set", STAGING, "patches[path=cart-cleanup-patch.yaml].path", "cart-cleanup-patch.yaml"),
    ]


def test_rationale_says_where(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    cs = OfflinePlanner().plan("scale cart to 5 in prod", ws)
    assert cs.rationale == (
        "In prod: set Deployment/cart replicas from 2 to 5 (overlays/prod/cart-patch.yaml)."
    )


def _render(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    from kubesmith.tools import kustomize

    try:
        kustomize.kustomize_command()
    except ToolError as e:
        pytest.skip(str(e))
    return {(d["kind"], d["metadata"]["name"]): d for d in kustomize.build(path)}


@pytest.mark.integration
def test_overlay_edits_render_with_kustomize(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    for intent in (
        "in prod scale cart to 5 and set its memory limit to 512Mi",
        "remove env LOG_LEVEL from checkout in prod",
        "remove checkout's cpu limit in prod",
        "set catalog tag to 2.8.0 in prod",
        "add an hpa for catalog in prod",
        "delete the cart-cleanup cronjob in staging",
    ):
        ws = Workspace.load(example_repo)
        apply(ws, intent)
    prod = _render(example_repo / "overlays/prod")
    cart = prod[("Deployment", "cart")]
    assert cart["spec"]["replicas"] == 5
    assert cart["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {
        "cpu": "250m",
        "memory": "512Mi",
    }
    checkout = prod[("Deployment", "checkout")]["spec"]["template"]["spec"]["containers"][0]
    assert [e["name"] for e in checkout["env"]] == ["PAYMENTS_URL"]
    assert checkout["resources"]["limits"] == {"memory": "512Mi"}
    catalog = prod[("Deployment", "catalog")]["spec"]["template"]["spec"]["containers"][0]
    assert catalog["image"] == "registry.example.com/shop/catalog:2.8.0"
    assert prod[("HorizontalPodAutoscaler", "catalog")]["metadata"]["namespace"] == "shop-prod"
    staging = _render(example_repo / "overlays/staging")
    assert ("CronJob", "cart-cleanup") not in staging
    assert ("CronJob", "cart-cleanup") in prod
    base = _render(example_repo / "base")
    assert base[("Deployment", "cart")]["spec"]["replicas"] == 2


def test_new_patch_reads_like_a_hand_written_one(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    apply(ws, "give cart a 512Mi memory limit in prod and scale it to 3")
    assert (example_repo / "overlays/prod/cart-patch.yaml").read_text() == (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: cart\n"
        "spec:\n"
        "  replicas: 3\n"
        "  template:\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: cart\n"
        "          resources:\n"
        "            limits:\n"
        "              memory: 512Mi\n"
    )


APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: example.com/{name}:1.0.0
"""
BASE_K = "resources:\n  - deployment.yaml\n"
PROD_K = "namespace: {ns}\nresources:\n  - ../../base\n"


def test_each_application_uses_its_own_overlay(make_repo: Callable[..., Path]) -> None:
    files = {}
    for app in ("api", "web"):
        files[f"apps/{app}/base/deployment.yaml"] = APP.format(name=app)
        files[f"apps/{app}/base/kustomization.yaml"] = BASE_K
        files[f"apps/{app}/overlays/prod/kustomization.yaml"] = PROD_K.format(ns=app)
    ws = Workspace.load(make_repo(files=files))
    got = plan(ws, "scale web to 3 in prod and set api tag to 1.1.0 in prod")
    assert [g[:2] for g in got] == [
        ("add", "apps/web/overlays/prod/web-patch.yaml"),
        ("set", "apps/web/overlays/prod/kustomization.yaml"),
        ("set", "apps/api/overlays/prod/kustomization.yaml"),
    ]
    assert got[2][2:] == ("images[name=example.com/api].newTag", "1.1.0")


def test_environment_without_an_overlay_for_that_resource(make_repo: Callable[..., Path]) -> None:
    files = {
        "apps/api/base/deployment.yaml": APP.format(name="api"),
        "apps/api/base/kustomization.yaml": BASE_K,
        "apps/api/overlays/prod/kustomization.yaml": PROD_K.format(ns="api"),
        "apps/web/deployment.yaml": APP.format(name="web"),
    }
    ws = Workspace.load(make_repo(files=files))
    with pytest.raises(ReferenceError_, match="no 'prod' overlay renders Deployment/web"):
        OfflinePlanner().plan("scale web to 3 in prod", ws)
