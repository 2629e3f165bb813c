"""The named eval suites and where their tasks come from.

Separate from :mod:`kubesmith.evals.tasks` (the task format), which the suites' loaders build
on: the registry importing the loaders and the loaders importing the format would otherwise be
an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable

from kubesmith.evals.cloudeval import cloudeval_tasks
from kubesmith.evals.k8sbench import k8s_ai_bench_tasks
from kubesmith.evals.paraphrase import paraphrase_tasks
from kubesmith.evals.tasks import Task, builtin_tasks


def suite_loaders() -> dict[str, Callable[[], list[Task]]]:
    """Suite name → loader. Suites whose data is missing raise UsageError saying why."""
    return {
        "builtin": builtin_tasks,
        "cloudeval": cloudeval_tasks,
        "k8s-ai-bench": k8s_ai_bench_tasks,
        "paraphrase": paraphrase_tasks,
    }
