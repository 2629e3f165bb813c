"""The offline grammar alone: phrasings → clauses (spec, subject, container, environment)."""

from __future__ import annotations

import pytest

from kubesmith.agent.offline.grammar import NotUnderstood, parse_intent
from kubesmith.agent.offline.specs import (
    Autoscale,
    Budget,
    Delete,
    EnvVar,
    Expose,
    Image,
    Meta,
    Probe,
    PullPolicy,
    Resources,
    Scale,
    Security,
)
from kubesmith.agent.offline.text import cpu_quantity, fragments, memory_quantity

OVERLAYS = ["prod", "staging"]


def one(intent: str):
    clauses = parse_intent(intent, OVERLAYS)
    assert len(clauses) == 1, clauses
    return clauses[0]


@pytest.mark.parametrize(
    ("intent", "spec", "subject"),
    [
        ("scale checkout to 3", Scale("set", 3), "checkout"),
        ("Scale checkout to 3 replicas", Scale("set", 3), "checkout"),
        ("set checkout replicas to 3", Scale("set", 3), "checkout"),
        ("set the replicas of checkout to 3", Scale("set", 3), "checkout"),
        ("give checkout 3 replicas", Scale("set", 3), "checkout"),
        ("checkout should have 3 replicas", Scale("set", 3), "checkout"),
        ("run five replicas of cart", Scale("set", 5), "cart"),
        ("scale deployment/checkout to 0", Scale("set", 0), "deployment/checkout"),
        ("scale up checkout by 2", Scale("add", 2), "checkout"),
        ("scale checkout up by 2", Scale("add", 2), "checkout"),
        ("increase checkout replicas by 2", Scale("add", 2), "checkout"),
        ("add 2 replicas to checkout", Scale("add", 2), "checkout"),
        ("give checkout 2 more replicas", Scale("add", 2), "checkout"),
        ("decrease checkout replicas by 1", Scale("add", -1), "checkout"),
        ("reduce the replicas of checkout by 1", Scale("add", -1), "checkout"),
        ("scale down checkout by 1", Scale("add", -1), "checkout"),
        ("increase checkout replicas by 100%", Scale("mul", 2.0), "checkout"),
        ("reduce checkout replicas by 50%", Scale("mul", 0.5), "checkout"),
        ("double checkout", Scale("mul", 2.0), "checkout"),
        ("double the replicas of checkout", Scale("mul", 2.0), "checkout"),
        ("triple cart", Scale("mul", 3.0), "cart"),
        ("halve payments", Scale("mul", 0.5), "payments"),
    ],
)
def test_scale_phrasings(intent: str, spec: Scale, subject: str) -> None:
    clause = one(intent)
    assert clause.spec == spec
    assert clause.subject == subject


@pytest.mark.parametrize(
    ("intent", "spec"),
    [
        (
            "set checkout image to registry.example.com/shop/checkout:1.5.0",
            Image(image="registry.example.com/shop/checkout:1.5.0"),
        ),
        ("use image nginx:1.27 for checkout", Image(image="nginx:1.27")),
        (
            "set checkout image to localhost:5000/shop/checkout@sha256:" + "a" * 64,
            Image(image="localhost:5000/shop/checkout@sha256:" + "a" * 64),
        ),
        ("set checkout tag to 1.5.0", Image(tag="1.5.0")),
        ("set the image tag of checkout to 1.5.0", Image(tag="1.5.0")),
        ("set checkout version to v2", Image(tag="v2")),
        ("set checkout tag to stable", Image(tag="stable")),
        ("update checkout to version 1.5.0", Image(tag="1.5.0")),
        ("bump checkout to 1.5.0-rc.1", Image(tag="1.5.0-rc.1")),
        ("upgrade checkout to v1.5.0", Image(tag="v1.5.0")),
        ("deploy checkout 1.5.0", Image(tag="1.5.0")),
        ("rollback checkout to 1.4.0", Image(tag="1.4.0")),
        ("roll back checkout to 1.4.0", Image(tag="1.4.0")),
        ("revert checkout to v1.4.0", Image(tag="v1.4.0")),
    ],
)
def test_image_phrasings(intent: str, spec: Image) -> None:
    clause = one(intent)
    assert clause.spec == spec
    assert clause.subject == "checkout"


@pytest.mark.parametrize(
    ("intent", "items"),
    [
        ("set cart memory limit to 256Mi", (("limits", "memory", "256Mi"),)),
        ("set the memory limit of cart to 256Mi", (("limits", "memory", "256Mi"),)),
        ("give cart a 256Mi memory limit", (("limits", "memory", "256Mi"),)),
        ("limit cart memory to 256Mi", (("limits", "memory", "256Mi"),)),
        ("set cart memory limits to 512MiB", (("limits", "memory", "512Mi"),)),
        ("set cart memory limit to 1GB", (("limits", "memory", "1G"),)),
        ("set cart memory limit to 256m", (("limits", "memory", "256M"),)),
        ("set cart cpu request to 100m", (("requests", "cpu", "100m"),)),
        ("set cart cpu requests to 0.25", (("requests", "cpu", "250m"),)),
        ("set cart cpu limit to 2", (("limits", "cpu", "2"),)),
        ("set cart cpu limit to 1.5 cores", (("limits", "cpu", "1500m"),)),
        ("request 200m cpu for cart", (("requests", "cpu", "200m"),)),
        ("set cart memory to 1Gi", (("requests", "memory", "1Gi"), ("limits", "memory", "1Gi"))),
        (
            "set cart memory request and limit to 128Mi",
            (("requests", "memory", "128Mi"), ("limits", "memory", "128Mi")),
        ),
        (
            "set cart cpu request 100m limit 500m",
            (("requests", "cpu", "100m"), ("limits", "cpu", "500m")),
        ),
        (
            "set cart cpu request and limit to 100m and 500m",
            (("requests", "cpu", "100m"), ("limits", "cpu", "500m")),
        ),
        ("set cart limit to 256Mi", (("limits", "memory", "256Mi"),)),
        ("remove the memory limit from cart", (("limits", "memory", None),)),
        ("remove cart's cpu limit", (("limits", "cpu", None),)),
        ("drop cpu from cart", (("requests", "cpu", None), ("limits", "cpu", None))),
        ("remove the limits from cart", (("limits", None, None),)),
    ],
)
def test_resource_phrasings(intent: str, items: tuple[object, ...]) -> None:
    clause = one(intent)
    assert clause.spec == Resources(items)  # type: ignore[arg-type]
    assert clause.subject == "cart"


@pytest.mark.parametrize(
    ("intent", "spec"),
    [
        ("set env LOG_LEVEL=debug on cart", EnvVar("LOG_LEVEL", "value", "debug")),
        ("set env var LOG_LEVEL to debug in cart", EnvVar("LOG_LEVEL", "value", "debug")),
        ("add environment variable LOG_LEVEL=debug to cart", EnvVar("LOG_LEVEL", "value", "debug")),
        ("set LOG_LEVEL=debug on cart", EnvVar("LOG_LEVEL", "value", "debug")),
        ("set LOG_LEVEL to debug on cart", EnvVar("LOG_LEVEL", "value", "debug")),
        ('set env GREETING="hello, world" on cart', EnvVar("GREETING", "value", "hello, world")),
        ("set the LOG_LEVEL env var to debug on cart", EnvVar("LOG_LEVEL", "value", "debug")),
        (
            "set env LOG_LEVEL from configmap shop-config on cart",
            EnvVar("LOG_LEVEL", "configMap", source_name="shop-config", key="LOG_LEVEL"),
        ),
        (
            "add env LEVEL from config map shop-config key LOG_LEVEL to cart",
            EnvVar("LEVEL", "configMap", source_name="shop-config", key="LOG_LEVEL"),
        ),
        (
            "add env KEY from secret payments-secrets key provider-api-key to cart",
            EnvVar("KEY", "secret", source_name="payments-secrets", key="provider-api-key"),
        ),
        (
            "set env KEY from secret payments-secrets/webhook-secret on cart",
            EnvVar("KEY", "secret", source_name="payments-secrets", key="webhook-secret"),
        ),
        (
            "add env KEY from key webhook-secret of secret payments-secrets to cart",
            EnvVar("KEY", "secret", source_name="payments-secrets", key="webhook-secret"),
        ),
        ("remove env var LOG_LEVEL from cart", EnvVar("LOG_LEVEL", "remove")),
        ("unset LOG_LEVEL on cart", EnvVar("LOG_LEVEL", "remove")),
        ("delete the LOG_LEVEL env var from cart", EnvVar("LOG_LEVEL", "remove")),
    ],
)
def test_env_phrasings(intent: str, spec: EnvVar) -> None:
    clause = one(intent)
    assert clause.spec == spec
    assert clause.subject == "cart"


@pytest.mark.parametrize(
    ("intent", "spec"),
    [
        ("add label team=payments to cart", Meta("labels", set=(("team", "payments"),))),
        ("label cart with team=payments", Meta("labels", set=(("team", "payments"),))),
        ("set label team to payments on cart", Meta("labels", set=(("team", "payments"),))),
        ("add labels a=b, c=d to cart", Meta("labels", set=(("a", "b"), ("c", "d")))),
        (
            "add label app.kubernetes.io/version=1.2 to cart",
            Meta("labels", set=(("app.kubernetes.io/version", "1.2"),)),
        ),
        ("add annotation owner=team-a to cart", Meta("annotations", set=(("owner", "team-a"),))),
        (
            "annotate cart with example.com/owner=x",
            Meta("annotations", set=(("example.com/owner", "x"),)),
        ),
        ("add pod label version=v2 to cart", Meta("labels", set=(("version", "v2"),), pod=True)),
        ("remove label team from cart", Meta("labels", remove=("team",))),
        ("remove the team label from cart", Meta("labels", remove=("team",))),
        ("remove labels team, owner from cart", Meta("labels", remove=("team", "owner"))),
        ("remove the owner annotation from cart", Meta("annotations", remove=("owner",))),
    ],
)
def test_meta_phrasings(intent: str, spec: Meta) -> None:
    clause = one(intent)
    assert clause.spec == spec
    assert clause.subject == "cart"


@pytest.mark.parametrize(
    ("intent", "spec"),
    [
        (
            "add a readiness probe on /healthz port 8080 to cart",
            Probe(("readiness",), handler="http", path="/healthz", port=8080),
        ),
        (
            "add an http liveness probe /healthz:8080 to cart",
            Probe(("liveness",), handler="http", path="/healthz", port=8080),
        ),
        (
            "add readiness and liveness probes to cart at /healthz",
            Probe(("readiness", "liveness"), handler="http", path="/healthz"),
        ),
        (
            "add a startup probe to cart on /started port http after 10s every 5s",
            Probe(("startup",), handler="http", path="/started", port="http", period=5, delay=10),
        ),
        (
            "add a tcp liveness probe on port 6379 to cart",
            Probe(("liveness",), handler="tcp", port=6379),
        ),
        (
            "add a grpc readiness probe on port 9090 to cart",
            Probe(("readiness",), handler="grpc", port=9090),
        ),
        ("add probes to cart", Probe(("readiness", "liveness"))),
        (
            "add readiness probe to cart with path /ready",
            Probe(("readiness",), handler="http", path="/ready"),
        ),
        (
            "add a liveness probe to cart hitting /live on port 8080",
            Probe(("liveness",), handler="http", path="/live", port=8080),
        ),
        ("add a health check to cart", Probe(("readiness", "liveness"))),
        ("remove the liveness probe from cart", Probe(("liveness",), remove=True)),
    ],
)
def test_probe_phrasings(intent: str, spec: Probe) -> None:
    clause = one(intent)
    assert clause.spec == spec
    assert clause.subject == "cart"


@pytest.mark.parametrize(
    ("intent", "spec"),
    [
        ("expose cart on port 8080", Expose(port=8080)),
        ("expose cart port 8080 as 80", Expose(port=80, target=8080)),
        ("expose cart port 80:http", Expose(port=80, target="http")),
        ("expose cart on port 80 targeting 8080", Expose(port=80, target=8080)),
        ("create a service for cart", Expose()),
        ("expose cart as a NodePort", Expose(type="NodePort")),
        ("create a headless service for cart", Expose(type="Headless")),
        ("expose cart on 80 as a LoadBalancer", Expose(port=80, type="LoadBalancer")),
    ],
)
def test_expose_phrasings(intent: str, spec: Expose) -> None:
    clause = one(intent)
    assert clause.spec == spec
    assert clause.subject == "cart"


@pytest.mark.parametrize(
    ("intent", "spec"),
    [
        ("autoscale cart from 2 to 10 at 70% cpu", Autoscale(min=2, max=10, cpu=70)),
        ("autoscale cart between 2 and 10 replicas", Autoscale(min=2, max=10)),
        ("add an hpa to cart with min 2 and max 6", Autoscale(min=2, max=6)),
        (
            "create a horizontal pod autoscaler for cart with max 8 and 60% cpu",
            Autoscale(max=8, cpu=60),
        ),
        ("autoscale cart at 75% memory", Autoscale(memory=75)),
        ("add an HPA for cart targeting 65%", Autoscale(cpu=65)),
        ("remove the hpa from cart", Autoscale(remove=True)),
        ("add a pdb for cart with minAvailable 1", Budget(min_available=1)),
        ("create a pod disruption budget for cart, max unavailable 1", Budget(max_unavailable=1)),
        ("add a pdb to cart with at least 50% available", Budget(min_available="50%")),
        ("add a pdb for cart with maxUnavailable 25%", Budget(max_unavailable="25%")),
        ("create a disruption budget for cart", Budget()),
        ("delete the pdb of cart", Budget(remove=True)),
        ("set imagePullPolicy to Always on cart", PullPolicy("Always")),
        ("set the pull policy of cart to if not present", PullPolicy("IfNotPresent")),
        ("always pull the cart image", PullPolicy("Always")),
        ("set image pull policy of cart to Never", PullPolicy("Never")),
        ("harden cart", Security()),
        ("lock down cart", Security()),
        ("run cart as non-root", Security(("runAsNonRoot",))),
        ("make the root filesystem of cart read-only", Security(("readOnlyRootFilesystem",))),
        ("disallow privilege escalation on cart", Security(("allowPrivilegeEscalation",))),
        ("drop all capabilities on cart", Security(("dropCapabilities",))),
        ("use the RuntimeDefault seccomp profile for cart", Security(("seccomp",))),
        ("delete the cart deployment", Delete()),
    ],
)
def test_object_and_security_phrasings(intent: str, spec: object) -> None:
    clause = one(intent)
    assert clause.spec == spec
    assert clause.subject in {"cart", "cart deployment"}


def test_several_requests_carry_subject_and_verb() -> None:
    clauses = parse_intent("set checkout replicas to 2 and its memory limit to 256Mi", OVERLAYS)
    assert [c.spec for c in clauses] == [
        Scale("set", 2),
        Resources((("limits", "memory", "256Mi"),)),
    ]
    assert [c.subject for c in clauses] == ["checkout", ""]

    clauses = parse_intent("scale checkout to 2, cart to 3; then double payments", OVERLAYS)
    assert [(c.spec, c.subject) for c in clauses] == [
        (Scale("set", 2), "checkout"),
        (Scale("set", 3), "cart"),
        (Scale("mul", 2.0), "payments"),
    ]

    clauses = parse_intent("set cart cpu request to 100m and limit to 500m", OVERLAYS)
    assert [c.spec for c in clauses] == [
        Resources((("requests", "cpu", "100m"),)),
        Resources((("limits", "cpu", "500m"),)),
    ]


def test_joined_pieces_keep_lists_and_ranges_together() -> None:
    assert [c.subject for c in parse_intent("scale checkout and cart to 3", OVERLAYS)] == [
        "checkout cart"
    ]
    (clause,) = parse_intent("create a pdb for checkout, max unavailable 1", OVERLAYS)
    assert clause.spec == Budget(max_unavailable=1)
    (clause,) = parse_intent("autoscale checkout between 2 and 10", OVERLAYS)
    assert clause.spec == Autoscale(min=2, max=10)


@pytest.mark.parametrize(
    ("intent", "env"),
    [
        ("scale checkout to 3 in prod", "prod"),
        ("scale checkout to 3 in production", "prod"),
        ("for staging, scale checkout to 3", "staging"),
        ("scale checkout to 3 on stage", "staging"),
        ("scale checkout to 3 in the prod overlay", "prod"),
        ("prod: scale checkout to 3", "prod"),
        ("scale checkout to 3", None),
    ],
)
def test_environment_words(intent: str, env: str | None) -> None:
    clause = one(intent)
    assert clause.env == env
    assert clause.subject == "checkout"


@pytest.mark.parametrize(
    "intent",
    [
        "scale checkout to 3 in prod and staging",
        "scale checkout to 3 in both prod and staging",
        "scale checkout to 3 for prod, staging",
        "prod, staging: scale checkout to 3",
        "scale checkout to 3 in the prod and staging overlays",
    ],
)
def test_several_environments(intent: str) -> None:
    clause = one(intent)
    assert clause.envs == ("prod", "staging")
    assert clause.subject == "checkout"


def test_one_environment_applies_to_every_request() -> None:
    clauses = parse_intent("in prod scale checkout to 3 and set its memory limit to 1Gi", OVERLAYS)
    assert [c.env for c in clauses] == ["prod", "prod"]


@pytest.mark.parametrize(
    ("intent", "container", "subject"),
    [
        ("set the memory limit of container web in frontend to 64Mi", "web", "frontend"),
        ("set frontend's web container memory limit to 64Mi", "web", "frontend"),
        ("set the memory limit of all containers of frontend to 64Mi", "*", "frontend"),
    ],
)
def test_container_words(intent: str, container: str, subject: str) -> None:
    clause = one(intent)
    assert clause.container == container
    assert clause.subject == subject


def test_namespace_words() -> None:
    clause = one("scale checkout in namespace shop-prod to 3")
    assert clause.namespace == "shop-prod"
    assert clause.subject == "checkout"


@pytest.mark.parametrize(
    ("intent", "hint"),
    [
        ("make it faster", ""),
        ("scale checkout", "replica count"),
        ("set cart memory limit", "amount"),
        ("set the memory limit to 256Mi", "which resource"),
        ("set cart memory limit to 256", "unit"),
    ],
)
def test_not_understood_says_what_is_missing(intent: str, hint: str) -> None:
    with pytest.raises(NotUnderstood) as info:
        parse_intent(intent, OVERLAYS)
    assert hint in info.value.hint


def test_fragments_keep_quoted_separators() -> None:
    assert [f.text for f in fragments('set env A="x, y and z" on cart and scale cart to 2')] == [
        'set env A="x, y and z" on cart',
        "scale cart to 2",
    ]


@pytest.mark.parametrize(
    ("text", "cpu"),
    [("100m", "100m"), ("0.5", "500m"), ("2", "2"), ("1.5 cores", "1500m"), ("2 cpus", "2")],
)
def test_cpu_quantities(text: str, cpu: str) -> None:
    assert cpu_quantity(text) == cpu


@pytest.mark.parametrize(
    ("text", "memory"),
    [("256Mi", "256Mi"), ("256MiB", "256Mi"), ("1GB", "1G"), ("1.5Gi", "1.5Gi"), ("64mi", "64Mi")],
)
def test_memory_quantities(text: str, memory: str) -> None:
    assert memory_quantity(text) == memory


def test_memory_without_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="256"):
        memory_quantity("256")


@pytest.mark.parametrize(
    ("intent", "spec", "subject"),
    [
        ("harden add-capabilities", Security(), "add-capabilities"),
        ("scale scale-test to 3", Scale("set", 3), "scale-test"),
        ("double base/scale.yaml", Scale("mul", 2.0), "base/scale.yaml"),
        ("add label a=b to image-puller", Meta("labels", set=(("a", "b"),)), "image-puller"),
        ("remove the cpu limit from drop-in", Resources((("limits", "cpu", None),)), "drop-in"),
    ],
)
def test_keywords_inside_names_are_names(intent: str, spec: object, subject: str) -> None:
    clause = one(intent)
    assert clause.spec == spec
    assert clause.subject == subject


def test_numbers_and_keywords_inside_names() -> None:
    clause = one("set engine-v2-0 memory limit to 1Gi")
    assert clause.spec == Resources((("limits", "memory", "1Gi"),))
    assert clause.subject == "engine-v2-0"
    clause = one("create a service for checkout-service-blue")
    assert clause.spec == Expose()
    assert clause.subject == "checkout-service-blue"


def test_a_continuation_takes_only_what_it_needs() -> None:
    clauses = parse_intent(
        "create a pdb for checkout, max unavailable 1, scale cart to 3", OVERLAYS
    )
    assert [(c.spec, c.subject) for c in clauses] == [
        (Budget(max_unavailable=1), "checkout"),
        (Scale("set", 3), "cart"),
    ]
    clauses = parse_intent(
        "add label a=b to cart, set memory request and limit to 1Gi on it", OVERLAYS
    )
    assert [(c.spec, c.subject) for c in clauses] == [
        (Meta("labels", set=(("a", "b"),)), "cart"),
        (Resources((("requests", "memory", "1Gi"), ("limits", "memory", "1Gi"))), ""),
    ]
