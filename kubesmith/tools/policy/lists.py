"""``kind: List`` (and ``PodList``, ``DeploymentList``... any ``*List`` with ``items``): kubectl
sends each item to the API server as a request of its own, so admission policies judge each item,
never the List. An item without ``apiVersion``/``kind`` takes the List's (``PodList`` → ``Pod``):
see :mod:`kubesmith.reading.lists`.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubesmith.model import Manifest
from kubesmith.reading.lists import ListItem, is_list


def flatten(manifests: Sequence[Manifest]) -> list[Manifest]:
    """``manifests`` with every List replaced by its items (those that are mappings)."""
    out: list[Manifest] = []
    for m in manifests:
        if not is_list(m.obj):
            out.append(m)
            continue
        items = m.obj["items"]
        out += [ListItem(m, i) for i, item in enumerate(items) if isinstance(item, dict)]
    return out
