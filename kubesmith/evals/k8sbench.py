"""The k8s-ai-bench suite: its prompts that ask for manifest changes, over its artifacts."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from kubesmith.errors import UsageError
from kubesmith.evals.cloudeval import corpus_root
from kubesmith.evals.tasks import Task


def k8s_ai_bench_tasks() -> list[Task]:
    """Tasks from k8sbench.yaml, each with its benchmark task's artifacts as the repository."""
    root = corpus_root() / "k8s-ai-bench" / "tasks"
    if not root.is_dir():
        raise UsageError(f"the k8s-ai-bench corpus is not at {root}; set KUBESMITH_CORPORA")
    text = resources.files("kubesmith.evals").joinpath("k8sbench.yaml").read_text("utf-8")
    tasks = []
    for item in yaml.safe_load(text):
        spec: dict[str, Any] = dict(item)
        folder = root / spec.pop("task") / "artifacts"
        if not folder.is_dir():
            raise UsageError(f"k8s-ai-bench artifacts missing: {folder}")
        files = {f"{p.name}": p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml"))}
        tasks.append(Task.model_validate({"suite": "k8s-ai-bench", "files": files, **spec}))
    return tasks
