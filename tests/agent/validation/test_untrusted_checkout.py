"""Nothing inside a checkout switches checks off for its own files, and nothing outside it is
read: a kustomization calling a file a patch does not hide it, and links leaving the checkout are
findings, never followed (their targets are not read, let alone quoted)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.bot.validation import validate_checkout
from kubesmith.config import Settings
from tests.agent.validation.conftest import pull_request, validate_json

PRIVILEGED = """\
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: tools
spec:
  hostNetwork: true
  containers:
    - name: shell
      image: busybox:1.36
      securityContext:
        privileged: true
"""
CALLS_IT_A_PATCH = "patches:\n  - path: pod.yaml\n"
ELSEWHERE_CALLS_IT_A_PATCH = "patches:\n  - path: ../pod.yaml\n"
POLICY_ERRORS = {
    ("pss-baseline-host-namespaces/0", "pod.yaml", 7),
    ("pss-baseline-privileged/0", "pod.yaml", 12),
}
SETTINGS = Settings.model_validate({"policy": {"packs": ["pss-baseline"]}})
SECRET = "s3cr3t-host-value-never-quoted"


def _errors(findings: object) -> set[tuple[str, str, int]]:
    return {
        (f.rule or "", f.file or "", f.line or 0)
        for f in findings  # type: ignore[attr-defined]
        if f.severity == "error"
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "kustomizations",
    [
        {"kustomization.yaml": CALLS_IT_A_PATCH},
        {"evil/kustomization.yaml": ELSEWHERE_CALLS_IT_A_PATCH},
    ],
)
def test_a_file_called_a_patch_is_still_validated_by_kubesmith_validate(
    make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, kustomizations: dict[str, str]
) -> None:
    repo = make_repo({"pod.yaml": PRIVILEGED, **kustomizations})
    monkeypatch.chdir(repo)
    run = validate_json("--policies", "pss-baseline")
    # Before: the Pod was a "Kustomize patch" and skipped: no problems, exit 0.
    assert run.exit_code == 1
    assert run.rules() >= POLICY_ERRORS


@pytest.mark.slow
def test_a_file_called_a_patch_is_still_validated_by_the_bot(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo({"README.md": "manifests\n"})
    co = pull_request(
        repo, {"pod.yaml": PRIVILEGED, "evil/kustomization.yaml": ELSEWHERE_CALLS_IT_A_PATCH}
    )
    verdict = validate_checkout(co, SETTINGS)
    assert _errors(verdict.findings) >= POLICY_ERRORS


@pytest.mark.slow
def test_links_out_of_the_checkout_are_findings_and_never_read(
    make_repo: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {SECRET}\n")
    repo = make_repo({"README.md": "manifests\n"})
    links = {"passwd.yaml": "/etc/passwd", "deploy/secret.yaml": "../../secret.yaml"}
    for rel, target in links.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).symlink_to(target)
    (repo / "deploy" / "kustomization.yaml").write_text("resources:\n  - secret.yaml\n")
    monkeypatch.chdir(repo)
    run = validate_json()
    assert run.exit_code == 1
    refused = {(f["file"], f["rule"]) for f in run.findings if f["severity"] == "error"}
    assert {
        ("passwd.yaml", "symlink-outside"),
        ("deploy/secret.yaml", "symlink-outside"),
    } <= refused
    assert SECRET not in run.text and "root:" not in run.text


def test_the_bot_refuses_links_a_pull_request_adds(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {SECRET}\n")
    repo = make_repo({"README.md": "manifests\n"})
    links = {"passwd.yaml": "/etc/passwd", "deploy/app.yaml": "../../secret.yaml"}
    co = pull_request(repo, {}, links)
    verdict = validate_checkout(co, SETTINGS)
    assert {(f.file, f.rule) for f in verdict.findings if f.severity == "error"} == {
        ("deploy/app.yaml", "symlink-outside"),
        ("passwd.yaml", "symlink-outside"),
    }
    assert not any(SECRET in f.message or "root:" in f.message for f in verdict.findings)
    # The bot checks out with core.symlinks=false: a link is a plain file holding its target.
    for rel, target in links.items():
        (repo / rel).unlink()
        (repo / rel).write_text(target)
    again = validate_checkout(co, SETTINGS)
    assert {(f.file, f.rule) for f in again.findings if f.severity == "error"} == {
        ("deploy/app.yaml", "symlink-outside"),
        ("passwd.yaml", "symlink-outside"),
    }
