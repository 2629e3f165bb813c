"""The reviewers suite: the corpus, its one split, the scorer and the measured figures."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kubesmith.agent.reasons import Stated
from kubesmith.cli.main import _register, cli
from kubesmith.evals.reviewers_suite import corpus, part, run_reviewers_suite, score, split


def test_corpus_is_varied_and_split_once() -> None:
    comments = corpus()
    assert len(comments) >= 200
    assert len({c.id for c in comments}) == len(comments)
    assert sum(not c.expect for c in comments) >= 30  # no convention
    assert sum(len(c.expect) >= 2 for c in comments) >= 15  # two or more
    assert sum(c.change is not None for c in comments) >= 5  # the change is the context
    assert len({c.by for c in comments}) >= 5  # several people's styles
    dev, measured = set(split()["development"]), set(split()["measured"])
    assert not dev & measured
    assert dev | measured == {c.id for c in comments}
    assert len(part("measured")) == len(measured)


def test_scorer_counts_misses_and_false_rules() -> None:
    comments = part("development")
    silent = score(comments, lambda text, changes: [])
    assert silent["right"] == 0 and silent["false_rule_comments"] == 0
    eager = score(comments, lambda text, changes: [Stated("no_latest_tag", {})])
    assert eager["false_rule_comments"] == eager["without_convention"]
    # a right answer with a wrong parameter is not right
    label = next(c for c in comments if [e.kind for e in c.expect] == ["required_label"])
    wrong_key = {**label.expect[0].params, "key": "not-" + str(label.expect[0].params["key"])}
    wrong = score([label], lambda t, c: [Stated("required_label", wrong_key)])
    assert wrong["right"] == 0 and wrong["misses"][0]["id"] == label.id
    exact = score([label], lambda t, c: list(label.expect))
    assert exact["right"] == 1


def test_the_offline_reader_meets_the_goal_on_the_measured_part() -> None:
    report = run_reviewers_suite()
    assert report["measured"]["recall"] >= 0.85
    assert report["development"]["false_rule_comments"] == 0
    assert report["measured"]["with_convention"] >= 90


def test_eval_cli_reports_both_parts(tmp_path: Path) -> None:
    _register()
    result = CliRunner().invoke(
        cli, ["eval", "--suite", "reviewers", "--output-dir", str(tmp_path / "run"), "-o", "json"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["suites"]["reviewers"]
    assert set(data) >= {"development", "measured", "reader"}
    assert data["reader"] == "offline"
    written = json.loads((tmp_path / "run" / "reviewers.json").read_text())
    assert "misses" in written["measured"]
