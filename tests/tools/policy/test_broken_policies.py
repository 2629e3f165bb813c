"""Broken policies are findings (file, line, why), never silently enforced or skipped — and
"broken" means what the API server refuses to create: checked case by case offline, and against
a real kube-apiserver (dry-run creates) when the sandbox binaries are built."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from kubesmith.config import PolicySettings
from kubesmith.tools.policy import PolicyValidator
from kubesmith.tools.policy.celenv import shared_environment
from kubesmith.tools.policy.loader import load_text
from kubesmith.tools.sandbox.server import Sandbox
from kubesmith.workspace import Workspace
from tests.tools.policy.broken_cases import CASES, Case, binding, check, policy


def offline_refuses(case: Case) -> list[str]:
    """The offline loader's reasons for refusing the case's document (empty: accepted)."""
    loaded = load_text(yaml.safe_dump(case.doc), "p.yaml", shared_environment())
    return [p.message for p in loaded.problems]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_offline_verdict_matches_the_api_servers(case: Case) -> None:
    reasons = offline_refuses(case)
    assert (not reasons) == case.accepted, reasons
    if not case.accepted:
        assert any(f": {case.why}" in r for r in reasons), reasons


def test_a_broken_policy_is_a_finding_with_file_line_and_why(
    make_repo: Callable[..., Path],
) -> None:
    docs = [
        policy("needs-params", validations=check("object.spec.replicas <= params.max")),
        binding("needs-params", policyName="needs-params"),
        binding("orphan", policyName="nowhere"),
    ]
    text = yaml.safe_dump_all(docs, sort_keys=False)
    repo = make_repo(files={"policies/p.yaml": text})
    settings = PolicySettings(packs=(), folders=("policies",))
    findings = PolicyValidator(settings, repo).validate(Workspace.load(repo).resources)
    by_rule = {f.rule: f for f in findings}
    broken = by_rule["needs-params"]
    assert broken.severity == "error"
    assert broken.file == "policies/p.yaml"
    assert (
        broken.line
        == text.splitlines().index("  - expression: object.spec.replicas <= params.max") + 1
    )
    assert "undeclared reference to 'params'" in broken.message
    assert "spec.validations[0].expression" in broken.message
    orphan = by_rule["orphan"]
    assert orphan.severity == "warning"
    assert "names policy nowhere, which is not defined" in orphan.message
    # the broken policy is not enforced: its binding's policy is gone, nothing else is reported
    assert set(by_rule) == {"needs-params", "orphan"}


def _server_accepts(sandbox: Sandbox, case: Case) -> tuple[bool, str]:
    group_version = str(case.doc["apiVersion"])
    plural = "validatingadmissionpolicies"
    if case.doc["kind"] == "ValidatingAdmissionPolicyBinding":
        plural = "validatingadmissionpolicybindings"
    resp = sandbox.rest().post(f"/apis/{group_version}/{plural}?dryRun=All", case.doc)
    return resp.status in (200, 201), resp.text[:300]


@pytest.mark.integration
def test_the_api_server_agrees_with_every_case(kubesmith_sandbox: Sandbox) -> None:
    """Agreement 1.0 between the sandbox's verdict (dry-run create) and the offline loader's."""
    disagreements = []
    for case in CASES:
        server, detail = _server_accepts(kubesmith_sandbox, case)
        offline = not offline_refuses(case)
        if server != offline or server != case.accepted:
            disagreements.append(
                f"{case.name}: server {'accepts' if server else 'refuses'} ({detail}), "
                f"offline {'accepts' if offline else 'refuses'}, expected {case.accepted}"
            )
    assert disagreements == [], "\n".join(disagreements)


def test_every_built_in_pack_passes_the_api_servers_validation() -> None:
    """The loader trusts the packs (it skips these checks and compiles their expressions only
    when used, for speed): keep it true."""
    from kubesmith.tools.policy.apivalidation import binding_errors, policy_errors
    from kubesmith.tools.policy.packs import available_packs, pack_text

    for pack in available_packs():
        # loaded as a user's file: every check, every expression compiled
        assert load_text(pack_text(pack), pack, shared_environment()).problems == ()
        for doc in yaml.safe_load_all(pack_text(pack)):
            if not isinstance(doc, dict):
                continue
            if doc.get("kind") == "ValidatingAdmissionPolicy":
                assert policy_errors(doc) == [], (pack, doc["metadata"]["name"])
            elif doc.get("kind") == "ValidatingAdmissionPolicyBinding":
                assert binding_errors(doc) == [], (pack, doc["metadata"]["name"])


def test_policy_files_are_read_bounded_and_inside_the_repository(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    """Policy folders are repository content (untrusted): an alias bomb is refused, not
    expanded, and a link to a file outside the checkout is not read."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(yaml.safe_dump(policy("outside")))
    repo = make_repo(files={"policies/bomb.yaml": bomb})
    (repo / "policies" / "link.yaml").symlink_to(outside)
    settings = PolicySettings(packs=(), folders=("policies",))
    validator = PolicyValidator(settings, repo)
    problems = {p.file: p.message for p in validator.problems}
    assert "refused" in problems["policies/bomb.yaml"]
    assert problems["policies/link.yaml"] == "a link out of the repository: not read"
    assert validator.policies.policies == ()
