"""Per-object evaluation state: the admission input, activations, precomputed variables.

One :class:`Scope` lives for one object: CEL activations (the converted input) are built once
per parameter object, and a policy group's variables once per definition set.
"""

from __future__ import annotations

from typing import Any

from kubesmith.tools.policy.celenv import CelEnvironment, EvalError, Program
from kubesmith.tools.policy.exprs import largest_collection
from kubesmith.tools.policy.matching import Target


class NeedsJson(Exception):
    """The object holds values CEL refuses (YAML timestamps): evaluate its JSON form instead."""


class Scope:
    """Per-object state: activations by parameter object, variable values by definition set."""

    def __init__(self, env: CelEnvironment, base: dict[str, Any]) -> None:
        self.env = env
        self.base = base
        self._size: int | None = None
        self._activations: dict[int, Any] = {}
        self._variables: dict[tuple[int, tuple[tuple[str, str], ...]], Any] = {}

    def size(self) -> int:
        if self._size is None:
            self._size = largest_collection(self.base["object"])
        return self._size

    def activation(self, params: Any) -> Any:
        key = id(params)
        if key not in self._activations:
            try:
                self._activations[key] = self.env.activation({**self.base, "params": params})
            except (TypeError, ValueError, RuntimeError) as e:  # a value CEL cannot hold
                raise NeedsJson from e
        return self._activations[key]

    def with_variables(
        self, definitions: tuple[tuple[str, str], ...], program: Program | None, params: Any
    ) -> tuple[Any, dict[str, Any]] | None:
        """An activation with ``variables`` bound to what ``program`` computes (a map of every
        variable), or ``None`` when that fails; cached per variable ``definitions``."""
        key = (id(params), definitions)
        if key not in self._variables:
            result: tuple[Any, dict[str, Any]] | None = None
            try:
                values = (
                    self.env.evaluate(program, self.activation(params), self.size)
                    if program
                    else {}
                )
                act = self.env.activation({**self.base, "params": params, "variables": values})
                result = (act, values)
            except EvalError as e:
                if "Non-CEL value" in str(e):
                    raise NeedsJson from e
            self._variables[key] = result
        cached: tuple[Any, dict[str, Any]] | None = self._variables[key]
        return cached


def admission_input(
    data: dict[str, Any], t: Target, ns_obj: dict[str, Any] | None
) -> dict[str, Any]:
    """The admission variables every expression sees, for a CREATE of ``data``.

    ``request.kind``/``resource`` name the version ``data`` is at (the one the policy matched);
    ``requestKind``/``requestResource`` the version the object was written in.
    """
    version = str(data.get("apiVersion", "")).rpartition("/")[2] or t.version
    return {
        "object": data,
        "oldObject": None,
        "namespaceObject": ns_obj,
        "authorizer": {"__k8s_authorizer__": "offline"},  # its functions say it is unavailable
        "request": {
            "kind": {"group": t.group, "version": version, "kind": t.kind},
            "resource": {"group": t.group, "version": version, "resource": t.resource},
            "requestKind": {"group": t.group, "version": t.version, "kind": t.kind},
            "requestResource": {"group": t.group, "version": t.version, "resource": t.resource},
            "name": t.name,
            "namespace": t.namespace or "",
            "operation": "CREATE",
            "userInfo": {"username": "kubesmith", "groups": ["system:authenticated"]},
            "dryRun": True,
        },
    }
