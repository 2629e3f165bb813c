"""The CloudEval-YAML suite: its key-value wildcard metric, the loader and the oracle replay.

The metric tests use hand-written documents. The loader and oracle tests read the shared
corpus archive (skipped where it is absent) and assert structure only: the benchmark's
maintainers ask that its data never be published, so none of it is written here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesmith.evals.cloudeval import cloudeval_tasks, context_blocks, problem_task
from kubesmith.evals.replay import ORACLE_NOTE, ReplaySource, merge_patch_between, oracle_turns
from kubesmith.evals.runner import RunConfig, run_tasks
from kubesmith.evals.score import kv_wildcard_score, leaves, load_candidate, pair_documents
from kubesmith.evals.tasks import Expectation, Task
from tests.conftest import corpus_dir

REFERENCE = """\
apiVersion: v1
kind: Pod
metadata:
  name: web # *
spec:
  containers:
  - name: a
    image: nginx
    args: ["-v", "-x"]
  - name: b
    image: busybox
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
"""
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web"},
    "spec": {
        "containers": [
            {"name": "b", "image": "busybox"},  # order of list items does not matter
            {"name": "a", "image": "nginx", "args": ["-v", "-x"]},
        ]
    },
}
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}
SERVICE["spec"] = {"ports": [{"port": 80}]}


def test_leaves_drop_list_indexes_and_keep_scalar_lists_whole() -> None:
    got = {(leaf.path, str(leaf.value)) for leaf in leaves(POD)}
    assert (("spec", "containers", "name"), "a") in got
    assert (("spec", "containers", "name"), "b") in got
    assert (("spec", "containers", "args"), "['-v', '-x']") in got
    assert len(got) == 8


def test_identical_answer_scores_one_whatever_the_document_order() -> None:
    assert kv_wildcard_score(REFERENCE, [POD, SERVICE]) == 1.0
    assert kv_wildcard_score(REFERENCE, [SERVICE, POD]) == 1.0  # paired by kind and name


def test_wildcard_label_accepts_any_value_but_not_a_missing_key() -> None:
    renamed = {**POD, "metadata": {"name": "anything"}}
    assert kv_wildcard_score(REFERENCE, [renamed, SERVICE]) == 1.0
    nameless = {**POD, "metadata": {}}
    # 12 reference leaves, 11 candidate leaves, 11 matched: 11 / (12 + 11 - 11)
    assert kv_wildcard_score(REFERENCE, [nameless, SERVICE]) == pytest.approx(11 / 12)


def test_extra_keys_and_values_compared_strictly_lower_the_score() -> None:
    extra = {**SERVICE, "spec": {"ports": [{"port": 80}], "type": "NodePort"}}
    assert kv_wildcard_score(REFERENCE, [POD, extra]) == pytest.approx(12 / 13)
    as_text = {**SERVICE, "spec": {"ports": [{"port": "80"}]}}  # the benchmark compares with ==
    assert kv_wildcard_score(REFERENCE, [POD, as_text]) == pytest.approx(11 / 13)


def test_a_missing_document_counts_all_its_leaves_against_the_answer() -> None:
    assert kv_wildcard_score(REFERENCE, [POD]) == pytest.approx(8 / 12)
    assert kv_wildcard_score(REFERENCE, []) == 0.0


def test_documents_pair_by_kind_and_name_then_in_order() -> None:
    ref = [{"kind": "A", "metadata": {"name": "x"}}, {"kind": "B", "metadata": {"name": "y"}}]
    cand = [{"kind": "B", "metadata": {"name": "y"}}, {"kind": "C"}, {"kind": "D"}]
    assert pair_documents(ref, cand) == [(0, 1), (1, 0), (None, 2)]


def test_a_candidate_that_does_not_parse_is_none() -> None:
    assert load_candidate(["a: [1\n"]) is None
    assert load_candidate(["a: 1\n---\nb: 2\n"]) == [{"a": 1}, {"b": 2}]


def test_merge_patch_between_turns_one_object_into_the_other() -> None:
    old = {"a": 1, "b": {"c": 2, "d": 3}, "e": [1]}
    new = {"b": {"c": 2, "d": 4}, "e": [1, 2], "f": "x"}
    assert merge_patch_between(old, new) == {"a": None, "b": {"d": 4}, "e": [1, 2], "f": "x"}


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
ANSWER = DEPLOY.replace("replicas: 1", "replicas: 3").replace("nginx:1.25", "nginx:1.27 # *")
ANSWER += "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n"
ANSWER += "    app: web\n  ports:\n  - port: 80\n"


def _kv_task(task_id: str = "kv") -> Task:
    return Task(
        id=task_id,
        suite="mini-cloudeval",
        intent="run three replicas of web behind a Service on port 80",
        files={"manifest.yaml": DEPLOY},
        expect=(Expectation(ref="Deployment/web", kv_match={"reference": ANSWER}),),
        offline=False,
    )


@pytest.mark.slow
def test_oracle_writes_the_reference_through_the_tools_and_scores_one(tmp_path: Path) -> None:
    turns = oracle_turns(_kv_task())
    assert turns is not None
    names = [next(iter(c)) for t in turns for c in t.tool_calls]
    assert names == ["merge_patch", "add_resource", "finish"]
    config = RunConfig(planner="llm", replay="oracle", run_id="o")
    [result] = run_tasks([_kv_task()], config, tmp_path / "run")
    assert result["status"] == "success", result
    assert result["kv_score"] == 1.0 and result["handled_by"] == "llm"
    assert result["model"] == "replay:oracle" and result["cost_usd"] == 0.0
    assert ORACLE_NOTE.startswith("oracle:")


def test_the_offline_planner_on_a_kv_task_is_scored_below_one(tmp_path: Path) -> None:
    [result] = run_tasks([_kv_task("kv-offline")], RunConfig(run_id="o"), tmp_path / "run")
    assert result["success"] is False
    assert "kv_score" in result and result["kv_score"] < 1.0


# ------------------------------------------------------------------------- the shared corpus


def test_the_yaml_to_modify_is_every_block_sharing_an_object_with_the_reference() -> None:
    secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
    question = f"Given this Secret:\n```yaml\n{secret}```\nchange this:\n```\n{DEPLOY}```\n"
    question += "Run it with:\n```\nsleep 5\n```\n"
    assert context_blocks(question, DEPLOY) == [1]
    assert context_blocks(question, secret + "---\n" + DEPLOY) == [0, 1]
    assert context_blocks("write a Job:\n```\nfor i in 1 2; do echo $i; done\n```", DEPLOY) == []
    p = {"id": "x", "question": question, "reference_yaml_labeled": DEPLOY, "category": "c"}
    task = problem_task(p)
    assert task.files == {"manifest.yaml": DEPLOY}
    assert "(see manifest.yaml)" in task.intent and "kind: Secret" in task.intent
    assert "``` sleep 5 ```" in task.intent  # information blocks stay, on one line


@pytest.fixture(scope="module")
def cloudeval() -> list[Task]:
    corpora = corpus_dir("cloudeval-yaml").parent
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KUBESMITH_CORPORA", str(corpora))
        return cloudeval_tasks()


def test_the_suite_is_the_120_kubernetes_modify_problems(cloudeval: list[Task]) -> None:
    assert len(cloudeval) == 120
    assert len({t.id for t in cloudeval}) == 120
    assert all(t.id.startswith("cloudeval-Kubernetes_") for t in cloudeval)
    assert all(len(t.expect) == 1 and t.expect[0].kv_match for t in cloudeval)
    with_files = [t for t in cloudeval if t.files]
    assert len(with_files) >= 110  # a few give only a script or a fragment to start from
    assert all(set(t.files) == {"manifest.yaml"} for t in with_files)
    assert all("(see manifest.yaml)" in t.intent for t in with_files)


@pytest.mark.slow
def test_the_oracle_scores_one_on_a_handful_of_problems(
    cloudeval: list[Task], tmp_path: Path
) -> None:
    picked = [t for t in cloudeval if t.files][:3]
    config = RunConfig(planner="llm", replay=ReplaySource.parse("oracle").label, run_id="o")
    results = run_tasks(picked, config, tmp_path / "run")
    assert [r["kv_score"] for r in results] == [1.0, 1.0, 1.0], results
