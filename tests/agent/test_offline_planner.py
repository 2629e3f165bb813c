"""OfflinePlanner on the example shop: intent → the exact edits, for every intent kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubesmith.agent.offline import OfflinePlanner
from kubesmith.agent.planner import Planner
from kubesmith.errors import IntentNotUnderstood, ReferenceError_, UsageError
from kubesmith.model import (
    AddResource,
    ChangeSet,
    DeleteResource,
    RemoveField,
    SetField,
    from_json,
    to_json,
)
from kubesmith.workspace import Workspace

POD = "spec.template.spec"


def c(name: str) -> str:
    return f"{POD}.containers[name={name}]"


def edits(ws: Workspace, intent: str) -> list[tuple[Any, ...]]:
    cs = OfflinePlanner().plan(intent, ws)
    assert cs.planner == "offline"
    assert cs.intent == intent
    out: list[tuple[Any, ...]] = []
    for e in cs.edits:
        if isinstance(e, SetField):
            out.append(("set", e.file, e.path, e.value))
        elif isinstance(e, RemoveField):
            out.append(("remove", e.file, e.path))
        elif isinstance(e, AddResource):
            out.append(("add", e.file, e.manifest["kind"], e.manifest["metadata"]["name"]))
        elif isinstance(e, DeleteResource):
            out.append(("delete", e.file, str(e.ref)))
    return out


CHECKOUT = "base/checkout.yaml"
CART = "base/cart/deployment.yaml"
CATALOG = "base/catalog.yaml"
PAYMENTS = "base/payments.yaml"


@pytest.mark.parametrize(
    ("intent", "replicas"),
    [
        ("scale checkout to 3", 3),
        ("set checkout replicas to 5", 5),
        ("scale up checkout by 2", 4),
        ("decrease checkout replicas by 1", 1),
        ("increase checkout replicas by 100%", 4),
        ("increase checkout replicas by 50%", 3),
        ("reduce checkout replicas by 50%", 1),
        ("double checkout", 4),
        ("triple checkout", 6),
        ("halve checkout", 1),
        ("scale checkout to 0", 0),
    ],
)
def test_scale(shop: Workspace, intent: str, replicas: int) -> None:
    assert edits(shop, intent) == [("set", CHECKOUT, "spec.replicas", replicas)]


def test_scale_below_zero_is_refused(shop: Workspace) -> None:
    with pytest.raises(UsageError, match="cannot lose 5"):
        OfflinePlanner().plan("decrease checkout replicas by 5", shop)


def test_scale_a_statefulset(shop: Workspace) -> None:
    assert edits(shop, "scale redis to 3") == [("set", "base/redis.yaml", "spec.replicas", 3)]


@pytest.mark.parametrize(
    ("intent", "image"),
    [
        (
            "set checkout image to registry.example.com/shop/checkout:1.5.0",
            "registry.example.com/shop/checkout:1.5.0",
        ),
        ("set checkout tag to 1.5.0", "registry.example.com/shop/checkout:1.5.0"),
        ("bump checkout to 2.0.0", "registry.example.com/shop/checkout:2.0.0"),
        (
            "set checkout tag to sha256:" + "b" * 64,
            "registry.example.com/shop/checkout@sha256:" + "b" * 64,
        ),
    ],
)
def test_image(shop: Workspace, intent: str, image: str) -> None:
    assert edits(shop, intent) == [("set", CHECKOUT, f"{c('checkout')}.image", image)]


def test_image_of_a_named_container(shop: Workspace) -> None:
    assert edits(shop, "set the tag of container metrics in frontend to 1.2.0") == [
        (
            "set",
            "base/frontend/deployment.yaml",
            f"{c('metrics')}.image",
            "registry.example.com/tools/nginx-exporter:1.2.0",
        ),
    ]


def test_resources(shop: Workspace) -> None:
    assert edits(shop, "give cart a 256Mi memory limit") == [
        ("set", CART, f"{c('cart')}.resources.limits.memory", "256Mi"),
    ]
    assert edits(shop, "set cart cpu request to 100m and limit to 500m") == [
        ("set", CART, f"{c('cart')}.resources.requests.cpu", "100m"),
        ("set", CART, f"{c('cart')}.resources.limits.cpu", "500m"),
    ]
    assert edits(shop, "set catalog memory to 1Gi") == [
        ("set", CATALOG, f"{c('catalog')}.resources.requests.memory", "1Gi"),
        ("set", CATALOG, f"{c('catalog')}.resources.limits.memory", "1Gi"),
    ]
    assert edits(shop, "remove the cpu limit from cart") == [
        ("remove", CART, f"{c('cart')}.resources.limits.cpu"),
    ]


def test_removing_an_absent_limit_is_an_error(shop: Workspace) -> None:
    with pytest.raises(ReferenceError_, match="sets no memory limit"):
        OfflinePlanner().plan("remove the memory limit from cart", shop)


def test_env_vars(shop: Workspace) -> None:
    env = f"{c('cart')}.env"
    assert edits(shop, "set env LOG_LEVEL=debug on cart") == [
        ("set", CART, f"{env}[name=LOG_LEVEL].value", "debug"),
    ]
    assert edits(shop, "set env REDIS_ADDR=localhost:6379 on cart") == [
        ("remove", CART, f"{env}[name=REDIS_ADDR].valueFrom"),
        ("set", CART, f"{env}[name=REDIS_ADDR].value", "localhost:6379"),
    ]
    assert edits(shop, "set env CURRENCY from configmap shop-config on cart") == [
        (
            "set",
            CART,
            f"{env}[name=CURRENCY].valueFrom",
            {"configMapKeyRef": {"name": "shop-config", "key": "CURRENCY"}},
        ),
    ]
    assert edits(shop, "add env KEY from secret payments-secrets key webhook-secret to cart") == [
        (
            "set",
            CART,
            f"{env}[name=KEY].valueFrom",
            {"secretKeyRef": {"name": "payments-secrets", "key": "webhook-secret"}},
        ),
    ]
    assert edits(shop, "remove env var REDIS_ADDR from cart") == [
        ("remove", CART, f"{env}[name=REDIS_ADDR]"),
    ]
    assert edits(
        shop, "set env PAYMENTS_URL from configmap shop-config key CART_URL on checkout"
    ) == [
        ("remove", CHECKOUT, f"{c('checkout')}.env[name=PAYMENTS_URL].value"),
        (
            "set",
            CHECKOUT,
            f"{c('checkout')}.env[name=PAYMENTS_URL].valueFrom",
            {"configMapKeyRef": {"name": "shop-config", "key": "CART_URL"}},
        ),
    ]


def test_env_from_a_missing_source_asks(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("add env TOKEN from secret vault-token to cart", shop)
    assert len(cs.edits) == 1
    assert cs.questions == (
        "Secret vault-token is not in this repository; is it created elsewhere (e.g. by a "
        "secrets operator)?",
    )
    cs = OfflinePlanner().plan("add env TOKEN from secret payments-secrets to cart", shop)
    assert "has no key 'TOKEN'" in cs.questions[0]


def test_removing_an_absent_env_var_lists_the_present_ones(shop: Workspace) -> None:
    with pytest.raises(ReferenceError_) as info:
        OfflinePlanner().plan("remove env FOO from cart", shop)
    assert info.value.candidates == ("REDIS_ADDR",)


def test_labels_and_annotations(shop: Workspace) -> None:
    assert edits(shop, "add label team=payments to cart") == [
        ("set", CART, "metadata.labels.team", "payments"),
    ]
    assert edits(shop, "annotate cart with example.com/owner=shop") == [
        ("set", CART, 'metadata.annotations["example.com/owner"]', "shop"),
    ]
    assert edits(shop, "add pod label version=v2 to cart") == [
        ("set", CART, "spec.template.metadata.labels.version", "v2"),
    ]
    assert edits(shop, "remove the team annotation from checkout") == [
        ("remove", CHECKOUT, "metadata.annotations.team"),
    ]
    assert edits(shop, "add annotation owner=team-a to the checkout service") == [
        ("set", CHECKOUT, "metadata.annotations.owner", "team-a"),
    ]


def test_invalid_label_value_is_refused(shop: Workspace) -> None:
    with pytest.raises(UsageError, match="not a valid label value"):
        OfflinePlanner().plan("add label team=-bad- to cart", shop)


def test_probes(shop: Workspace) -> None:
    assert edits(shop, "add a readiness probe on /healthz port 8080 to catalog") == [
        (
            "set",
            CATALOG,
            f"{c('catalog')}.readinessProbe",
            {"httpGet": {"path": "/healthz", "port": 8080}},
        ),
    ]
    assert edits(shop, "add a tcp liveness probe on port 6379 to redis every 20s") == [
        (
            "set",
            "base/redis.yaml",
            f"{c('redis')}.livenessProbe",
            {"tcpSocket": {"port": 6379}, "periodSeconds": 20},
        ),
    ]
    assert edits(shop, "add a grpc startup probe on port grpc to payments") == [
        ("set", PAYMENTS, f"{c('payments')}.startupProbe", {"grpc": {"port": 9090}}),
    ]
    assert edits(shop, "remove cart's probes") == [
        ("remove", CART, f"{c('cart')}.readinessProbe"),
        ("remove", CART, f"{c('cart')}.livenessProbe"),
    ]


def test_probe_without_an_endpoint_uses_tcp_and_asks(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("add a readiness probe to catalog", shop)
    assert [e.value for e in cs.edits if isinstance(e, SetField)] == [
        {"tcpSocket": {"port": "http"}}
    ]
    assert len(cs.questions) == 1
    assert "HTTP path" in cs.questions[0]


def test_expose_adds_a_port_to_the_existing_service(shop: Workspace) -> None:
    assert edits(shop, "expose payments port 9100") == [
        ("set", PAYMENTS, f"{c('payments')}.ports[containerPort=9100].containerPort", 9100),
        ("set", PAYMENTS, "spec.ports[2]", {"name": "port-9100", "port": 9100, "targetPort": 9100}),
    ]


def test_expose_as_a_type_changes_the_service_that_selects_the_workload(shop: Workspace) -> None:
    # Never a second Service next to the one that selects the pods (issue 15).
    cs = OfflinePlanner().plan("expose catalog port 8080 as 80 as a LoadBalancer", shop)
    assert [(type(e).__name__, e.file, getattr(e, "path", None)) for e in cs.edits] == [
        ("SetField", CATALOG, "spec.type")
    ]
    assert isinstance(cs.edits[0], SetField) and cs.edits[0].value == "LoadBalancer"


def test_expose_creates_a_service_when_none_selects_the_workload(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
        "  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n"
        "      labels: {app: api}\n    spec:\n      containers:\n"
        "        - {name: api, image: api, ports: [{name: http, containerPort: 8080}]}\n"
    )
    cs = OfflinePlanner().plan(
        "expose api port 8080 as 80 as a LoadBalancer", Workspace.load(tmp_path)
    )
    (add,) = cs.edits
    assert isinstance(add, AddResource)
    assert add.file == "api.yaml"
    assert add.manifest == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "api"},
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app": "api"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }


def test_expose_what_is_exposed_already_is_an_error(shop: Workspace) -> None:
    with pytest.raises(UsageError, match="already exposes 8080"):
        OfflinePlanner().plan("create a service for catalog", shop)


def test_hpa(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("autoscale checkout from 2 to 10 at 70% cpu", shop)
    (add,) = cs.edits
    assert isinstance(add, AddResource)
    assert add.file == CHECKOUT
    assert add.manifest["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"},
        "minReplicas": 2,
        "maxReplicas": 10,
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 70},
                },
            }
        ],
    }
    assert cs.questions == ()


def test_hpa_defaults(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("add an hpa for payments", shop)
    (add,) = cs.edits
    assert isinstance(add, AddResource)
    spec = add.manifest["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 6)
    assert spec["metrics"][0]["resource"]["target"]["averageUtilization"] == 80


def test_hpa_min_above_max_is_refused(shop: Workspace) -> None:
    with pytest.raises(UsageError, match="above its maximum"):
        OfflinePlanner().plan("autoscale checkout from 5 to 3", shop)


def test_pdb(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("add a pdb for checkout with minAvailable 1", shop)
    (add,) = cs.edits
    assert isinstance(add, AddResource)
    assert add.file == CHECKOUT
    assert add.manifest["spec"] == {
        "minAvailable": 1,
        "selector": {"matchLabels": {"app": "checkout"}},
    }
    cs = OfflinePlanner().plan("create a disruption budget for cart", shop)
    assert cs.edits[0].manifest["spec"]["maxUnavailable"] == 1  # type: ignore[union-attr]


def test_pdb_that_blocks_drains_asks(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("add a pdb for catalog with minAvailable 1", shop)
    assert "node drains will block" in cs.questions[0]


def test_pull_policy(shop: Workspace) -> None:
    assert edits(shop, "always pull the catalog image") == [
        ("set", CATALOG, f"{c('catalog')}.imagePullPolicy", "Always"),
    ]


def test_harden_leaves_settings_in_place_alone(shop: Workspace) -> None:
    got = edits(shop, "harden payments")
    assert got == [
        ("set", PAYMENTS, f"{POD}.securityContext.seccompProfile.type", "RuntimeDefault"),
        ("set", PAYMENTS, f"{c('payments')}.securityContext.readOnlyRootFilesystem", True),
        ("set", PAYMENTS, f"{c('payments')}.securityContext.capabilities.drop", ["ALL"]),
    ]


def test_harden_applies_to_every_container(shop: Workspace) -> None:
    got = edits(shop, "disallow privilege escalation on frontend")
    assert [g[2] for g in got] == [
        f"{c('web')}.securityContext.allowPrivilegeEscalation",
        f"{c('metrics')}.securityContext.allowPrivilegeEscalation",
    ]


def test_harden_a_cronjob_uses_its_job_template(shop: Workspace) -> None:
    got = edits(shop, "run cart-cleanup as non-root")
    assert got == [
        (
            "set",
            "base/cart-cleanup-cronjob.yaml",
            "spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot",
            True,
        ),
    ]


def test_delete(shop: Workspace) -> None:
    assert edits(shop, "delete the cart cleanup cronjob") == [
        ("delete", "base/cart-cleanup-cronjob.yaml", "CronJob/cart-cleanup"),
    ]


def test_several_requests_in_one_intent(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("set checkout replicas to 3 and its memory limit to 512Mi", shop)
    assert [(e.path, e.value) for e in cs.edits if isinstance(e, SetField)] == [
        ("spec.replicas", 3),
        (f"{c('checkout')}.resources.limits.memory", "512Mi"),
    ]
    assert cs.rationale == (
        "Set Deployment/checkout replicas from 2 to 3. Set the memory limit of "
        "Deployment/checkout container checkout from 256Mi to 512Mi."
    )
    assert edits(shop, "scale checkout to 4, cart to 3; add label team=x to them") == [
        ("set", CHECKOUT, "spec.replicas", 4),
        ("set", CART, "spec.replicas", 3),
        ("set", CART, "metadata.labels.team", "x"),
    ]


def test_planner_protocol_and_json_round_trip(shop: Workspace) -> None:
    planner = OfflinePlanner()
    assert isinstance(planner, Planner)
    assert planner.name == "offline"
    cs = planner.plan("scale checkout to 3 and harden it", shop)
    assert from_json(ChangeSet, to_json(cs)) == cs


def test_repair_round_returns_the_previous_changeset(shop: Workspace) -> None:
    previous = OfflinePlanner().plan("scale checkout to 3", shop)
    assert OfflinePlanner().plan("scale checkout to 3", shop, previous=previous) is previous


@pytest.mark.parametrize("intent", ["", "   "])
def test_empty_intent(shop: Workspace, intent: str) -> None:
    with pytest.raises(UsageError, match="empty"):
        OfflinePlanner().plan(intent, shop)


def test_not_understood_says_what_it_understands_and_how_to_use_an_llm(shop: Workspace) -> None:
    with pytest.raises(IntentNotUnderstood) as info:
        OfflinePlanner().plan("make checkout faster please", shop)
    message = str(info.value)
    assert "make checkout faster please" in message
    assert "scale checkout to 3" in message
    assert "docs/intents.md" in message
    assert "--planner llm" in message
    assert "KUBESMITH_MODEL" in message
    assert "OPENAI_API_KEY" in message
    assert info.value.exit_code == 2


def test_existing_hpa_and_pdb_are_updated_then_removed(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    for intent in ("add an hpa for checkout", "add a pdb for checkout"):
        ws.apply(OfflinePlanner().plan(intent, ws))
    assert edits(ws, "autoscale checkout up to 20 at 60% cpu") == [
        ("set", CHECKOUT, "spec.maxReplicas", 20),
        (
            "set",
            CHECKOUT,
            "spec.metrics[0]",
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 60},
                },
            },
        ),
    ]
    assert edits(ws, "set the pdb of checkout to minAvailable 50%") == [
        ("set", CHECKOUT, "spec.minAvailable", "50%"),
        ("remove", CHECKOUT, "spec.maxUnavailable"),
    ]
    assert edits(ws, "remove the hpa from checkout and delete its pdb") == [
        ("delete", CHECKOUT, "HorizontalPodAutoscaler/checkout"),
        ("delete", CHECKOUT, "PodDisruptionBudget/checkout"),
    ]


def test_nothing_to_change_says_so(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("run payments as non-root", shop)
    assert cs.edits == ()
    assert cs.rationale == "Nothing to change: the request is already in place."


def test_later_requests_see_earlier_ones(shop: Workspace) -> None:
    assert edits(shop, "scale checkout up by 1 and double it") == [
        ("set", CHECKOUT, "spec.replicas", 3),
        ("set", CHECKOUT, "spec.replicas", 6),
    ]
    assert edits(shop, "add env X=1 to cart and remove env var X from it") == [
        ("set", CART, f"{c('cart')}.env[name=X].value", "1"),
        ("remove", CART, f"{c('cart')}.env[name=X]"),
    ]


def test_values_already_in_place_make_no_edit(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("prod, staging: scale cart to 2", shop)
    assert cs.edits == ()
    assert cs.rationale == (
        "In prod: Deployment/cart already runs 2 replicas. "
        "In staging: Deployment/cart already runs 2 replicas."
    )
    assert edits(shop, "scale checkout to 2 and give it a 256Mi memory limit") == []


def test_one_request_for_several_environments(shop: Workspace) -> None:
    assert edits(shop, "set checkout tag to 1.6.0 in both prod and staging") == [
        (
            "set",
            "overlays/prod/kustomization.yaml",
            "images[name=registry.example.com/shop/checkout].newTag",
            "1.6.0",
        ),
        (
            "set",
            "overlays/staging/kustomization.yaml",
            "images[name=registry.example.com/shop/checkout].newTag",
            "1.6.0",
        ),
    ]
    assert edits(shop, "scale checkout to 5 in prod and 2 in staging") == [
        ("set", "overlays/prod/checkout-patch.yaml", "spec.replicas", 5),
        ("set", "overlays/staging/checkout-patch.yaml", "spec.replicas", 2),
    ]


@pytest.mark.parametrize(
    ("intent", "file", "path", "value"),
    [
        (
            "set spec.strategy.type of checkout to Recreate",
            CHECKOUT,
            "spec.strategy.type",
            "Recreate",
        ),
        ("set spec.revisionHistoryLimit to 5 on cart", CART, "spec.revisionHistoryLimit", 5),
        ("set spec.paused of cart to true", CART, "spec.paused", True),
        (
            'set metadata.annotations["example.com/x"] of cart to "true"',
            CART,
            'metadata.annotations["example.com/x"]',
            "true",
        ),
        (
            "set data.LOG_LEVEL of shop-config to debug",
            "base/shop-config.yaml",
            "data.LOG_LEVEL",
            "debug",
        ),
        (
            'set spec.schedule of cart-cleanup to "0 4 * * *"',
            "base/cart-cleanup-cronjob.yaml",
            "spec.schedule",
            "0 4 * * *",
        ),
    ],
)
def test_explicit_field_paths(
    shop: Workspace, intent: str, file: str, path: str, value: object
) -> None:
    assert edits(shop, intent) == [("set", file, path, value)]


def test_removing_an_explicit_field(shop: Workspace) -> None:
    assert edits(shop, "remove spec.template.spec.securityContext from payments") == [
        ("remove", PAYMENTS, "spec.template.spec.securityContext"),
    ]
    with pytest.raises(ReferenceError_, match=r"has no field spec\.strategy"):
        OfflinePlanner().plan("remove spec.strategy from payments", shop)
