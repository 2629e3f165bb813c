"""Objects converted to the version a ``matchPolicy: Equivalent`` rule names.

A policy written for ``autoscaling/v2`` HorizontalPodAutoscalers also runs, in a cluster, on one
created as ``autoscaling/v1``: the API server converts the object to the version the rule names
before evaluating. Offline the same happens here for the conversions kubesmith knows: a custom
resource changes only its ``apiVersion`` (the ``None`` conversion strategy; a webhook's cannot be
reproduced) and a HorizontalPodAutoscaler's CPU target moves between its v1 and v2 forms.
"""

from __future__ import annotations

import copy
from typing import Any

_CPU = "cpu"


def _hpa_to_v2(spec: dict[str, Any]) -> None:
    target = spec.pop("targetCPUUtilizationPercentage", None)
    if target is not None:
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": _CPU,
                    "target": {"type": "Utilization", "averageUtilization": target},
                },
            }
        ]


def _hpa_to_v1(spec: dict[str, Any]) -> None:
    metrics = spec.pop("metrics", None) or []
    spec.pop("behavior", None)
    for m in metrics:
        resource = m.get("resource") if isinstance(m, dict) else None
        if not isinstance(resource, dict) or resource.get("name") != _CPU:
            continue
        target = resource.get("target")
        if isinstance(target, dict) and target.get("type") == "Utilization":
            spec["targetCPUUtilizationPercentage"] = target.get("averageUtilization")


def convert(obj: dict[str, Any], group: str, version: str) -> dict[str, Any]:
    """A copy of ``obj`` as the API server would present it at ``group/version``."""
    out = copy.deepcopy(obj)
    out["apiVersion"] = f"{group}/{version}" if group else version
    spec = out.get("spec")
    if (
        group == "autoscaling"
        and obj.get("kind") == "HorizontalPodAutoscaler"
        and isinstance(spec, dict)
    ):
        (_hpa_to_v2 if version == "v2" else _hpa_to_v1)(spec)
    return out
