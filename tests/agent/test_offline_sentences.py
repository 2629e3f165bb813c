"""Requests on separate lines or in separate sentences are separate requests: each keeps its
own number (they were read as one, and every resource got the first number)."""

from __future__ import annotations

import pytest

from kubesmith.agent.offline import OfflinePlanner
from kubesmith.model import SetField
from kubesmith.workspace import Workspace


def replicas(shop: Workspace, intent: str) -> dict[str, object]:
    cs = OfflinePlanner().plan(intent, shop)
    return {
        e.ref.name: e.value
        for e in cs.edits
        if isinstance(e, SetField) and str(e.path) == "spec.replicas"
    }


@pytest.mark.parametrize(
    "intent",
    [
        "scale cart to 3\nscale checkout to 4",
        "scale cart to 3\r\n\r\nscale checkout to 4\n",
        "scale cart to 3. scale checkout to 4",
        "Scale cart to 3. Then scale checkout to 4.",
        "scale cart to 3 and scale checkout to 4",
    ],
)
def test_each_request_keeps_its_number(shop: Workspace, intent: str) -> None:
    assert replicas(shop, intent) == {"cart": 3, "checkout": 4}


def test_a_version_with_dots_is_not_split(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("set checkout image tag to 1.5.0", shop)
    assert [e.value for e in cs.edits if isinstance(e, SetField)] == [
        "registry.example.com/shop/checkout:1.5.0"
    ]


@pytest.mark.parametrize(
    ("intent", "value"),
    [
        ("change checkout memory limit from 512Mi to 1Gi", "1Gi"),
        ("change checkout memory limit from 256Mi to 1Gi", "1Gi"),
        ("raise the cpu request of checkout from 100m to 200m", "200m"),
    ],
)
def test_from_a_to_b_is_one_edit_to_b(shop: Workspace, intent: str, value: str) -> None:
    cs = OfflinePlanner().plan(intent, shop)
    assert [e.value for e in cs.edits if isinstance(e, SetField)] == [value]


def test_a_wrong_from_count_is_asked_about(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("scale checkout from 3 to 5", shop)
    assert [e.value for e in cs.edits if isinstance(e, SetField)] == [5]
    assert any("2 replicas, not 3" in q for q in cs.questions), cs.questions


def test_a_right_from_count_asks_nothing(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("scale checkout from 2 to 5", shop)
    assert [e.value for e in cs.edits if isinstance(e, SetField)] == [5]
    assert cs.questions == ()
