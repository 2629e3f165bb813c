"""The CEL engine adapter: one cel-expr-python environment, compiled programs cached, costs bounded.

Why cel-expr-python (see docs/policy.md for the comparison): it wraps the C++ reference
implementation, so it parses optional types (``?.``, ``[?]``, ``orValue``), type-checks at compile
time with line and column positions, ships the cel-go ``strings`` extension real policies use, and
evaluates in microseconds.

Everything here is independent of admission semantics: :mod:`evaluator` decides what to evaluate.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubesmith.errors import ToolError
from kubesmith.tools.policy.programcache import ProgramCache

VARIABLES = ("object", "oldObject", "request", "params", "namespaceObject", "authorizer")
"""The names an admission expression may use besides ``variables``."""

MACROS = frozenset(
    {"all", "exists", "exists_one", "map", "filter", "transformList", "transformMap"}
)

COST_LIMIT = 1_000_000
"""Largest estimated number of comprehension steps one evaluation may take, checked before it
runs (the API server's per-expression limit is of the same order). Below it, the C++ runtime stops
any evaluation after about 10,000 comprehension iterations; both become evaluation errors."""


class CelCompileError(ValueError):
    """A syntax or type error in an expression, with its 1-based position in the expression."""

    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Program:
    """A compiled expression and what bounding its cost needs to know."""

    source: str
    compiled: Any
    depth: int
    """How deeply comprehension macros nest: the cost is bounded by ``size ** depth``."""
    literal_size: int
    """The longest list literal in the source (a comprehension may iterate over it)."""

    def estimated_cost(self, data_size: int) -> int:
        """Upper bound of comprehension steps when collections hold up to ``data_size`` items."""
        base = max(data_size, self.literal_size, 1)
        return int(base**self.depth)


class EvalError(RuntimeError):
    """An expression failed at run time (a missing field, a bad conversion, a cost overrun)."""


_NUMBER = "(?:int|uint|double)"
_CROSS_NUMERIC = re.compile(
    rf"no matching overload for '_(?:<|<=|>|>=)_' applied to '\({_NUMBER}, {_NUMBER}\)'"
)
_POSITION = re.compile(r"<input>:(\d+):(\d+): (.*?)(?:\n|$)")
STRING_LITERAL = re.compile(
    r"""[rRbB]*('''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")""", re.S
)


def matching_paren(source: str, open_index: int) -> int:
    """Index of the ``)`` closing the ``(`` at ``open_index`` (string literals skipped)."""
    depth = 0
    i = open_index
    while i < len(source):
        m = STRING_LITERAL.match(source, i)
        if m:
            i = m.end()
            continue
        ch = source[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def rewrite_optional_calls(source: str) -> str:
    """Turn the library's optional-returning calls into list calls plus ``[?0]`` (same meaning)."""
    for call, replacement in (
        (".validate(", ".k8sValidateList("),
        ("format.named(", "format.k8sNamedList("),
    ):
        start = source.find(call)
        while start >= 0:
            open_index = start + len(call) - 1
            close = matching_paren(source, open_index)
            if close < 0:
                break
            source = (
                source[:start]
                + replacement
                + source[open_index + 1 : close + 1]
                + "[?0]"
                + source[close + 1 :]
            )
            start = source.find(call, start + len(replacement))
    return source


def shape(source: str) -> tuple[int, int]:
    """Comprehension nesting depth and longest list literal of ``source`` (a lexical estimate)."""
    stack: list[bool] = []  # one entry per open bracket: is it a macro call?
    literal_counts: list[int] = []
    depth = best_depth = best_literal = 0
    i, prev = 0, ""
    while i < len(source):
        m = STRING_LITERAL.match(source, i)
        if m:
            i, prev = m.end(), "lit"
            continue
        ident = re.match(r"[A-Za-z_][A-Za-z0-9_]*", source[i:])
        if ident:
            word = ident.group(0)
            i += len(word)
            is_macro = word in MACROS and source[: i - len(word)].rstrip().endswith(".")
            prev = "macro" if is_macro and source[i:].lstrip().startswith("(") else "ident"
            continue
        ch = source[i]
        if ch == "(":
            stack.append(prev == "macro")
            if prev == "macro":
                depth += 1
                best_depth = max(best_depth, depth)
        elif ch == "[":
            stack.append(False)
            literal_counts.append(0 if prev in ("ident", "lit", ")") else 1)
        elif ch == "," and literal_counts and literal_counts[-1] > 0:
            literal_counts[-1] += 1
        elif ch in ")]" and stack:
            if stack.pop():
                depth -= 1
            if ch == "]" and literal_counts:
                best_literal = max(best_literal, literal_counts.pop())
        if not ch.isspace():
            prev = ")" if ch in ")]" else ch
        i += 1
    return best_depth, best_literal


class CelEnvironment:
    """One CEL environment with the Kubernetes libraries; compiles each source once.

    Thread-safe for compiling (a lock around the cache); programs are immutable once built.
    """

    def __init__(self) -> None:
        try:
            from cel_expr_python import cel
            from cel_expr_python.ext import ext_bindings, ext_optional, ext_strings
        except ImportError as e:  # pragma: no cover - depends on the installed extras
            raise ToolError(
                "policy evaluation needs cel-expr-python: pip install 'kubesmith[policy]'"
            ) from e
        self._cel = cel
        variables = dict.fromkeys((*VARIABLES, "variables"), cel.Type.DYN)
        self._env = cel.NewEnv(
            config=cel.NewEnvConfigFromYaml(_CONFIG),
            variables=variables,
            extensions=[
                ext_optional.ExtOptional(),
                ext_strings.ExtStrings(version=_STRINGS_VERSION),
                ext_bindings.ExtBindings(),
                cel.CelExtension("kubernetes", _declarations(cel)),
            ],
        )
        self._cache: dict[str, Program] = {}
        self._disk = ProgramCache(_fingerprint(cel))
        self._lock = threading.Lock()

    def compile(self, source: str) -> Program:
        """Compile ``source`` (cached by text).

        Raises:
            CelCompileError: on a syntax or type error, with the position in ``source``.
        """
        with self._lock:
            cached = self._cache.get(source)
            if cached is not None:
                return cached
            program = self._from_disk(source)
            if program is None:
                rewritten = rewrite_optional_calls(source)
                try:
                    compiled = self._env.compile(rewritten)
                except RuntimeError as e:
                    if not _CROSS_NUMERIC.search(str(e)):
                        raise _compile_error(str(e), source != rewritten) from e
                    compiled = self._cross_numeric(rewritten, e)
                depth, literal = shape(rewritten)
                program = Program(source, compiled, depth, literal)
                self._disk.put(source, (compiled.serialize(), depth, literal))
            self._cache[source] = program
            return program

    def _from_disk(self, source: str) -> Program | None:
        entry = self._disk.get(source)
        if entry is None:
            return None
        try:
            compiled = self._env.deserialize(entry[0])
        except (RuntimeError, ValueError, TypeError):
            return None  # a damaged entry: compile again
        return Program(source, compiled, entry[1], entry[2])

    def _cross_numeric(self, source: str, error: RuntimeError) -> Any:
        """``1 < 2.5``: the API server's environment compares numbers across types
        (``CrossTypeNumericComparisons``), the runtime here does too, only this checker refuses.
        Compiled unchecked when those are its only errors."""
        errors = [line for line in str(error).splitlines() if "ERROR:" in line]
        if not all(_CROSS_NUMERIC.search(line) for line in errors):
            raise _compile_error(str(error), False) from error
        return self._env.compile(source, disable_check=True)

    def activation(self, data: dict[str, Any]) -> Any:
        """Bind the variables for several evaluations over the same input."""
        return self._env.Activation(data)

    def evaluate(
        self, program: Program, activation: Any, data_size: int | Callable[[], int] = 0
    ) -> Any:
        """Run ``program``; the plain Python result.

        ``data_size`` (the largest collection in the input, or a function computing it) is only
        needed for three or more nested comprehensions: shallower ones are bounded by the
        engine's own iteration budget within milliseconds.

        Raises:
            EvalError: when evaluation fails or its estimated cost exceeds :data:`COST_LIMIT`.
        """
        if program.depth >= 3:
            size = data_size() if callable(data_size) else data_size
            cost = program.estimated_cost(size)
            if cost > COST_LIMIT:
                raise EvalError(
                    f"estimated cost {cost:,} exceeds the limit of {COST_LIMIT:,} "
                    f"({program.depth} nested comprehensions over up to {size} items)"
                )
        try:
            result = program.compiled.eval(activation)
        except RuntimeError as e:  # the engine's own iteration budget, raised rather than returned
            hint = (
                " (about 10,000 comprehension steps per evaluation)" if "budget" in str(e) else ""
            )
            raise EvalError(f"{e}{hint}") from e
        if result.type() == self._cel.Type.ERROR:
            raise EvalError(str(result.value()))
        return result.plain_value()


_STRINGS_VERSION = 2
"""The strings extension version the API server uses (Kubernetes 1.29+)."""
_CONFIG = "extensions:\n  - name: sets\n  - name: two-var-comprehensions\n"
"""cel-go extensions of the API server's environment: sets (1.29+), two-variable comprehensions
(``all(k, v, ...)``, ``transformList``..., 1.32+)."""

_SHARED: list[CelEnvironment] = []
_SHARED_LOCK = threading.Lock()


def shared_environment() -> CelEnvironment:
    """The process-wide environment, so every validator built reuses the compiled programs."""
    with _SHARED_LOCK:
        if not _SHARED:
            _SHARED.append(CelEnvironment())
        return _SHARED[0]


def _fingerprint(cel: Any) -> str:
    """What a serialized program depends on: the engine, this module's environment, the
    declared functions (their names and overload ids)."""
    from kubesmith.tools.policy.k8sextra import OVERLOADS
    from kubesmith.tools.policy.k8slib import FUNCTIONS

    engine = str(getattr(cel, "__file__", "unknown"))
    with contextlib.suppress(OSError):  # the engine binary itself, without reading metadata
        stat = os.stat(engine)
        engine += f":{stat.st_size}:{stat.st_mtime_ns}"
    parts = [engine, _CONFIG, str(_STRINGS_VERSION), *sorted(FUNCTIONS), *VARIABLES]
    parts += [f"{o[0]}:{o[1]}:{o[2]}:{','.join(o[3])}:{o[4]}" for o in OVERLOADS]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _compile_error(text: str, rewritten: bool) -> CelCompileError:
    m = _POSITION.search(text)
    if m is None:
        return CelCompileError(text.strip(), None, None)
    line, column, message = int(m.group(1)), int(m.group(2)), m.group(3).strip()
    if rewritten:  # positions refer to the rewritten source: say so rather than mislead
        message += " (position after rewriting format calls)"
    return CelCompileError(message, line, column)


def _declarations(cel: Any) -> list[Any]:
    from kubesmith.tools.policy.k8slib import (
        AUTHORIZER_ARITY,
        FUNCTIONS,
        GLOBAL_FUNCTIONS,
        REGEX_FUNCTIONS,
    )

    dyn, string = cel.Type.DYN, cel.Type.STRING
    arity = {
        "add": 2, "sub": 2, "isLessThan": 2, "isGreaterThan": 2, "compareTo": 2,
        "containsIP": 2, "containsCIDR": 2, "k8sValidateList": 2, "format.k8sNamedList": 1,
        **AUTHORIZER_ARITY,
    }  # fmt: skip
    decls: dict[str, list[Any]] = {}
    for name, impl in FUNCTIONS.items():
        if name == "cidr_ip":
            decls.setdefault("ip", []).append(
                cel.Overload("cidr_ip", dyn, [dyn], is_member=True, impl=impl)
            )
            continue
        is_global = name in GLOBAL_FUNCTIONS or name.startswith("format.")
        count = arity.get(name, 0 if name.startswith("format.") else 1)
        params = [string if is_global else dyn] * count
        if name == "k8sValidateList":
            params = [dyn, string]
        decls.setdefault(name, []).append(
            cel.Overload(f"k8s_{name}", dyn, params, is_member=not is_global, impl=impl)
        )
    decls["find"] = [cel.Overload("k8s_find", string, [string, string], is_member=True,
                                  impl=REGEX_FUNCTIONS["find"])]  # fmt: skip
    decls["findAll"] = [
        cel.Overload("k8s_findAll", dyn, [string, string], is_member=True,
                     impl=REGEX_FUNCTIONS["findAll"]),
        cel.Overload("k8s_findAll_n", dyn, [string, string, cel.Type.INT], is_member=True,
                     impl=REGEX_FUNCTIONS["findAll"]),
    ]  # fmt: skip
    from kubesmith.tools.policy.k8sextra import OVERLOADS

    for name, overload_id, result, types, member, impl in OVERLOADS:
        params = [cel_type(cel, t) for t in types]
        decls.setdefault(name, []).append(
            cel.Overload(overload_id, cel_type(cel, result), params, is_member=member, impl=impl)
        )
    return [cel.FunctionDecl(name, overloads) for name, overloads in decls.items()]


def cel_type(cel: Any, name: str) -> Any:
    """The cel-expr-python type named ``name`` (``list`` and ``map`` hold dynamic values)."""
    if name == "list":
        return cel.Type.List(cel.Type.DYN)
    if name == "map":
        return cel.Type.Map(cel.Type.STRING, cel.Type.DYN)
    return getattr(cel.Type, name.upper())
