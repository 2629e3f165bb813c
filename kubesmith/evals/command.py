"""``kubesmith eval``: measure proposals on our tasks and on public benchmarks."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kubesmith.errors import UsageError
from kubesmith.terminal import console, err_console, handle_errors, output_option, print_json

SUITES = ("builtin", "cloudeval", "k8s-ai-bench", "paraphrase", "feedback", "reviewers", "all")


def _tasks(suite: str, task_file: Path | None) -> list[Any]:
    from kubesmith.evals.suites import suite_loaders
    from kubesmith.evals.tasks import load_task_file

    if task_file is not None:
        return load_task_file(task_file)
    loaders = suite_loaders()
    names = list(loaders) if suite == "all" else [suite]
    tasks = []
    for name in names:
        tasks.extend(loaders[name]())
    return tasks


@click.group("eval", invoke_without_command=True)
@click.option(
    "--suite",
    type=click.Choice(SUITES),
    default="builtin",
    show_default=True,
    help="Which tasks to run (see above).",
)
@click.option(
    "--tasks",
    "task_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Run the tasks of this YAML file instead of a suite (format: docs/evals.md).",
)
@click.option(
    "--planner",
    type=click.Choice(["offline", "llm", "auto"]),
    default="offline",
    show_default=True,
    help="Who plans each task: offline (the grammar), llm or auto (a model: --model or "
    "KUBESMITH_MODEL, or --replay).",
)
@click.option("--model", default=None, help="Model for the llm/auto planner.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    default=os.cpu_count() or 1,
    help="Tasks run at once. Default: the number of CPUs.",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The run folder (results.jsonl, report.md, chart). Reusing one resumes that run. "
    "Default: eval-runs/<date>-<suite>-<planner>.",
)
@click.option("--limit", type=click.IntRange(1), default=None, help="Run only the first N tasks.")
@click.option(
    "--replay",
    metavar="scripts|oracle|DIR",
    default=None,
    help="Answer the model's part with recorded turns instead of a model, through a scripted "
    "OpenAI-compatible server on 127.0.0.1: 'scripts' (hand-written turns shipped for the "
    "builtin tasks beyond the offline grammar), 'oracle' (the reference answer written "
    "through the tools, for cloudeval) or a folder of <task-id>.yaml scripts. Measures the "
    "harness and the loop, never a model. Needs --planner llm or auto.",
)
@output_option
@click.pass_context
@handle_errors
def command(
    ctx: click.Context,
    suite: str,
    task_file: Path | None,
    planner: str,
    model: str | None,
    jobs: int,
    output_dir: Path | None,
    limit: int | None,
    replay: str | None,
    output: str,
) -> None:
    """Run an eval suite and write results.jsonl, report.md and a success-vs-cost chart.

    \b
    Suites: builtin (tasks over examples/manifests), paraphrase (one request phrased many
    ways, over five repository styles), cloudeval (CloudEval-YAML's modify
    problems), k8s-ai-bench (its manifest-changing prompts), feedback (a simulated reviewer,
    measuring learning), reviewers (reading conventions from 245 reviewer comments; --planner
    llm reads them with the model), all. Each task runs in its own temporary git repository; a
    failing task never stops the run; a run folder given again is resumed. Compare runs with
    `kubesmith eval compare RUN_A RUN_B`. With --replay the model's part comes from recorded
    turns on a loopback server (a harness check, never a model score). See docs/evals.md.
    """
    if ctx.invoked_subcommand is not None:
        return
    from kubesmith.evals.report import summarize, write_report
    from kubesmith.evals.runner import RunConfig, run_tasks

    if replay is not None:
        from kubesmith.evals.replay import ReplaySource

        if planner == "offline":
            raise UsageError("--replay answers for a model: use it with --planner llm or auto")
        replay = ReplaySource.parse(replay).label
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    run_dir = output_dir or Path("eval-runs") / f"{stamp}-{suite}-{planner}"
    run_id = run_dir.name
    summary: dict[str, Any] = {"suites": {}}
    if suite in ("feedback", "all") and task_file is None:
        from kubesmith.evals.feedback_suite import run_feedback_suite

        def step(entry: dict[str, Any]) -> None:
            if output == "text":
                run = "control run" if entry.get("control") else "feedback"
                err_console.print(
                    f"{run} {entry['n']}: {entry['result']}: {entry['intent']}", markup=False
                )

        learning = run_feedback_suite(on_entry=step)
        log = learning.pop("log", None)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "feedback.json").write_text(
            json.dumps({**learning, "log": log}, indent=2, default=str) + "\n", encoding="utf-8"
        )
        summary["suites"]["feedback"] = learning  # figures of its own, not task successes
    if suite in ("reviewers", "all") and task_file is None:
        from kubesmith.evals.reviewers_suite import run_reviewers_suite, suite_reader

        read = run_reviewers_suite(*suite_reader(planner, model))
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "reviewers.json").write_text(json.dumps(read, indent=2) + "\n")
        summary["suites"]["reviewers"] = {k: v for k, v in read.items() if k != "misses"}
    if suite not in ("feedback", "reviewers") or task_file is not None:
        tasks = _tasks(suite, task_file)[:limit]
        if not tasks:
            raise UsageError("no tasks to run")
        config = RunConfig(planner=planner, model=model, jobs=jobs, run_id=run_id, replay=replay)
        with Progress(
            TextColumn("[bold]eval[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err_console,
            disable=output == "json" or not err_console.is_terminal,
        ) as progress:
            bar = progress.add_task("", total=len(tasks))

            done = 0
            plain = output == "text" and not err_console.is_terminal  # CI logs: one line a task

            def tick(result: dict[str, Any]) -> None:
                nonlocal done
                done += 1
                progress.update(bar, advance=1, description=f"{result['task']}: {result['status']}")
                if plain:
                    err_console.print(
                        f"eval {done}/{len(tasks)} {result['task']}: {result['status']}",
                        markup=False,
                    )

            results = run_tasks(tasks, config, run_dir, on_result=tick)
        task_summary = summarize(results)
        summary["suites"].update(task_summary["suites"])
    total = sum(s.get("tasks", 0) for s in summary["suites"].values())
    wins = sum(s.get("successes", 0) for s in summary["suites"].values())
    summary.update(tasks=total, successes=wins, success_rate=round(wins / total, 3) if total else 0)
    meta = {
        "run_id": run_id,
        "planner": planner,
        "model": f"replay:{replay}" if replay else model,
        "suite": suite,
        **({"replay": replay, "replay_note": _replay_note(replay)} if replay else {}),
    }
    run_dir.mkdir(parents=True, exist_ok=True)
    if (run_dir / "results.jsonl").exists():
        report = write_report(run_dir, summary, meta)
    else:
        report = run_dir / "summary.json"
        report.write_text(json.dumps({**meta, **summary}, indent=2, default=str) + "\n")
    if output == "json":
        print_json({**meta, "run_dir": str(run_dir), **summary})
        return
    table = Table(
        "suite", "tasks", "successes", "rate", "unsupported", "errors", "handled by", box=None
    )
    for name, s in summary["suites"].items():
        if name in ("feedback", "reviewers"):
            continue  # their figures follow the table
        table.add_row(
            name,
            str(s.get("tasks", "")),
            str(s.get("successes", "")),
            f"{s.get('success_rate', 0):.0%}",
            str(s.get("unsupported", "")),
            str(s.get("errors", "")),
            ", ".join(f"{k}: {v}" for k, v in sorted((s.get("handled_by") or {}).items())),
        )
    if table.row_count:
        console.print(table)
    feedback = summary["suites"].get("feedback")
    if feedback:
        control = feedback.get("control_last10_acceptance")
        console.print(
            f"feedback: acceptance {feedback['first10_acceptance']:.0%} over the first 10 reviewed "
            f"proposals, {feedback['last10_acceptance']:.0%} over the last 10, after "
            f"{feedback['feedback_events']} feedback event(s) (the last at proposal "
            f"{feedback['last_feedback_at']})"
            + (f"; without learning {control:.0%} over the last 10" if control is not None else "")
        )
    reviewers = summary["suites"].get("reviewers")
    if reviewers:
        for part in ("development", "measured"):
            p = reviewers[part]
            console.print(
                f"reviewers ({part}, {reviewers['reader']} reader): {p['right']}/"
                f"{p['with_convention']} comments read with the right rules and parameters "
                f"({p['recall']:.1%}); rules from {p['false_rule_comments']} of "
                f"{p['without_convention']} comments without a convention"
            )
    if replay:
        console.print(f"[yellow]{escape(_replay_note(replay))}[/]")
    console.print(f"report: {escape(str(report))}")


def _replay_note(replay: str) -> str:
    if replay == "oracle":
        return (
            "replay: ORACLE — the model's part was the reference answer written through the "
            "tools; this checks the harness and the metric, it is not a model score"
        )
    return (
        f"replay: {replay} — the model's part was hand-written recorded turns, not a model; "
        "this measures the harness and the loop, not a model's skill"
    )


@command.command("compare")
@click.argument("run_a", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("run_b", type=click.Path(file_okay=False, exists=True, path_type=Path))
@output_option
@handle_errors
def compare_cmd(run_a: Path, run_b: Path, output: str) -> None:
    """Compare two runs: per-suite success rates, regressions and improvements."""
    from kubesmith.evals.report import compare

    diff = compare(run_a, run_b)
    if output == "json":
        print_json(diff)
        return
    for name, s in diff["suites"].items():
        console.print(f"{name}: {s['a']:.0%} → {s['b']:.0%} ({s['delta']:+.0%})")
    for label in ("regressions", "improvements"):
        if diff[label]:
            console.print(f"[bold]{label}[/]: {', '.join(diff[label])}")
    if diff["regressions"]:
        raise SystemExit(1)
