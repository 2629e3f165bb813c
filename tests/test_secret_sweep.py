"""Secret sweep: values planted in Secrets, env vars, annotations and intents appear in no output.

The example repository (a small shop: Deployments, a Secret, Kustomize overlays) gets secret
values in every place a manifest keeps them; then the CLI is used as a person would — validate,
propose changes next to and onto those values, list and show the review queue, accept and
reject, export the feedback store — and every byte kubesmith wrote is searched: stdout and
stderr (text and JSON), branch names, commit messages, pull request titles and bodies (in the
store), the SQLite files read raw (database, WAL), and the export. The manifests themselves are
the one place a value may be: the user's change has to be committed.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))

# Starts processes (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow

PLANTED = {
    "stringdata": "PLANTSTRINGDATA7731",
    "webhook": "PLANTWEBHOOK4409",
    "data": "PLANTDATAVALUE1188",
    "env-old": "PLANTENVOLD5521",
    "env-new": "PLANTENVNEW6612",
    "annotation-old": "PLANTANNOTOLD3301",
    "annotation-new": "PLANTANNOTNEW8812",
}
INTENTS = [
    f"set env DB_PASSWORD={PLANTED['env-new']} on checkout",
    f"add annotation api-token={PLANTED['annotation-new']} to checkout",
    "add label team=payments to the payments-secrets secret",
    "scale checkout to 3",
    "set the memory limit of payments to 512Mi",
]


def _plant(repo: Path) -> None:
    secret = repo / "base" / "payments-secret.yaml"
    text = secret.read_text()
    text = text.replace("sk_test_placeholder", PLANTED["stringdata"])
    text = text.replace("whsec_placeholder", PLANTED["webhook"])
    encoded = base64.b64encode(PLANTED["data"].encode()).decode()
    secret.write_text(text + f"data:\n  db-password: {encoded}\n")
    checkout = repo / "base" / "checkout.yaml"
    text = checkout.read_text()
    assert "    team: orders\n" in text and '              value: "http://payments:8080"\n' in text
    text = text.replace(
        "    team: orders\n", f"    team: orders\n    api-token: {PLANTED['annotation-old']}\n", 1
    )
    text = text.replace(
        '              value: "http://payments:8080"\n',
        '              value: "http://payments:8080"\n'
        "            - name: DB_PASSWORD\n"
        "              # rotated every quarter by the payments team\n"
        "              # owner: payments\n"
        "              # vault: kv/shop/db\n"
        f'              value: "{PLANTED["env-old"]}"\n',
        1,
    )
    checkout.write_text(text)
    git(repo, "commit", "-q", "-am", "credentials for local clusters")


def _run(repo: Path, outputs: list[str], *args: str, ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run(
        [KUBESMITH, *args, "--repo", str(repo)], capture_output=True, text=True, check=False
    )
    outputs += [done.stdout, done.stderr]
    assert done.returncode in ok, (args, done.returncode, done.stderr)
    return done.stdout


def _forms(value: str) -> list[str]:
    """The value as it could show: itself, lowercased (branch slugs), and base64."""
    return [value.lower(), base64.b64encode(value.encode()).decode().lower()]


def test_no_planted_secret_appears_in_any_output(example_repo: Path) -> None:
    repo = example_repo
    _plant(repo)
    outputs: list[str] = []
    _run(repo, outputs, "validate", ok=(0, 1))
    _run(repo, outputs, "validate", "-o", "json", ok=(0, 1))
    pr_ids = []
    for intent in INTENTS:  # exit 1: a proposal blocked by validation is output too
        proposal = json.loads(_run(repo, outputs, "propose", intent, "-o", "json", ok=(0, 1)))
        if proposal["pr"]:
            pr_ids.append(proposal["pr"]["id"])
    assert len(pr_ids) >= 3, "the sweep needs pull requests to review"
    _run(repo, outputs, "propose", "scale catalog to 2", ok=(0, 1))  # text output too
    _run(repo, outputs, "review", "list")
    _run(repo, outputs, "review", "list", "-o", "json")
    for pr_id in pr_ids:
        _run(repo, outputs, "review", "show", pr_id)
        _run(repo, outputs, "review", "show", pr_id, "-o", "json")
    _run(repo, outputs, "review", "reject", pr_ids[0], "--reason", "use a secretKeyRef")
    _run(repo, outputs, "review", "accept", pr_ids[1])
    _run(repo, outputs, "feedback", "export")
    export = repo / "export.json"
    _run(repo, outputs, "feedback", "export", "--file", str(export))
    outputs.append(export.read_text())
    export.unlink()
    outputs.append(git(repo, "log", "--all", "--format=%B%n%D"))
    outputs.append(git(repo, "branch", "--all"))
    store_dir = repo / ".git" / "kubesmith"
    raw = [p.read_bytes().decode("latin-1") for p in store_dir.glob("store.db*")]
    assert raw, "the store was not written"
    outputs += raw
    everything = "\n".join(outputs).lower()
    leaked = {
        name: form
        for name, value in PLANTED.items()
        for form in _forms(value)
        if form in everything
    }
    assert not leaked, f"secret values found in kubesmith's output: {leaked}"
    # The sweep looked at real output: the proposals and the review queue are there.
    assert "set env db_password=<redacted> on checkout" in everything
    assert "api-token" in everything
