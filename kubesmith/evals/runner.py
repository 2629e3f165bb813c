"""Runs eval tasks: each in its own temporary git repository, in parallel, resumable.

Every finished task appends one JSON line to ``results.jsonl`` in the run folder; a run started
again on the same folder skips the tasks already there. A task that crashes is recorded as an
``error`` and never stops the run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubesmith.evals.tasks import Task

EXAMPLE_REPO = Path(__file__).resolve().parents[2] / "examples" / "manifests"


@dataclass(frozen=True)
class RunConfig:
    """How to run: planner, model, and where results go."""

    planner: str = "offline"
    model: str | None = None
    jobs: int = 1
    run_id: str = ""
    replay: str | None = None
    """Plan the model's part with recorded turns (``scripts``, ``oracle`` or a folder), not a
    model: see :mod:`kubesmith.evals.replay`."""

    @property
    def model_label(self) -> str | None:
        """The model as results name it; a replay is never named as a model."""
        return f"replay:{self.replay}" if self.replay else self.model


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=eval", "-c", "user.email=eval@localhost", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


def git_init(repo: Path) -> None:
    """Make ``repo`` a git repository on ``main`` with everything in it committed once."""
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.name", "eval")
    _git(repo, "config", "user.email", "eval@localhost")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "fixture")


def materialize(task: Task, into: Path) -> Path:
    """Write the task's repository fixture into a fresh git repository."""
    repo = into / "repo"
    if task.repo == "example":
        if not EXAMPLE_REPO.is_dir():
            raise FileNotFoundError(f"the example repository is missing at {EXAMPLE_REPO}")
        shutil.copytree(EXAMPLE_REPO, repo)
    else:
        repo.mkdir(parents=True)
    for rel, text in task.files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git_init(repo)
    return repo


def run_task(task: Task, config: RunConfig) -> dict[str, Any]:
    """Run one task and score it; never raises (a crash is an ``error`` result)."""
    from kubesmith.evals.check import score_task

    started = time.perf_counter()
    result: dict[str, Any] = {
        "run": config.run_id,
        "task": task.id,
        "suite": task.suite,
        "planner": config.planner,
        "model": config.model_label,
        **({"replay": config.replay} if config.replay else {}),
        "offline_grammar": task.offline,
    }
    if any(e.kv_match is not None for e in task.expect):
        result["kv_score"] = 0.0  # no proposal is no answer: the benchmark scores that 0
    try:
        with tempfile.TemporaryDirectory(prefix="kubesmith-eval-") as tmp:
            repo = materialize(task, Path(tmp))
            result.update(score_task(task, repo, config))
    except Exception as e:  # a broken task must not stop the run
        result.update(
            status="error",
            success=False,
            message=f"{type(e).__name__}: {e}",
            trace=traceback.format_exc(limit=5),
        )
    result["latency_s"] = round(time.perf_counter() - started, 3)
    return result


def completed(results_file: Path) -> set[str]:
    """Task ids already recorded in ``results_file``."""
    if not results_file.exists():
        return set()
    done = set()
    for line in results_file.read_text(encoding="utf-8").splitlines():
        try:
            done.add(json.loads(line)["task"])
        except (json.JSONDecodeError, KeyError):
            continue  # a line cut short by a crash: that task runs again
    return done


def run_tasks(
    tasks: Sequence[Task],
    config: RunConfig,
    run_dir: Path,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the tasks not yet in ``run_dir/results.jsonl``; return every result of the run."""
    run_dir.mkdir(parents=True, exist_ok=True)
    results_file = run_dir / "results.jsonl"
    done = completed(results_file)
    todo = [t for t in tasks if t.id not in done]
    with results_file.open("a", encoding="utf-8") as out:

        def record(result: dict[str, Any]) -> None:
            out.write(json.dumps(result, sort_keys=True) + "\n")
            out.flush()
            if on_result is not None:
                on_result(result)

        if config.jobs <= 1 or len(todo) <= 1:
            for task in todo:
                record(run_task(task, config))
        else:
            with ProcessPoolExecutor(max_workers=config.jobs) as pool:
                futures = [pool.submit(run_task, t, config) for t in todo]
                for fut in as_completed(futures):
                    record(fut.result())
    wanted = {t.id for t in tasks}
    results = [
        json.loads(line)
        for line in results_file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [r for r in results if r.get("task") in wanted]
