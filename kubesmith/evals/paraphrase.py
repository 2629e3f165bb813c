"""The paraphrase suite: one request phrased many ways, over five repository styles.

``data/paraphrase.yaml`` holds small fixture repositories (plain YAML, Kustomize base and
overlays, multi-document files, a CRD and its custom resources, several apps in one repository)
and groups of intents that must all produce the same result. Each intent becomes one task of the
ordinary format (:mod:`kubesmith.evals.tasks`), so it is run and scored like every suite.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import yaml

from kubesmith.errors import UsageError
from kubesmith.evals.tasks import Task, parse_tasks


def paraphrase_tasks() -> list[Task]:
    """Every intent of every group, as a task over its fixture repository."""
    text = resources.files("kubesmith.evals").joinpath("data/paraphrase.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise UsageError("paraphrase.yaml: expected repos and groups")
    repos: dict[str, dict[str, str]] = data.get("repos") or {}
    items: list[dict[str, Any]] = []
    for group in data.get("groups") or []:
        repo = group["repo"]
        if repo not in repos:
            raise UsageError(f"paraphrase.yaml: group {group['id']} names no repo {repo!r}")
        common = {k: v for k, v in group.items() if k not in ("id", "repo", "intents")}
        for i, intent in enumerate(group["intents"], 1):
            slug = re.sub(r"[^a-z0-9]+", "-", intent.lower()).strip("-")[:40]
            items.append({
                "id": f"{group['id']}-{i:02d}-{slug}", "intent": intent, "files": repos[repo],
                "validators": [], "tags": [group["id"], repo], **common,
            })  # fmt: skip
    return parse_tasks(items, "paraphrase", "paraphrase.yaml")
