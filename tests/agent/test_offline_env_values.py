"""``NAME=`` followed by a space has no value: the next word is never taken for one."""

from __future__ import annotations

import pytest

from kubesmith.agent.offline import OfflinePlanner
from kubesmith.errors import IntentNotUnderstood
from kubesmith.model import SetField
from kubesmith.workspace import Workspace


def env_values(shop: Workspace, intent: str) -> dict[str, object]:
    cs = OfflinePlanner().plan(intent, shop)
    return {
        str(e.path).rsplit("[name=", 1)[1].split("]")[0]: e.value
        for e in cs.edits
        if isinstance(e, SetField) and str(e.path).endswith(".value")
    }


@pytest.mark.parametrize(
    "intent", ["set env A= on checkout", "set env LOG_LEVEL= on cart", "set LOG_LEVEL= on cart"]
)
def test_a_dangling_equals_sign_takes_no_word_as_its_value(shop: Workspace, intent: str) -> None:
    with pytest.raises(IntentNotUnderstood, match="did not understand"):
        OfflinePlanner().plan(intent, shop)


@pytest.mark.parametrize(
    ("intent", "expected"),
    [
        ("set env LOG_LEVEL=debug on cart", {"LOG_LEVEL": "debug"}),
        ("set env LOG_LEVEL = debug on cart", {"LOG_LEVEL": "debug"}),
        ("set env LOG_LEVEL =debug on cart", {"LOG_LEVEL": "debug"}),
        ("set env GREETING= 'hello there' on cart", {"GREETING": "hello there"}),
        ('set env EMPTY="" on cart', {"EMPTY": ""}),
        ("set LOG_LEVEL=debug on cart", {"LOG_LEVEL": "debug"}),
    ],
)
def test_values_that_are_there_are_still_read(
    shop: Workspace, intent: str, expected: dict[str, object]
) -> None:
    assert env_values(shop, intent) == expected
