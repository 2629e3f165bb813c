"""Evaluate bound policies against objects, with the API server's admission semantics.

Order per (policy, binding, params, object), as in the API server: match constraints → binding
match → matchConditions → validations. A runtime error follows the policy's ``failurePolicy``:
``Fail`` reports it, ``Ignore`` skips the check. Each evaluation's cost is bounded (see
:mod:`celenv`), so a runaway expression becomes a finding, not a hang.

Speed: a policy's ``variables`` are computed once per object and shared by every policy with the
same definitions (the packs' policies all share ``podSpec`` and ``containers``); when computing
one fails, that policy falls back to self-contained expressions that bind variables lazily
(``cel.bind``), so an unused broken variable never fails a check — the API server's semantics.
Which policies' rules select a kind of resource is cached per resource type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from kubesmith.model import PathSegment
from kubesmith.tools.policy.audit import evaluate_annotations
from kubesmith.tools.policy.bound import Bound, Selector
from kubesmith.tools.policy.celenv import CelCompileError, CelEnvironment, EvalError, Program
from kubesmith.tools.policy.convert import convert
from kubesmith.tools.policy.exprs import normalize, wrap_variables
from kubesmith.tools.policy.fieldpath import infer_path, item_checks, item_path, locate
from kubesmith.tools.policy.matching import Kinds, Target, target_of
from kubesmith.tools.policy.model import Action, Binding, Policy, PolicySet
from kubesmith.tools.policy.params import ParamProblem
from kubesmith.tools.policy.scope import NeedsJson, Scope, admission_input

Outcome = Literal["violation", "error", "annotation"]
"""A failed validation, a check that could not run, or an audit annotation's published value."""


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


class Evaluator:
    """Evaluates a :class:`PolicySet` against objects; build once, call :meth:`evaluate` often."""

    def __init__(
        self, policies: PolicySet, env: CelEnvironment, overrides: dict[str, Any] | None = None
    ) -> None:
        self.env = env
        self.compile_problems: list[tuple[Policy, str]] = []
        """Kept for callers: expressions compile when first used, so this stays empty."""
        self._selector = Selector(policies, overrides or {})
        self._bound = self._selector.bound
        by_name = {p.name: p for p in policies.policies}
        bound_names = {b.policy.name for b in self._bound}
        self.unbound = [p for p in policies.policies if p.name not in bound_names]
        self.orphans = [b for b in policies.bindings if b.policy not in by_name]
        """Bindings naming a policy that is not loaded (absent, or broken and reported)."""
        self._programs: dict[tuple[int, str], Program] = {}
        self._fused: dict[tuple[int, ...], Program] = {}

    def _lazy(self, policy: Policy, source: str) -> Program:
        """``source`` with the policy's variables bound inside it (compiled once, on demand)."""
        key = (id(policy), source)
        program = self._programs.get(key)
        if program is None:
            program = self._programs[key] = self.env.compile(
                wrap_variables(source, policy.variables)
            )
        return program

    def _variables_program(self, b: Bound) -> Program | None:
        return self._lazy(b.policy, b.all_variables) if b.all_variables else None

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
        target, ns_obj = target_of(obj, kinds, namespaces)
        by_version: dict[str, list[tuple[Bound, Any]]] = {}
        found: list[Violation] = []
        for b, version in self._selector.selected(target, kinds):
            if skip and (b.policy.name in skip or (b.policy.pack or "") in skip):
                continue
            params = self._selector.params_for(b, target, kinds)
            if isinstance(params, ParamProblem):
                if b.policy.failure_policy == "Fail":
                    message = f"failed to configure binding: {params.message}"
                    found.append(_violation(b, -1, message, "error"))
                continue
            by_version.setdefault(version, []).extend((b, p) for p in params)
        for version, selected in by_version.items():
            data = obj if version == target.version else convert(obj, target.group, version)
            found += self._converted(data, target, ns_obj, selected, applied)
        return found

    def _converted(
        self,
        data: dict[str, Any],
        t: Target,
        ns_obj: dict[str, Any] | None,
        selected: list[tuple[Bound, Any]],
        applied: list[str] | None,
    ) -> list[Violation]:
        """The violations of ``data`` (``t``'s object at the version the policies match)."""
        mark = len(applied) if applied is not None else 0
        try:
            return self._evaluate(data, t, ns_obj, selected, applied)
        except NeedsJson:
            if applied is not None:
                del applied[mark:]
            return self._evaluate(normalize(data), t, ns_obj, selected, applied)

    def _evaluate(
        self,
        data: dict[str, Any],
        t: Target,
        ns_obj: dict[str, Any] | None,
        selected: list[tuple[Bound, Any]],
        applied: list[str] | None,
    ) -> list[Violation]:
        scope = Scope(self.env, admission_input(data, t, ns_obj))
        found: list[Violation] = []
        groups: dict[tuple[int, tuple[tuple[str, str], ...]], tuple[Any, list[Bound]]] = {}
        for b, params in selected:
            if b.conditions:
                found += self._run(b, scope, params, applied)
            else:
                key = (id(params), b.variables_key)
                groups.setdefault(key, (params, []))[1].append(b)
        for params, group in groups.values():
            found += self._run_group(group, scope, params, applied)
        return found

    def _run_group(
        self, group: list[Bound], scope: Scope, params: Any, applied: list[str] | None
    ) -> list[Violation]:
        """All validations of policies sharing variables and params, in one evaluation.

        The variables are bound once inside it (``cel.bind``). Falls back to one evaluation per
        validation when the combined one fails (one erroring validation fails the whole list).
        """
        key = tuple(id(b) for b in group)
        program = self._fused.get(key)
        if program is None:
            sources = [f"({v.expression})" for b in group for v in b.policy.validations]
            program = self._lazy(group[0].policy, "[" + ", ".join(sources) + "]")
            self._fused[key] = program
        try:
            results = self._eval(program, scope.activation(params), scope)
        except EvalError:
            return [v for b in group for v in self._run(b, scope, params, applied)]
        out: list[Violation] = []
        position = 0
        for b in group:
            if applied is not None:
                applied.append(b.policy.name)
            for i in range(len(b.checks)):
                ok = results[position]
                position += 1
                if ok is False:
                    shared = (
                        scope.with_variables(b.variables_key, self._variables_program(b), params)
                        if b.variables
                        else None
                    )
                    act, values = shared or (scope.activation(params), None if b.variables else {})
                    out.append(self._failed(b, i, scope, act, values))
                elif ok is not True and b.policy.failure_policy == "Fail":
                    out.append(_violation(b, i, f"expression returned {ok!r}, not a bool", "error"))
        for b in group:
            out += self._annotations(b, scope, params)
        return out

    def _eval(self, program: Program, act: Any, scope: Scope) -> Any:
        try:
            return self.env.evaluate(program, act, scope.size)
        except EvalError as e:
            if "Non-CEL value" in str(e):
                raise NeedsJson from e
            raise

    def _run(
        self, b: Bound, scope: Scope, params: Any, applied: list[str] | None
    ) -> list[Violation]:
        fail = b.policy.failure_policy == "Fail"
        base_act = scope.activation(params)
        for name, source in b.conditions:
            try:
                if self._eval(self.env.compile(source), base_act, scope) is not True:
                    return []
            except (EvalError, CelCompileError) as e:
                return [_violation(b, -1, f"matchCondition {name}: {e}", "error")] if fail else []
        if applied is not None:
            applied.append(b.policy.name)
        shared = (
            scope.with_variables(b.variables_key, self._variables_program(b), params)
            if b.variables
            else (base_act, {})
        )
        act, values = shared if shared is not None else (base_act, None)
        out = []
        for i, check in enumerate(b.checks):
            try:
                program = (
                    self.env.compile(check.expression)
                    if values is not None
                    else self._lazy(b.policy, check.expression)
                )
                ok = self._eval(program, act, scope)
            except (EvalError, CelCompileError) as e:
                if fail:
                    out.append(_violation(b, i, f"expression failed: {e}", "error"))
                continue
            if ok is True:
                continue
            if ok is not False:
                if fail:
                    out.append(_violation(b, i, f"expression returned {ok!r}, not a bool", "error"))
                continue
            out.append(self._failed(b, i, scope, act, values))
        return out + self._annotations(b, scope, params)

    def _annotations(self, b: Bound, scope: Scope, params: Any) -> list[Violation]:
        """The policy's audit annotations for this request (values and failures)."""
        if not b.policy.audit_annotations:
            return []
        act = scope.activation(params)
        results = evaluate_annotations(
            b.policy, lambda source: self._eval(self._lazy(b.policy, source), act, scope)
        )
        return [
            _violation(b, -1, f"audit annotation {b.policy.name}/{r.key}: {r.error}", "error")
            if r.error
            else _violation(b, -1, f"audit annotation {b.policy.name}/{r.key}: {r.value}",
                            "annotation")
            for r in results
        ]  # fmt: skip

    def _failed(
        self, b: Bound, i: int, scope: Scope, act: Any, values: dict[str, Any] | None
    ) -> Violation:
        """The violation of validation ``i``: its message (expression) and field path."""
        validation = b.policy.validations[i]
        check = b.checks[i]
        message = validation.message or f"failed expression: {validation.expression.strip()}"
        if check.message:
            try:
                program = (
                    self.env.compile(check.message)
                    if values is not None
                    else self._lazy(b.policy, check.message)
                )
                text = self._eval(program, act, scope)
                if isinstance(text, str) and text.strip():
                    message = text.strip()
            except (EvalError, CelCompileError):
                pass
        path = (
            validation.field_path.lstrip(".")
            or self._failing_item(b, validation.expression, scope, act, values)
            or infer_path(
                validation.expression, scope.base["object"], self._resolver(b, scope, act, values)
            )
        )
        return _violation(b, i, message, "violation", path)

    def _failing_item(
        self, b: Bound, expression: str, scope: Scope, act: Any, values: dict[str, Any] | None
    ) -> str | None:
        """The path of the first list item a failed ``LIST.all(x, ...)`` rejects, if any."""
        for chain, var, body in item_checks(expression):
            sources = (f"({chain}).map({var}, ({body}))", chain)
            try:
                if values is not None:
                    verdicts, items = (self._eval(self.env.compile(s), act, scope) for s in sources)
                else:
                    verdicts, items = (
                        self._eval(self._lazy(b.policy, s), act, scope) for s in sources
                    )
            except (EvalError, CelCompileError):
                continue
            if not isinstance(verdicts, list) or not isinstance(items, list):
                continue
            failing = next((i for i, ok in enumerate(verdicts) if ok is not True), None)
            if failing is not None and failing < len(items):
                path = item_path(scope.base["object"], items[failing], var, body)
                if path:
                    return path
        return None

    def _resolver(
        self, b: Bound, scope: Scope, act: Any, values: dict[str, Any] | None
    ) -> Callable[[str], list[PathSegment] | None]:
        def resolve(name: str) -> list[PathSegment] | None:
            if values is not None and name in values:
                return locate(scope.base["object"], values[name])
            if name not in b.variables:
                return None
            try:
                program = self._lazy(b.policy, f"variables.{name}")
                return locate(scope.base["object"], self.env.evaluate(program, act, scope.size))
            except (EvalError, CelCompileError):
                return None

        return resolve


def _violation(
    b: Bound, index: int, message: str, outcome: Outcome, path: str | None = None
) -> Violation:
    return Violation(
        b.policy.name, b.binding.name, index, message, b.binding.actions, outcome, path,
        b.policy.pack,
    )  # fmt: skip
