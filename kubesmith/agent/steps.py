"""Who wants to watch a planner work, step by step.

``kubesmith chat`` sets a printer for each turn, so the model's words and tool calls appear as
they happen; planners report through :func:`report`. A context variable keeps it per thread and
task, and costs nothing when nobody listens.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable

STEPS: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar(
    "kubesmith_steps", default=None
)


def report(step: str) -> None:
    """Tell the listener, if any, about one step."""
    listener = STEPS.get()
    if listener is not None:
        listener(step)
