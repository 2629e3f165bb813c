"""`kubesmith rules` and `kubesmith feedback` as a user runs them, on a real review history."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubesmith.cli.main import _register, cli

# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def run(*args: str, input: str | None = None) -> tuple[int, dict | str, str]:
    _register()
    result = CliRunner().invoke(cli, list(args), input=input)
    out: dict | str = result.stdout
    if "-o" in args or "--output" in args:
        with contextlib.suppress(json.JSONDecodeError):
            out = json.loads(result.stdout)
    return result.exit_code, out, result.stderr


def propose_and_reject(repo: Path, intent: str, reason: str) -> str:
    code, data, err = run("propose", intent, "--repo", str(repo), "-o", "json")
    assert code == 0, err
    assert isinstance(data, dict)
    pr_id = data["pr"]["id"]
    code, _, err = run("review", "reject", pr_id, "--reason", reason, "--repo", str(repo))
    assert code == 0, err
    return str(data["id"])


def test_rules_are_learned_from_rejections_and_approved(example_repo: Path, tmp_path: Path) -> None:
    repo = str(example_repo)
    first = propose_and_reject(
        example_repo, "scale payments to 3", "missing the owner label owner=orders"
    )
    propose_and_reject(example_repo, "scale cart to 4", "Memory limit must equal the request.")

    code, data, _ = run("rules", "list", "--repo", repo, "-o", "json")
    assert code == 0
    assert isinstance(data, dict)
    by_kind = {r["kind"]: r for r in data["rules"]}
    assert set(by_kind) == {"required_label", "memory_limit_equals_request"}
    label = by_kind["required_label"]
    assert label["status"] == "candidate"
    assert label["params"] == {"key": "owner", "value": "orders"}
    assert label["evidence"] == [
        {
            "proposal_id": first,
            "source": "rejection",
            "detail": "missing the owner label owner=orders",
            "ref": "",
        }
    ]

    code, text, _ = run("rules", "list", "--repo", repo)
    assert code == 0
    assert "missing the owner label" in str(text)

    code, data, _ = run("rules", "approve", label["id"][:6], "--repo", repo, "-o", "json")
    assert code == 0
    assert isinstance(data, dict)
    assert data["rule"]["status"] == "approved"
    code, data, _ = run(
        "rules",
        "reject",
        by_kind["memory_limit_equals_request"]["id"],
        "--repo",
        repo,
        "-o",
        "json",
    )
    assert code == 0
    code, data, _ = run("rules", "list", "--status", "approved", "--repo", repo, "-o", "json")
    assert isinstance(data, dict)
    assert [r["id"] for r in data["rules"]] == [label["id"]]

    target = tmp_path / "policies" / "learned.yaml"
    code, data, _ = run("rules", "policy", "--write", str(target), "--repo", repo, "-o", "json")
    assert code == 0
    assert isinstance(data, dict)
    assert [p["kind"] for p in data["policies"]] == [
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    ]
    assert "ValidatingAdmissionPolicy" in target.read_text()

    code, data, _err = run("rules", "approve", "r-nope", "--repo", repo, "-o", "json")
    assert code == 2
    assert isinstance(data, dict)
    assert data["error"] == "UsageError"


def test_feedback_export_import_forget(example_repo: Path, make_repo) -> None:  # type: ignore[no-untyped-def]
    repo = str(example_repo)
    pid = propose_and_reject(example_repo, "scale payments to 5", "no, 5 is too many")
    code, exported, _ = run("feedback", "export", "--repo", repo)
    assert code == 0
    document = json.loads(str(exported))
    assert [p["id"] for p in document["proposals"]] == [pid]
    assert document["outcomes"][0]["reason"] == "no, 5 is too many"

    path = example_repo.parent / "export.json"
    code, data, _ = run("feedback", "export", "--file", str(path), "--repo", repo, "-o", "json")
    assert isinstance(data, dict)
    assert data["counts"]["proposals"] == 1
    other = make_repo(files={"a.yaml": "a: 1\n"})
    code, data, _ = run("feedback", "import", str(path), "--repo", str(other), "-o", "json")
    assert code == 0
    assert isinstance(data, dict)
    assert data["imported"] == {"proposals": 1, "pull_requests": 1, "outcomes": 1, "rules": 0}

    code, data, _ = run("feedback", "forget", pid[:6], "--repo", str(other), "-o", "json")
    assert code == 0
    assert isinstance(data, dict)
    assert data["forgotten"] == {"outcomes": 1, "pull_requests": 1, "proposals": 1}
    code, data, _ = run("feedback", "forget", "--repo", str(other), "-o", "json")
    assert code == 2
    code, _, _ = run("feedback", "forget", "--all", "--repo", repo, input="n\n")
    assert code == 2
    code, data, _ = run("feedback", "forget", "--all", "--yes", "--repo", repo, "-o", "json")
    assert isinstance(data, dict)
    assert data["forgotten"]["proposals"] == 1
