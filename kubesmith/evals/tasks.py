"""The eval task format (YAML, documented in docs/evals.md) and the builtin tasks.

A task names a repository fixture, an intent, and what must hold afterwards::

    id: scale-checkout
    repo: example                 # the bundled example repository, or `files:` inline
    intent: scale checkout to 3 replicas
    expect:                       # field assertions on the proposed branch
      - {ref: Deployment/checkout, path: spec.replicas, equals: 3}
      - {ref: PodDisruptionBudget/checkout, exists: true}
    may_change: [base/checkout.yaml]   # files the change may touch (default: any)
    validators: [schema, policy]       # validators that must report no error
    max_iterations: 3
    offline: true                      # does the offline grammar cover it? (reported, not scored)
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kubesmith.errors import UsageError


class Expectation(BaseModel):
    """One assertion about the proposed branch.

    ``ref`` is ``Kind/name`` or ``Kind/namespace/name``; ``file`` pins the document (e.g. an
    overlay's patch). With ``path``: the value there must equal ``equals`` (or be absent when
    ``exists`` is false). Without ``path``: the resource must exist (or not).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    ref: str
    path: str | None = None
    equals: Any = None
    exists: bool = True
    file: str | None = None
    allow: str | None = None
    """The subtree the change may touch for this expectation (default: ``path``), for side-edit
    scoring, e.g. a whole probe when only its path is asserted."""
    kv_match: dict[str, Any] | None = None
    """A reference document for CloudEval's key-value wildcard match instead of a path check."""


class Task(BaseModel):
    """One eval task."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    suite: str = "builtin"
    intent: str
    repo: Literal["example"] | None = None
    files: dict[str, str] = Field(default_factory=dict)
    expect: tuple[Expectation, ...] = ()
    may_change: tuple[str, ...] | None = None
    validators: tuple[str, ...] = ("schema",)
    max_iterations: int = 3
    offline: bool = True
    tags: tuple[str, ...] = ()


def parse_tasks(data: Any, suite: str, source: str) -> list[Task]:
    """Tasks from parsed YAML (a list of task mappings)."""
    if not isinstance(data, list):
        raise UsageError(f"{source}: expected a list of tasks")
    try:
        return [Task.model_validate({"suite": suite, **item}) for item in data]
    except (ValidationError, TypeError) as e:
        raise UsageError(f"{source}: invalid task: {e}") from e


def builtin_tasks() -> list[Task]:
    """The builtin suite: tasks over the example repository (package data)."""
    text = resources.files("kubesmith.evals").joinpath("builtin.yaml").read_text("utf-8")
    return parse_tasks(yaml.safe_load(text), "builtin", "builtin.yaml")


def load_task_file(path: Path) -> list[Task]:
    """Tasks from a user's YAML file (suite name: the file's stem)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise UsageError(f"cannot read tasks from {path}: {e}") from e
    return parse_tasks(data, path.stem, str(path))
