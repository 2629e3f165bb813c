"""Evaluate bound policies against objects, with the API server's admission semantics.

Order per (policy, binding, params, object), as in the API server: match constraints → binding
match → matchConditions → validations (``variables`` computed lazily inside each expression via
``cel.bind``, so an unused variable can never fail a check). A runtime error follows the policy's
``failurePolicy``: ``Fail`` reports it, ``Ignore`` skips the check. Each evaluation's cost is
bounded (see :mod:`celenv`), so a runaway expression becomes a finding, not a hang.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from kubesmith.tools.policy.celenv import CelCompileError, CelEnvironment, EvalError, Program
from kubesmith.tools.policy.matching import Kinds, Target, matches
from kubesmith.tools.policy.model import Action, Binding, Named, Policy, PolicySet, Validation
from kubesmith.tools.policy.params import resolve_params

Outcome = Literal["violation", "error"]


@dataclass(frozen=True)
class Violation:
    """One failed validation (or a check that could not run) for one object."""

    policy: str
    binding: str
    index: int
    """Index of the validation; -1 for a matchCondition or parameter problem."""
    message: str
    actions: tuple[Action, ...]
    outcome: Outcome
    field_path: str | None = None
    pack: str | None = None


def normalize(value: Any) -> tuple[Any, int]:
    """A JSON-shaped copy of ``value`` (YAML timestamps become strings) and its largest size.

    The API server sees JSON; YAML's implicit dates would otherwise reach CEL as timestamps.
    """
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        size = len(value)
        for k, v in value.items():
            out[str(k)], s = normalize(v)
            size = max(size, s)
        return out, size
    if isinstance(value, list | tuple):
        items = []
        size = len(value)
        for v in value:
            item, s = normalize(v)
            items.append(item)
            size = max(size, s)
        return items, size
    if isinstance(value, datetime | date):
        return value.isoformat(), 0
    return value, 0


def wrap_variables(expression: str, variables: tuple[Named, ...]) -> str:
    """``expression`` with the policy variables it uses bound by nested ``cel.bind`` calls."""
    by_name = {v.name: v for v in variables}
    needed: set[str] = set()
    pending = re.findall(r"\bvariables\.([A-Za-z_]\w*)", expression)
    while pending:
        name = pending.pop()
        if name in by_name and name not in needed:
            needed.add(name)
            pending += re.findall(r"\bvariables\.([A-Za-z_]\w*)", by_name[name].expression)
    if not needed:
        return expression
    bound: list[str] = []
    layers = []
    for v in variables:
        if v.name not in needed:
            continue
        entries = [f"'{n}': variables.{n}" for n in bound] + [f"'{v.name}': ({v.expression})"]
        bound.append(v.name)
        layers.append(f"cel.bind(variables, {{{', '.join(entries)}}}, ")
    return "".join(layers) + f"({expression})" + ")" * len(layers)


_CHAIN = re.compile(r"\b(object|variables\.[A-Za-z_]\w*)((?:\.\??[A-Za-z_]\w*)*)(\()?")


@dataclass(frozen=True)
class _Bound:
    policy: Policy
    binding: Binding
    conditions: tuple[tuple[str, Program], ...]
    validations: tuple[tuple[Program, Program | None], ...]
    params: tuple[Any, ...] | None
    """Parameter objects to evaluate with (``(None,)`` without paramKind; ``None``: not found)."""


class Evaluator:
    """Evaluates a :class:`PolicySet` against objects; build once, call :meth:`evaluate` often."""

    def __init__(
        self, policies: PolicySet, env: CelEnvironment, overrides: dict[str, Any] | None = None
    ) -> None:
        self.env = env
        self.unbound: list[Policy] = []
        self.compile_problems: list[tuple[Policy, str]] = []
        self._bound: list[_Bound] = []
        by_name = {p.name: p for p in policies.policies}
        bound_names = set()
        for b in policies.bindings:
            policy = by_name.get(b.policy)
            if policy is None:
                continue
            bound_names.add(policy.name)
            try:
                self._bound.append(self._bind(policy, b, policies, overrides or {}))
            except CelCompileError as e:
                self.compile_problems.append((policy, str(e)))
        self.unbound = [p for p in policies.policies if p.name not in bound_names]

    def _bind(
        self, policy: Policy, binding: Binding, policies: PolicySet, overrides: dict[str, Any]
    ) -> _Bound:
        def compile_(source: str) -> Program:
            return self.env.compile(wrap_variables(source, policy.variables))

        return _Bound(
            policy,
            binding,
            tuple((c.name, self.env.compile(c.expression)) for c in policy.match_conditions),
            tuple(
                (
                    compile_(v.expression),
                    compile_(v.message_expression) if v.message_expression else None,
                )
                for v in policy.validations
            ),
            resolve_params(policy, binding, policies.params, overrides),
        )

    @property
    def bound(self) -> list[tuple[Policy, Binding]]:
        """The (policy, binding) pairs that will be evaluated."""
        return [(b.policy, b.binding) for b in self._bound]

    def evaluate(
        self,
        obj: dict[str, Any],
        kinds: Kinds,
        namespaces: dict[str, dict[str, Any]],
        skip: set[str] | None = None,
        applied: list[str] | None = None,
    ) -> list[Violation]:
        """The violations of ``obj``.

        Args:
            obj: the object, as written.
            kinds: kind → resource mapping (built-ins and the repository's CRDs).
            namespaces: Namespace objects by name (their labels feed namespace selectors).
            skip: policies (or packs) not to run on this object: its exemptions.
            applied: when given, receives the name of every policy that applied to ``obj``
                (matched and passed its matchConditions), violated or not.
        """
        target, ns_obj = _target(obj, kinds, namespaces)
        data, size = normalize(obj)
        base = {
            "object": data,
            "oldObject": None,
            "namespaceObject": ns_obj,
            "request": {
                "kind": {"group": target.group, "version": target.version, "kind": target.kind},
                "resource": {
                    "group": target.group,
                    "version": target.version,
                    "resource": target.resource,
                },
                "name": target.name,
                "namespace": target.namespace or "",
                "operation": "CREATE",
                "userInfo": {"username": "kubesmith", "groups": ["system:authenticated"]},
                "dryRun": True,
            },
        }
        activations: dict[int, tuple[Any, int]] = {}
        found: list[Violation] = []
        for b in self._bound:
            p = b.policy
            if skip and (p.name in skip or (p.pack and p.pack in skip)):
                continue
            if not matches(p.match, target):
                continue
            if b.binding.match is not None and not matches(b.binding.match, target):
                continue
            if b.params is None:
                found.append(self._violation(b, -1, "no parameter resource found", "error"))
                continue
            for params in b.params:
                key = id(params)
                if key not in activations:
                    psize = normalize(params)[1] if params is not None else 0
                    act = self.env.activation({**base, "params": params})
                    activations[key] = (act, max(size, psize))
                act, asize = activations[key]
                found += self._run(b, act, asize, data, applied)
        return found

    def _violation(
        self, b: _Bound, index: int, message: str, outcome: Outcome, path: str | None = None
    ) -> Violation:
        return Violation(
            b.policy.name, b.binding.name, index, message, b.binding.actions, outcome, path,
            b.policy.pack,
        )  # fmt: skip

    def _run(
        self, b: _Bound, act: Any, size: int, data: dict[str, Any], applied: list[str] | None
    ) -> list[Violation]:
        fail = b.policy.failure_policy == "Fail"
        for name, program in b.conditions:
            try:
                if self.env.evaluate(program, act, size) is not True:
                    return []
            except EvalError as e:
                return (
                    [self._violation(b, -1, f"matchCondition {name}: {e}", "error")] if fail else []
                )
        if applied is not None:
            applied.append(b.policy.name)
        out = []
        for i, (program, message_program) in enumerate(b.validations):
            validation = b.policy.validations[i]
            try:
                ok = self.env.evaluate(program, act, size)
            except EvalError as e:
                if fail:
                    out.append(self._violation(b, i, f"expression failed: {e}", "error"))
                continue
            if ok is True:
                continue
            if ok is not False:
                if fail:
                    out.append(
                        self._violation(b, i, f"expression returned {ok!r}, not a bool", "error")
                    )
                continue
            message = validation.message or f"failed expression: {validation.expression.strip()}"
            if message_program is not None:
                try:
                    text = self.env.evaluate(message_program, act, size)
                    if isinstance(text, str) and text.strip():
                        message = text.strip()
                except EvalError:
                    pass
            path = self._field_path(b, validation, act=act, size=size, data=data)
            out.append(self._violation(b, i, message, "violation", path))
        return out

    def _field_path(
        self, b: _Bound, validation: Validation, *, act: Any, size: int, data: dict[str, Any]
    ) -> str | None:
        """``fieldPath`` when declared, else the longest field chain the expression reads.

        Chains that exist in the object win over chains to absent fields, so a check over
        ``containers + initContainers`` points at the containers when there are no init ones.
        """
        if validation.field_path:
            return validation.field_path.lstrip(".")
        from kubesmith.model import format_path

        fallback: list[str | int] | None = None
        chains = sorted(_CHAIN.finditer(validation.expression), key=lambda m: -len(m.group(0)))
        for m in chains:
            head, rest = m.group(1), [s.lstrip("?") for s in m.group(2).split(".") if s]
            if m.group(3) and rest:
                rest.pop()  # a method call (``.all(``), not a field
            prefix: list[str | int] | None = []
            if head != "object":
                try:
                    program = self.env.compile(wrap_variables(head, b.policy.variables))
                    prefix = _locate(data, self.env.evaluate(program, act, size))
                except (EvalError, CelCompileError):
                    prefix = None
            if prefix is None:
                continue
            segments = [*prefix, *rest]
            if _exists(data, segments):
                return format_path(segments) if segments else None
            if fallback is None:
                fallback = segments
        return format_path(fallback) if fallback else None


def _exists(data: Any, segments: list[str | int]) -> bool:
    for seg in segments:
        in_dict = isinstance(data, dict) and seg in data
        in_list = isinstance(data, list) and isinstance(seg, int) and seg < len(data)
        if not (in_dict or in_list):
            return False
        data = data[seg]
    return True


def _target(
    obj: dict[str, Any], kinds: Kinds, namespaces: dict[str, dict[str, Any]]
) -> tuple[Target, dict[str, Any] | None]:
    """What matching needs to know about ``obj``, and its namespace object (when namespaced).

    A namespaced object without a namespace lands in ``default``, as ``kubectl apply`` puts it.
    """
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    kind = str(obj.get("kind", ""))
    raw_meta = obj.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    resource, namespaced = kinds.resource(group, kind)
    ns = str(meta.get("namespace") or "default") if namespaced else None
    ns_obj: dict[str, Any] | None = None
    ns_labels: dict[str, str] | None = None
    if ns is not None:
        ns_obj = namespaces.get(ns) or {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
        }
        ns_meta = ns_obj.get("metadata")
        raw = ns_meta.get("labels") if isinstance(ns_meta, dict) else None
        ns_labels = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    labels = meta.get("labels")
    target = Target(
        group=group,
        version=version,
        kind=kind,
        resource=resource,
        namespaced=namespaced,
        name=str(meta.get("name") or ""),
        namespace=ns,
        labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
        namespace_labels=ns_labels,
    )
    return target, ns_obj


def _locate(data: Any, value: Any, depth: int = 0) -> list[str | int] | None:
    """The path of the first node of ``data`` equal to ``value`` (breadth-limited search)."""
    if depth > 8 or value is None:
        return None
    if isinstance(data, dict):
        if data == value and depth:
            return []
        for k, v in data.items():
            if isinstance(v, dict | list):
                if v == value:
                    return [k]
                sub = _locate(v, value, depth + 1)
                if sub is not None:
                    return [k, *sub]
    elif isinstance(data, list):
        for i, v in enumerate(data):
            if isinstance(v, dict | list):
                if v == value:
                    return [i]
                sub = _locate(v, value, depth + 1)
                if sub is not None:
                    return [i, *sub]
    return None
