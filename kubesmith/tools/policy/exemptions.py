"""Which policies a resource is exempt from (``policy.exemptions`` in ``.kubesmith.yaml``).

An exemption names a policy (or a whole pack) and narrows it to resources by kind, name,
namespace and — as Kyverno and Gatekeeper users expect for pod security — container images:
with ``images`` set it holds only when every image of the pod (template) matches one glob.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Any

from kubesmith.config import PolicyExemption
from kubesmith.kinds import pod_spec_keys
from kubesmith.model import ResourceRef


def pod_images(obj: dict[str, Any]) -> list[str]:
    """Every container image of a Pod or of a workload's pod template."""
    spec: Any = obj
    for key in pod_spec_keys(str(obj.get("kind"))) or ("spec", "template", "spec"):
        spec = spec.get(key) if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return []
    images = []
    for group in ("containers", "initContainers", "ephemeralContainers"):
        for c in spec.get(group) or []:
            if isinstance(c, dict) and isinstance(c.get("image"), str):
                images.append(c["image"])
    return images


def applies(e: PolicyExemption, ref: ResourceRef, obj: dict[str, Any]) -> bool:
    """True when exemption ``e`` covers the resource ``ref`` (whose object is ``obj``)."""
    if e.kind is not None and e.kind != ref.kind:
        return False
    if e.name is not None and e.name != ref.name:
        return False
    if e.namespace is not None and e.namespace != ref.namespace:
        return False
    if e.images:
        images = pod_images(obj)
        return bool(images) and all(any(fnmatchcase(i, g) for g in e.images) for i in images)
    return True


def exempted(
    exemptions: Sequence[PolicyExemption], ref: ResourceRef, obj: dict[str, Any]
) -> set[str]:
    """The policy and pack names ``ref`` is exempt from."""
    return {e.policy for e in exemptions if applies(e, ref, obj)}
