"""Replay mode: recorded turns through a scripted OpenAI-compatible server on 127.0.0.1.

The LLM planner's real client code (openai, langchain-openai) talks HTTP to the server, so the
tool-calling path, validation and scoring all run for real; only the model is a script.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kubesmith.cli.main import _register, cli
from kubesmith.evals.replay import ReplaySource, load_script, replay_server
from kubesmith.evals.runner import RunConfig, run_tasks
from kubesmith.evals.tasks import Task, builtin_tasks

SCRIPTS = resources.files("kubesmith.evals").joinpath("scripts")


def _builtin(*ids: str) -> list[Task]:
    by_id = {t.id: t for t in builtin_tasks()}
    return [by_id[i] for i in ids]


def test_every_builtin_task_beyond_the_offline_grammar_has_a_script() -> None:
    beyond = {t.id for t in builtin_tasks() if not t.offline}
    shipped = {p.name.removesuffix(".yaml") for p in SCRIPTS.iterdir() if p.name.endswith(".yaml")}
    assert beyond == shipped and len(beyond) == 6
    for name in shipped:
        with resources.as_file(SCRIPTS.joinpath(f"{name}.yaml")) as path:
            script = load_script(path)
        assert script.task == name
        assert "finish" in script.turns[-1].tool_calls[-1]  # every script ends its plan


@pytest.mark.slow
def test_replayed_tasks_run_through_the_real_client_and_are_scored(tmp_path: Path) -> None:
    tasks = _builtin("termination-grace", "configmap-move")
    config = RunConfig(planner="llm", replay="scripts", run_id="r")
    results = {r["task"]: r for r in run_tasks(tasks, config, tmp_path / "run")}
    for r in results.values():
        assert r["status"] == "success", r
        assert r["handled_by"] == "llm" and r["model"] == "replay:scripts"
        assert r["side_edit_free"] and r["valid"] == {"schema": True}
        assert r["tokens_in"] > 1000 and r["cost_usd"] == 0.0  # estimated from what was sent
    assert results["configmap-move"]["model_calls"] == 3


@pytest.mark.slow
def test_the_server_receives_kubesmiths_prompt_and_tools(tmp_path: Path) -> None:
    from kubesmith.agent.loop import open_agent
    from kubesmith.config import load_settings
    from kubesmith.evals.replay import replay_planner
    from kubesmith.evals.runner import materialize

    [task] = _builtin("termination-grace")
    repo = materialize(task, tmp_path)
    settings = load_settings(repo)
    agent = open_agent(repo, planner="offline", settings=settings)
    agent.forge = None
    with replay_server(task, ReplaySource.parse("scripts")) as server:
        agent.planner = replay_planner("llm", settings, server.base_url)
        proposal = agent.propose(task.intent, open_pr=False)
    assert proposal.planner == "llm" and len(proposal.changes) == 1
    first = server.requests[0]
    assert {t["function"]["name"] for t in first["tools"]} >= {"set_field", "finish"}
    assert "payments" in json.dumps(first["messages"])
    assert all(h.get("authorization") == "Bearer replay-no-key" for h in server.headers)


@pytest.mark.slow
def test_a_missing_or_used_up_script_ends_planning_with_a_message(tmp_path: Path) -> None:
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "termination-grace.yaml").write_text(
        yaml.safe_dump(
            {
                "task": "termination-grace",
                "turns": [{"tool_calls": [{"get_resource": {"kind": "Deployment", "name": "x"}}]}],
            }
        )
    )
    tasks = _builtin("termination-grace", "rolling-update")
    config = RunConfig(planner="llm", replay=str(folder), run_id="r")
    results = {r["task"]: r for r in run_tasks(tasks, config, tmp_path / "run")}
    assert results["termination-grace"]["status"] == "fail"
    assert "used up" in results["termination-grace"]["message"]
    assert "no recorded turns" in results["rolling-update"]["message"]


@pytest.mark.slow
def test_cli_auto_planner_with_replay_reports_who_handled_what(tmp_path: Path) -> None:
    _register()
    tasks = [t.model_dump(exclude={"suite"}) for t in _builtin("scale-set", "rolling-update")]
    task_file = tmp_path / "mixed.yaml"
    task_file.write_text(json.dumps(tasks))
    run = tmp_path / "run"
    args = ["eval", "--tasks", str(task_file), "--planner", "auto", "--replay", "scripts"]
    out = CliRunner().invoke(cli, [*args, "--output-dir", str(run), "-o", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["model"] == "replay:scripts" and "not a model" in data["replay_note"]
    suite = data["suites"]["mixed"]
    assert suite["successes"] == 2 and suite["handled_by"] == {"offline": 1, "llm": 1}
    report = (run / "report.md").read_text()
    assert "not a model" in report and "| llm: 1, offline: 1 |" in report


@pytest.mark.slow
def test_cli_replays_a_folder_of_scripts(tmp_path: Path) -> None:
    _register()
    folder = tmp_path / "mine"
    folder.mkdir()
    turns = [
        {"tool_calls": [{"set_field": {"kind": "Deployment", "name": "checkout",
                                       "path": "spec.strategy.rollingUpdate.maxUnavailable",
                                       "value": 0}}]},
        {"tool_calls": [{"finish": {"rationale": "no pod down during a rollout"}}]},
    ]  # fmt: skip
    (folder / "rolling-update.yaml").write_text(
        yaml.safe_dump({"task": "rolling-update", "turns": turns})
    )
    task_file = tmp_path / "one.yaml"
    task_file.write_text(json.dumps([_builtin("rolling-update")[0].model_dump(exclude={"suite"})]))
    args = ["eval", "--tasks", str(task_file), "--planner", "llm", "--replay", str(folder)]
    out = CliRunner().invoke(cli, [*args, "--output-dir", str(tmp_path / "run"), "-o", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["model"] == f"replay:{folder.resolve()}"
    assert data["suites"]["one"]["successes"] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--planner", "offline", "--replay", "scripts"],
        ["--planner", "llm", "--replay", "no/such/folder"],
    ],
)
def test_cli_refuses_replay_without_a_model_planner_or_source(args: list[str]) -> None:
    _register()
    out = CliRunner().invoke(cli, ["eval", *args, "--limit", "1"])
    assert out.exit_code == 2
