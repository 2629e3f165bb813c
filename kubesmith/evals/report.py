"""Summaries, report.md, the success-vs-cost chart, and comparing two runs."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def summarize(results: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Per suite: tasks, successes, success rate and the suite's own figures."""
    by_suite: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        by_suite[r["suite"]].append(r)
    suites: dict[str, Any] = {}
    for suite, rs in sorted(by_suite.items()):
        n = len(rs)
        ok = sum(bool(r.get("success")) for r in rs)
        status = Counter(r.get("status", "error") for r in rs)
        handled = Counter(r.get("handled_by") or "none" for r in rs)
        scored = [r for r in rs if r.get("status") in ("success", "fail") and "side_edit_free" in r]
        figures: dict[str, Any] = {
            "tasks": n,
            "successes": ok,
            "success_rate": round(ok / n, 3) if n else 0.0,
            "unsupported": status.get("unsupported", 0),
            "failures": status.get("fail", 0),
            "errors": status.get("error", 0),
            "handled_by": dict(handled),
            "side_edit_free_rate": _rate(r["side_edit_free"] for r in scored),
            "mean_iterations": _mean(r.get("iterations", 0) for r in scored),
            "tokens_in": sum(r.get("tokens_in", 0) for r in rs),
            "tokens_out": sum(r.get("tokens_out", 0) for r in rs),
            "cost_usd": round(sum(r.get("cost_usd", 0.0) for r in rs), 6),
            "mean_latency_s": _mean(r.get("latency_s", 0.0) for r in rs),
        }
        validity: dict[str, list[bool]] = defaultdict(list)
        for r in scored:
            for v, ok_v in (r.get("valid") or {}).items():
                validity[v].append(bool(ok_v))
        figures["valid_rate"] = {v: _rate(xs) for v, xs in sorted(validity.items())}
        offline_tasks = [r for r in rs if r.get("offline_grammar")]
        figures["offline_grammar_tasks"] = len(offline_tasks)
        figures["offline_grammar_successes"] = sum(bool(r.get("success")) for r in offline_tasks)
        kv = [r["kv_score"] for r in rs if "kv_score" in r]
        if kv:
            figures["mean_kv_score"] = _mean(kv)
        suites[suite] = figures
    total = sum(s["tasks"] for s in suites.values())
    wins = sum(s["successes"] for s in suites.values())
    return {
        "suites": suites,
        "tasks": total,
        "successes": wins,
        "success_rate": round(wins / total, 3) if total else 0.0,
    }


def _rate(values: Iterable[bool]) -> float:
    xs = list(values)
    return round(sum(xs) / len(xs), 3) if xs else 0.0


def _mean(values: Iterable[float]) -> float:
    xs = list(values)
    return round(sum(xs) / len(xs), 3) if xs else 0.0


def write_report(run_dir: Path, summary: dict[str, Any], meta: dict[str, Any]) -> Path:
    """Write ``summary.json``, ``report.md`` and the chart into ``run_dir``."""
    (run_dir / "summary.json").write_text(
        json.dumps({**meta, **summary}, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    results = [
        json.loads(line)
        for line in (run_dir / "results.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    lines = [
        f"# kubesmith eval — run {meta.get('run_id', run_dir.name)}",
        "",
        f"Planner: **{meta.get('planner')}**"
        + (f", model: **{meta['model']}**" if meta.get("model") else "")
        + f". Overall: {summary['successes']}/{summary['tasks']} "
        f"({summary['success_rate']:.0%}).",
        "",
        *([f"> **{meta['replay_note']}**", ""] if meta.get("replay_note") else []),
        "| suite | tasks | success | rate | unsupported | fail | error | side-edit-free | "
        "iterations | tokens in/out | cost $ | handled by |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for suite, s in summary["suites"].items():
        handled = ", ".join(f"{k}: {v}" for k, v in sorted(s["handled_by"].items()))
        lines.append(
            f"| {suite} | {s['tasks']} | {s['successes']} | {s['success_rate']:.0%} | "
            f"{s['unsupported']} | {s['failures']} | {s['errors']} | "
            f"{s['side_edit_free_rate']:.0%} | {s['mean_iterations']} | "
            f"{s['tokens_in']}/{s['tokens_out']} | {s['cost_usd']:.4f} | {handled} |"
        )
    lines += [
        "",
        "## Tasks",
        "",
        "| task | suite | status | handled by | note |",
        "|---|---|---|---|---|",
    ]
    for r in sorted(results, key=lambda r: (r["suite"], r["task"])):
        failed_checks = [c for c in r.get("checks") or [] if "expected" in c or "missing" in c]
        note = r.get("message") or "; ".join((r.get("side_edits") or []) + failed_checks)
        note = note.replace("|", "\\|").replace("\n", " ")[:160]
        lines.append(
            f"| {r['task']} | {r['suite']} | {r.get('status')} | {r.get('handled_by') or '-'} | "
            f"{note} |"
        )
    lines += ["", "![success vs cost](success_vs_cost.png)", ""]
    report = run_dir / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    chart(run_dir.parent, run_dir / "success_vs_cost.png")
    return report


def chart(runs_root: Path, out: Path) -> None:
    """Success rate against cost for every run under ``runs_root`` (one point per run)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = []
    for summary_file in sorted(runs_root.glob("*/summary.json")):
        data = json.loads(summary_file.read_text(encoding="utf-8"))
        cost = sum(s.get("cost_usd", 0.0) for s in data.get("suites", {}).values())
        label = f"{data.get('planner')}{'/' + data['model'] if data.get('model') else ''}"
        points.append(
            (cost, data.get("success_rate", 0.0), f"{summary_file.parent.name} ({label})")
        )
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    for cost, rate, label in points:
        ax.scatter([cost], [rate * 100])
        ax.annotate(
            label, (cost, rate * 100), fontsize=7, xytext=(4, 4), textcoords="offset points"
        )
    ax.set_xlabel("estimated cost of the run (USD)")
    ax.set_ylabel("success rate (%)")
    ax.set_ylim(0, 105)
    ax.set_title("kubesmith evals: success vs cost, one point per run")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def compare(run_a: Path, run_b: Path) -> dict[str, Any]:
    """What changed between two runs: per-suite rates and tasks that regressed or improved."""

    def load(run: Path) -> dict[str, dict[str, Any]]:
        f = run / "results.jsonl"
        if not f.is_file():
            from kubesmith.errors import UsageError

            raise UsageError(f"{run} has no results.jsonl; is it a run folder of `kubesmith eval`?")
        out = {}
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                out[r["task"]] = r
        return out

    a, b = load(run_a), load(run_b)
    sa, sb = summarize(a.values()), summarize(b.values())
    suites = {}
    for name in sorted(sa["suites"].keys() | sb["suites"].keys()):
        ra = sa["suites"].get(name, {}).get("success_rate", 0.0)
        rb = sb["suites"].get(name, {}).get("success_rate", 0.0)
        suites[name] = {"a": ra, "b": rb, "delta": round(rb - ra, 3)}
    common = sorted(a.keys() & b.keys())
    return {
        "a": str(run_a),
        "b": str(run_b),
        "suites": suites,
        "regressions": [t for t in common if a[t].get("success") and not b[t].get("success")],
        "improvements": [t for t in common if b[t].get("success") and not a[t].get("success")],
        "only_in_a": sorted(a.keys() - b.keys()),
        "only_in_b": sorted(b.keys() - a.keys()),
    }
