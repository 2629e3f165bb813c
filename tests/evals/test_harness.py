"""The eval harness: scorers, the runner (isolated, resumable), reports and compare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubesmith.cli.main import _register, cli
from kubesmith.evals.report import compare, summarize
from kubesmith.evals.runner import RunConfig, run_tasks
from kubesmith.evals.score import changed_leaves, flatten, kv_wildcard_score
from kubesmith.evals.tasks import Task, builtin_tasks, parse_tasks

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.25
"""


def test_builtin_suite_has_at_least_60_tasks_with_unique_ids() -> None:
    tasks = builtin_tasks()
    assert len(tasks) >= 60
    assert len({t.id for t in tasks}) == len(tasks)
    assert any(not t.offline for t in tasks)


def test_flatten_names_list_items_so_insertions_do_not_shift_paths() -> None:
    before = {"env": [{"name": "A", "value": "1"}]}
    after = {"env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}
    assert changed_leaves(before, after) == {"env[name=B].name", "env[name=B].value"}
    assert dict(flatten({"a": [1, 2]})) == {"a[0]": 1, "a[1]": 2}


def test_kv_wildcard_match_accepts_labelled_values_and_requires_the_rest() -> None:
    reference = "kind: Pod\nmetadata:\n  name: p # *\nspec:\n  image: nginx\n"
    pod = {"kind": "Pod", "metadata": {"name": "x"}, "spec": {"image": "nginx"}}
    assert kv_wildcard_score(reference, [pod]) == 1.0
    wrong = {"kind": "Pod", "metadata": {"name": "x"}, "spec": {"image": "httpd"}}
    assert kv_wildcard_score(reference, [wrong]) == pytest.approx(2 / 4)  # 2 of 3 + 3 - 2
    assert kv_wildcard_score(reference, [{"kind": "Pod"}]) == pytest.approx(1 / 3)


def _tasks() -> list[Task]:
    return parse_tasks(
        [
            {
                "id": "ok",
                "files": {"web.yaml": DEPLOY},
                "intent": "scale web to 3",
                "expect": [{"ref": "Deployment/web", "path": "spec.replicas", "equals": 3}],
            },
            {
                "id": "wrong-value",
                "files": {"web.yaml": DEPLOY},
                "intent": "scale web to 2",
                "expect": [{"ref": "Deployment/web", "path": "spec.replicas", "equals": 5}],
            },
            {"id": "unsupported", "files": {"web.yaml": DEPLOY}, "intent": "make web sparkle"},
            {"id": "no-such", "files": {"web.yaml": DEPLOY}, "intent": "scale api to 3"},
        ],
        "mini",
        "test",
    )


@pytest.mark.slow
def test_runner_scores_each_task_in_isolation_and_resumes(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    results = run_tasks(_tasks(), RunConfig(jobs=2, run_id="r1"), run_dir)
    by_id = {r["task"]: r for r in results}
    assert by_id["ok"]["status"] == "success" and by_id["ok"]["side_edit_free"]
    assert by_id["wrong-value"]["status"] == "fail" and not by_id["wrong-value"]["fields_ok"]
    assert by_id["unsupported"]["status"] == "unsupported"
    assert by_id["no-such"]["status"] == "fail" and "api" in by_id["no-such"]["message"]
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    assert len(lines) == 4
    again = run_tasks(_tasks(), RunConfig(jobs=1, run_id="r1"), run_dir)  # resumed: nothing re-run
    assert len((run_dir / "results.jsonl").read_text().splitlines()) == 4
    assert {r["task"] for r in again} == set(by_id)
    summary = summarize(results)["suites"]["mini"]
    assert (summary["tasks"], summary["successes"], summary["unsupported"]) == (4, 1, 1)


@pytest.mark.slow
def test_cli_writes_report_chart_and_compares_runs(tmp_path: Path) -> None:
    _register()
    tasks_file = tmp_path / "mini.yaml"
    tasks_file.write_text(json.dumps([t.model_dump(exclude={"suite"}) for t in _tasks()]))
    runner = CliRunner()
    a, b = tmp_path / "runs" / "a", tmp_path / "runs" / "b"
    out = runner.invoke(
        cli, ["eval", "--tasks", str(tasks_file), "--output-dir", str(a), "-o", "json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["suites"]["mini"]["successes"] == 1 and data["tasks"] == 4
    report = (a / "report.md").read_text()
    assert "| mini | 4 | 1 | 25% |" in report
    assert "expected 5" in report  # a failed task says why
    assert (a / "success_vs_cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = (a / "results.jsonl").read_text().splitlines()
    b.mkdir(parents=True)
    flipped = [json.loads(line) for line in lines]
    for r in flipped:
        if r["task"] == "ok":
            r["success"], r["status"] = False, "fail"
    (b / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in flipped))
    diff = compare(a, b)
    assert diff["regressions"] == ["ok"] and diff["suites"]["mini"]["delta"] == -0.25
    out = runner.invoke(cli, ["eval", "compare", str(a), str(b)])
    assert out.exit_code == 1 and "regressions" in out.stdout
