"""Bound policies: which (policy, binding) pairs select an object, and with which parameters.

A policy runs once per binding; matching is the policy's ``matchConstraints`` then the binding's
``matchResources`` (rules, which depend only on the resource type and are cached per type, then
selectors, which depend on the object). Parameters are looked up per namespace of the admitted
object (:mod:`params`) and cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubesmith.tools.policy.matching import (
    Kinds,
    Target,
    names_matter,
    rules_match,
    selectors_match,
)
from kubesmith.tools.policy.model import Binding, Policy, PolicySet
from kubesmith.tools.policy.params import ParamProblem, resolve_params


@dataclass(frozen=True)
class Check:
    """One validation; compiled on first use (against precomputed variables, or
    self-contained), so policies that never apply cost nothing."""

    expression: str
    message: str


@dataclass(frozen=True)
class Bound:
    """A policy under one of its bindings, with what evaluating it needs."""

    policy: Policy
    binding: Binding
    conditions: tuple[tuple[str, str], ...]
    """(name, expression) of each matchCondition."""
    checks: tuple[Check, ...]
    variables: tuple[str, ...]
    """The names of the policy's variables."""
    variables_key: tuple[tuple[str, str], ...]
    """The variable definitions: policies with equal keys share computed values."""
    all_variables: str | None
    """Every variable in one map, each computed once: the fast way to precompute them."""


def bind(policy: Policy, binding: Binding) -> Bound:
    """``policy`` under ``binding``."""
    names = [v.name for v in policy.variables]
    return Bound(
        policy,
        binding,
        tuple((c.name, c.expression) for c in policy.match_conditions),
        tuple(Check(v.expression, v.message_expression) for v in policy.validations),
        tuple(names),
        tuple((v.name, v.expression) for v in policy.variables),
        "{" + ", ".join(f"'{n}': variables.{n}" for n in names) + "}" if names else None,
    )


class Selector:
    """The bound policies of a :class:`PolicySet` and which of them apply to an object."""

    def __init__(self, policies: PolicySet, overrides: dict[str, Any]) -> None:
        by_name = {p.name: p for p in policies.policies}
        self.bound = [bind(by_name[b.policy], b) for b in policies.bindings if b.policy in by_name]
        self._policies = policies
        self._overrides = overrides
        self._params: dict[tuple[int, str | None, bool], tuple[Any, ...] | ParamProblem] = {}
        self._candidates: dict[tuple[str, str, str, bool, Kinds], list[tuple[Bound, str]]] = {}
        self._dynamic = [
            b
            for b in self.bound
            if names_matter(b.policy.match) or (b.binding.match and names_matter(b.binding.match))
        ]

    def selected(self, t: Target, kinds: Kinds) -> list[tuple[Bound, str]]:
        """The bindings that select ``t``, each with the version its policy's rules match at
        (another than ``t``'s own under ``matchPolicy: Equivalent``)."""
        key = (t.group, t.version, t.resource, t.namespaced, kinds)
        if key not in self._candidates:
            self._candidates[key] = _matching(
                [b for b in self.bound if b not in self._dynamic], t, kinds
            )
        selected = self._candidates[key] + _matching(self._dynamic, t, kinds)
        return [
            (b, version)
            for b, version in selected
            if selectors_match(b.policy.match, t)
            and (b.binding.match is None or selectors_match(b.binding.match, t))
        ]

    def params_for(self, b: Bound, t: Target, kinds: Kinds) -> tuple[Any, ...] | ParamProblem:
        """The binding's parameter objects for an object in ``t``'s namespace (cached)."""
        namespaced = True
        if b.policy.param_kind is not None:
            api_version, kind = b.policy.param_kind
            namespaced = kinds.resource(api_version.rpartition("/")[0], kind)[1]
        key = (id(b), t.namespace, namespaced)
        if key not in self._params:
            self._params[key] = resolve_params(
                b.policy, b.binding, self._policies.params, self._overrides, t.namespace,
                namespaced,
            )  # fmt: skip
        return self._params[key]


def _matching(bound: list[Bound], t: Target, kinds: Kinds) -> list[tuple[Bound, str]]:
    out = []
    for b in bound:
        version = rules_match(b.policy.match, t, kinds)
        if version and (b.binding.match is None or rules_match(b.binding.match, t, kinds)):
            out.append((b, version))
    return out
