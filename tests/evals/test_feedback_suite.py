"""The feedback eval suite: a simulated reviewer teaches kubesmith its team's conventions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubesmith.evals.feedback_suite import Submitted, Verdict, intents, run_feedback_suite
from kubesmith.evals.reviewer import SimulatedReviewer
from kubesmith.model import ChangeSet, ResourceRef, SetField
from kubesmith.store import Store
from kubesmith.store.records import Rule
from kubesmith.workspace import Workspace
from tests.conftest import git

CHECKOUT = ResourceRef("apps/v1", "Deployment", "checkout")


def test_reviewer_rejects_with_words_and_fixes_by_editing(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    changes = ws.apply(ChangeSet("scale checkout to 3", (SetField(CHECKOUT, "spec.replicas", 3),)))
    review = SimulatedReviewer(words="fixed").review(ws, changes)
    assert review.verdict == "rejected"
    assert "Memory limit must equal the memory request." in review.reason
    assert set(review.violated) >= {"required_label", "memory_limit_equals_request"}
    assert review.feedback
    # with every convention met, the same kind of change is accepted untouched
    fixed = ChangeSet(
        "meet the conventions",
        (
            SetField(CHECKOUT, "metadata.labels.owner", "shop-team"),
            SetField(CHECKOUT, 'metadata.annotations["owner-contact"]', "platform-oncall"),
            SetField(
                CHECKOUT,
                "spec.template.spec.containers[name=checkout].resources.limits.memory",
                "128Mi",
            ),
            SetField(
                CHECKOUT,
                "spec.template.spec.containers[name=checkout].imagePullPolicy",
                "IfNotPresent",
            ),
            SetField(
                CHECKOUT,
                "spec.template.spec.topologySpreadConstraints",
                [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}],
            ),
        ),
    )
    changes = ws.apply(fixed)
    review = SimulatedReviewer(words="fixed").review(ws, changes)
    assert (review.verdict, review.fixes, review.feedback) == ("accepted", (), False)


def test_intent_sequence_is_reproducible() -> None:
    assert intents(40, seed=3) == intents(40, seed=3)
    assert intents(40, seed=3) != intents(40, seed=4)
    assert len(intents(45)) == 45


@pytest.mark.integration
@pytest.mark.slow
def test_learning_lifts_acceptance_within_twenty_feedback_events() -> None:
    """The whole suite on the example repository: the real loop with kustomize and kubeconform."""
    report = run_feedback_suite(count=40, seed=0)
    assert report["proposals"] == 40
    assert report["errors"] == 0  # (a base edit an overlay overrides is blocked: not an error)
    assert report["hidden_conventions"] >= 5
    assert report["feedback_events"] <= 20
    assert report["last10_acceptance"] >= 0.9
    assert report["last10_acceptance"] > report["first10_acceptance"]
    assert len(report["rules_approved"]) >= 4
    kinds = {"accepted", "edited", "rejected", "refused", "unchanged", "blocked"}
    assert all(e["result"] in kinds for e in report["log"])


WEB = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0.0
"""
# Policy (in-process CEL) is the validator these small runs name: kubeconform and kustomize are
# processes, exercised by the whole suite's test below (make test).
SETTINGS = "schema: {enabled: false}\npolicy: {packs: [pss-baseline, best-practices]}\n"
WEB_REF = ResourceRef("apps/v1", "Deployment", "web")
PULL_POLICY = "spec.template.spec.containers[name=web].imagePullPolicy"


class TeamReviewer:
    """Rejects a change to a Deployment without label team=payments (saying so); otherwise
    fixes a missing imagePullPolicy itself on the branch and merges. Reads the branch."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, submitted: Submitted) -> Verdict:
        obj = submitted.workspace.get(WEB_REF).obj
        self.seen.append((submitted.proposal.intent, obj))
        if obj["metadata"].get("labels", {}).get("team") != "payments":
            return Verdict(False, "needs label team=payments")
        container = obj["spec"]["template"]["spec"]["containers"][0]
        if container.get("imagePullPolicy") != "IfNotPresent":
            return Verdict(True, fixes=(SetField(WEB_REF, PULL_POLICY, "IfNotPresent"),))
        return Verdict(True)


@pytest.mark.slow
def test_the_suite_runs_the_real_loop_through_the_review_queue(tmp_path: Path) -> None:
    source = tmp_path / "manifests"
    source.mkdir()
    (source / "web.yaml").write_text(WEB)
    (source / ".kubesmith.yaml").write_text(SETTINGS)
    reviewer = TeamReviewer()
    kept: dict[str, Any] = {}

    def keep(store: Store, rules: list[Rule]) -> None:  # the maintainer approves every candidate
        for rule in rules:
            if rule.status == "candidate":
                store.set_rule_status(rule.id, "approved")

    def watch(entry: dict[str, Any]) -> None:
        kept.setdefault("control" if entry.get("control") else "learning", []).append(entry)

    report = run_feedback_suite(
        repo=source,
        sequence=["scale web to 2", "scale web to 3", "scale web to 2"],
        reviewer=reviewer,
        maintainer=keep,
        on_entry=watch,
    )
    results = [e["result"] for e in report["log"]]
    # 1: rejected in words; the rule mined from the reason is approved. 2: the rule adds the
    # label, the reviewer adds imagePullPolicy on the branch and merges. 3: on the merged base,
    # replicas 2 is exactly the change rejected in 1: refused.
    assert results == ["rejected", "edited", "refused"]
    assert "needs label team=payments" in report["log"][2]["reason"]
    assert any(r.endswith("required_label") for r in report["rules_approved"])
    # the reviewer read each pull request's branch: the rule's label is on the second one
    # (then the control run's three pull requests follow)
    assert [intent for intent, _ in reviewer.seen[:2]] == ["scale web to 2", "scale web to 3"]
    assert reviewer.seen[1][1]["metadata"]["labels"]["team"] == "payments"
    assert reviewer.seen[1][1]["spec"]["replicas"] == 3
    assert (report["feedback_events"], report["last_feedback_at"]) == (2, 2)
    assert report["refused_as_rejected_before"] == 1
    # without learning nothing is applied or refused: every proposal is rejected
    assert [e["result"] for e in kept["control"]] == ["rejected", "rejected", "rejected"]
    assert report["control_feedback_events"] == 3
    assert [e["n"] for e in kept["learning"]] == [1, 2, 3]


@pytest.mark.slow
def test_reviews_go_through_the_local_forge_and_git(tmp_path: Path) -> None:
    """What the suite leaves in its repository is what `kubesmith review` would have left."""
    source = tmp_path / "manifests"
    source.mkdir()
    (source / "web.yaml").write_text(WEB)
    (source / ".kubesmith.yaml").write_text(SETTINGS)
    report = run_feedback_suite(
        repo=source,
        sequence=["add label team=payments to web", "scale web to 1", "scale web to 4"],
        reviewer=TeamReviewer(),
        control=False,
        workdir=tmp_path / "runs",
    )
    assert [e["result"] for e in report["log"]] == ["edited", "unchanged", "accepted"]
    repo = tmp_path / "runs" / "learning"
    with Store.open(repo=repo) as store:
        records = {r.pr.id: r for r in store.list_pull_requests()}
        assert {r.pr.status for r in records.values()} == {"accepted"}
        assert [e["pr"] for e in report["log"] if "pr" in e] == sorted(
            records, key=lambda i: records[i].created_at
        )
        # the reviewer's own edit on the branch is the follow-up diff the forge recorded
        edits = [o.follow_up_diff for o in store.outcomes() if o.follow_up_diff]
        assert len(edits) == 1 and "+          imagePullPolicy: IfNotPresent" in edits[0]
    merged = (repo / "web.yaml").read_text()  # main is checked out: merges updated it
    assert "team: payments" in merged and "imagePullPolicy: IfNotPresent" in merged
    assert "replicas: 4" in merged
    log = git(repo, "log", "--format=%an %s", "main")
    assert log.count("Merge kubesmith/") == 2 and "Reviewer Follow the team's conventions" in log
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
def test_eval_cli_prints_the_figures_and_keeps_them_out_of_task_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    import kubesmith.evals.feedback_suite as suite
    from kubesmith.cli.main import cli

    source = tmp_path / "manifests"
    source.mkdir()
    (source / "web.yaml").write_text(WEB)
    (source / ".kubesmith.yaml").write_text(SETTINGS)
    real = suite.run_feedback_suite

    def small(**kw: Any) -> dict[str, Any]:  # the real suite, on a small repository
        return real(
            repo=source,
            sequence=["scale web to 2", "scale web to 3"],
            reviewer=TeamReviewer(),
            **kw,
        )

    monkeypatch.setattr(suite, "run_feedback_suite", small)
    runner = CliRunner()
    out = runner.invoke(cli, ["eval", "--suite", "feedback", "--output-dir", str(tmp_path / "run")])
    assert out.exit_code == 0, out.output
    assert "feedback: acceptance 0% over the first 10 reviewed proposals" in out.output
    assert "without learning 0% over the last 10" in out.output
    assert "feedback 1: rejected: scale web to 2" in out.output
    assert " 0%  " not in out.output  # no task-success row for a suite that has no tasks
    data = runner.invoke(
        cli, ["eval", "--suite", "feedback", "-o", "json", "--output-dir", str(tmp_path / "j")]
    )
    summary = json.loads(data.output)
    assert (summary["tasks"], summary["successes"]) == (0, 0)
    assert summary["suites"]["feedback"]["feedback_events"] == 2
    saved = json.loads((tmp_path / "j" / "feedback.json").read_text())
    assert [e["result"] for e in saved["log"]] == ["rejected", "rejected"]
