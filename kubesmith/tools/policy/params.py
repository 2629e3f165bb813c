"""Find the parameter objects a binding refers to (``paramRef``), or the configured overrides.

Offline there is no API server to list ``paramKind`` objects from, so candidates are the
non-policy documents in the policy files (the packs ship their default ConfigMaps that way) and
``.kubesmith.yaml``'s ``policy.params``, keyed by policy or binding name, which win.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kubesmith.tools.policy.model import Binding, Policy


def _as_param(policy: Policy, value: Any) -> Any:
    """An override as the policy sees it: plain mappings become a ConfigMap's ``data``."""
    if not isinstance(value, dict) or "kind" in value or policy.param_kind is None:
        return value
    if policy.param_kind[1] != "ConfigMap":
        return value
    data = {
        str(k): ",".join(str(i) for i in v) if isinstance(v, list | tuple) else str(v)
        for k, v in value.items()
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": policy.name},
        "data": data,
    }


def resolve_params(
    policy: Policy,
    binding: Binding,
    candidates: Sequence[dict[str, Any]],
    overrides: dict[str, Any],
) -> tuple[Any, ...] | None:
    """The parameter objects to evaluate ``policy`` with under ``binding``.

    Returns ``(None,)`` for a policy without ``paramKind``, ``()`` when parameters are missing and
    the binding says ``Allow`` (the policy is then skipped) and ``None`` when they are missing and
    the binding says ``Deny`` (every matched object is then rejected, as in a cluster).
    """
    if policy.param_kind is None:
        return (None,)
    for key in (binding.name, policy.name):
        if key in overrides:
            return (_as_param(policy, overrides[key]),)
    ref = binding.param_ref
    if ref is None:
        return None
    api_version, kind = policy.param_kind
    found = []
    for obj in candidates:
        if obj.get("apiVersion") != api_version or obj.get("kind") != kind:
            continue
        meta = obj.get("metadata") or {}
        if ref.namespace and meta.get("namespace") != ref.namespace:
            continue
        if ref.name is not None and meta.get("name") != ref.name:
            continue
        if ref.selector is not None:
            labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
            if not ref.selector.matches(labels):
                continue
        found.append(obj)
    if found:
        return tuple(found)
    return () if ref.not_found_action == "Allow" else None
