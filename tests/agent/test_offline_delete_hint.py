"""A deletion without a kind word ("delete redis") says why it is not done and how to say it."""

from __future__ import annotations

import pytest

from kubesmith.agent.offline import OfflinePlanner
from kubesmith.errors import IntentNotUnderstood
from kubesmith.model import DeleteResource
from kubesmith.workspace import Workspace


@pytest.mark.parametrize("intent", ["delete redis", "please delete checkout", "drop cart"])
def test_a_deletion_without_a_kind_asks_for_one(shop: Workspace, intent: str) -> None:
    with pytest.raises(IntentNotUnderstood, match="kind") as info:
        OfflinePlanner().plan(intent, shop)
    assert "delete the cart-cleanup cronjob" in str(info.value)


def test_with_a_kind_it_deletes(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("delete the redis statefulset", shop)
    assert [type(e) for e in cs.edits] == [DeleteResource]


def test_removing_an_env_var_is_still_a_removal(shop: Workspace) -> None:
    cs = OfflinePlanner().plan("delete the REDIS_ADDR env var from cart", shop)
    assert cs.edits and not any(isinstance(e, DeleteResource) for e in cs.edits)
