"""Find the parameter objects a binding refers to (``paramRef``), or the configured overrides.

Offline there is no API server to list ``paramKind`` objects from, so candidates are the
non-policy documents in the policy files (the packs ship their default ConfigMaps that way) and
``.kubesmith.yaml``'s ``policy.params``, keyed by policy or binding name, which win.

The lookup follows the API server's (``CollectParams`` in kube-apiserver): a policy without
``paramKind``, or a binding without ``paramRef``, is evaluated once with ``params`` null; a
namespaced parameter is looked up in ``paramRef.namespace``, else in the namespace of the object
being admitted; a parameter document without ``metadata.namespace`` is where ``kubectl apply``
would create it, in ``default``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kubesmith.tools.policy.model import Binding, Policy

DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True)
class ParamProblem:
    """Why a binding's parameters cannot be used for one object: a configuration error, which
    the API server reports (``failurePolicy: Fail``) or ignores (``Ignore``)."""

    message: str


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
    namespace: str | None = None,
    namespaced_params: bool = True,
) -> tuple[Any, ...] | ParamProblem:
    """The parameter objects to evaluate ``policy`` with under ``binding`` for an object in
    ``namespace`` (``None``: cluster-scoped).

    Returns ``(None,)`` without ``paramKind`` or ``paramRef``; ``()`` when parameters are missing
    and the binding says ``Allow`` (the policy is then skipped); a :class:`ParamProblem` for a
    configuration error (missing with ``Deny``, a namespaced ``paramRef`` without namespace for
    a cluster-scoped object, a namespace on a cluster-scoped ``paramKind``).
    """
    if policy.param_kind is None:
        return (None,)
    for key in (binding.name, policy.name):
        if key in overrides:
            return (_as_param(policy, overrides[key]),)
    ref = binding.param_ref
    if ref is None:
        return (None,)
    where: str | None = None
    if namespaced_params:
        where = ref.namespace or namespace
        if not where:
            return ParamProblem(
                "cannot use namespaced paramRef in policy binding that matches cluster-scoped "
                "resources"
            )
    elif ref.namespace:
        return ParamProblem(
            "paramRef.namespace must not be provided for a cluster-scoped paramKind"
        )
    api_version, kind = policy.param_kind
    found = []
    for obj in candidates:
        if obj.get("apiVersion") != api_version or obj.get("kind") != kind:
            continue
        meta = obj.get("metadata") or {}
        if where is not None and (meta.get("namespace") or DEFAULT_NAMESPACE) != where:
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
    if ref.not_found_action == "Deny":
        return ParamProblem(
            "no params found for policy binding with `Deny` parameterNotFoundAction"
        )
    return ()
