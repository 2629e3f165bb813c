"""``auditAnnotations``: what a policy would record in the API server's audit log, evaluated.

For each annotation the API server evaluates ``valueExpression`` and publishes a string under
``<policy>/<key>`` (cut at 10 KiB), skips ``null``, and treats an error or another type as the
policy's failure: with ``failurePolicy: Fail`` the request is denied, with ``Ignore`` the
annotation is left out (``policy/validating/validator.go``). Offline the published values become
informational findings and the failures errors, so a broken annotation shows before it denies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubesmith.tools.policy.celenv import CelCompileError, EvalError
from kubesmith.tools.policy.model import Policy

MAX_VALUE = 10 * 1024


@dataclass(frozen=True)
class AnnotationResult:
    """One annotation: its value when published, or why it failed (``None`` for both: null)."""

    key: str
    value: str | None = None
    error: str | None = None


def evaluate_annotations(policy: Policy, run: Callable[[str], Any]) -> list[AnnotationResult]:
    """Each annotation of ``policy``; ``run`` evaluates a source with the request's variables.

    Failures are returned only under ``failurePolicy: Fail`` (the API server ignores them
    otherwise).
    """
    fail = policy.failure_policy == "Fail"
    out = []
    for annotation in policy.audit_annotations:
        source = annotation.expression
        try:
            value = run(source)
        except (EvalError, CelCompileError) as e:
            if fail:
                error = f"valueExpression '{source.strip()}' resulted in error: {e}"
                out.append(AnnotationResult(annotation.name, error=error))
            continue
        if value is None:
            continue
        if not isinstance(value, str):
            if fail:
                error = (
                    f"valueExpression '{source.strip()}' resulted in unsupported return type: "
                    f"{type(value).__name__}. Return type must be either string or null."
                )
                out.append(AnnotationResult(annotation.name, error=error))
            continue
        out.append(AnnotationResult(annotation.name, value=value[:MAX_VALUE]))
    return out
