"""Hostile files through the real commands: the 690-byte alias bomb through ``kubesmith
validate`` (default policies), ``propose`` and the policy validator, each in a child process
whose address space is capped at 1 GiB (before the fix: past 6 GB), and the encodings and names
kubectl reads differently — all error findings with file and line, never a pass or a traceback.

The schema engine is the embedded one here: kubeconform (Go) reserves more address space than
the cap allows; the kubeconform path reads files through the same bounded reader.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubesmith.cli.main import cli
from tests.conftest import git
from tests.reading.test_limits import billion_laughs

CAP = 1 << 30  # 1 GiB of address space for the child
POD = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: c\n"
    "    image: nginx:1.27\n    securityContext:\n      privileged: true\n"
)
BOMB_POD = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: lol\n  annotations:\n"
    + billion_laughs(8, indent="    ")
    + "spec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    args: *a8\n"
)
SETTINGS = "schema: {engine: embedded}\n"


def capped(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI (``argv[0]`` is ``kubesmith``) with RLIMIT_AS set to :data:`CAP`."""
    prelude = (
        "import resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP})); "
        "sys.argv = sys.argv[1:]; "
    )
    code = prelude + "from kubesmith.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )


@pytest.fixture
def bomb_repo(make_repo: Callable[..., Path]) -> Path:
    assert len(BOMB_POD) < 800
    return make_repo(
        files={
            ".kubesmith.yaml": SETTINGS,
            "bomb.yaml": BOMB_POD,
            "web.yaml": POD.format(name="web").replace("privileged: true", "privileged: false"),
        }
    )


@pytest.mark.slow
def test_validate_refuses_the_bomb_within_a_memory_cap(bomb_repo: Path) -> None:
    proc = capped("kubesmith", "validate", "--repo", ".", "-o", "json", cwd=bomb_repo)
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stdout
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    bomb = [f for f in findings if f["file"] == "bomb.yaml"]
    assert bomb and all(f["severity"] == "error" for f in bomb)
    assert any("alias bomb" in f["message"] and f["line"] == 11 for f in bomb)
    assert not any("policy evaluation failed" in f["message"] for f in findings)


@pytest.mark.slow
def test_propose_leaves_the_bomb_out_within_a_memory_cap(bomb_repo: Path) -> None:
    intent = "set the image of web to nginx:1.28"
    proc = capped("kubesmith", "propose", intent, "--no-pr", cwd=bomb_repo)
    assert "Traceback" not in proc.stderr
    assert "bomb.yaml:11: YAML aliases expand" in proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert "Pod/web from nginx:1.27 to nginx:1.28" in proc.stdout


@pytest.mark.slow
def test_the_policy_validator_refuses_shared_data_within_a_memory_cap(tmp_path: Path) -> None:
    script = tmp_path / "direct.py"
    script.write_text(
        "import json, sys, yaml\n"
        "from pathlib import Path\n"
        "from kubesmith.config import PolicySettings\n"
        "from kubesmith.tools.policy.validator import PolicyValidator\n"
        "from kubesmith.tools.schema.located import LocatedDocument\n"
        "obj = yaml.safe_load(sys.stdin.read())  # aliases become shared lists: 690 bytes\n"
        "v = PolicyValidator(PolicySettings(), Path('.'))\n"
        "found = v.validate([LocatedDocument('bomb.yaml', 0, None, obj)])\n"
        "print(json.dumps([[f.severity, f.rule, f.message] for f in found]))\n"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, runpy, sys; "
            f"resource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP})); "
            "runpy.run_path(sys.argv[1], run_name='__main__')",
            str(script),
        ],
        input=BOMB_POD,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert proc.returncode == 0, proc.stderr
    [[severity, rule, message]] = json.loads(proc.stdout)
    assert (severity, rule) == ("error", "policy-input")
    assert "alias bomb" in message


def test_utf16_latin1_and_badly_named_manifests_are_never_a_pass(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo(files={".kubesmith.yaml": SETTINGS})
    (repo / "wide.yaml").write_bytes(POD.format(name="wide").encode("utf-16"))
    (repo / "latin.yaml").write_bytes(POD.format(name="latin").encode() + b"# caf\xe9\n")
    (repo / os.fsdecode(b"bad\xff.yaml")).write_text(POD.format(name="badname"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hostile encodings")
    result = CliRunner().invoke(cli, ["validate", "--repo", str(repo), "-o", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1
    errors = {
        (f["file"], f["rule"], f["line"])
        for f in json.loads(result.stdout)["findings"]
        if f["severity"] == "error"
    }
    # The UTF-16 pod is read as kubectl reads it: its privileged container is found.
    assert ("wide.yaml", "pss-baseline-privileged/0", 10) in errors
    assert ("latin.yaml", "schema/invalid-document", 11) in errors
    assert any(file == "bad\\xff.yaml" and line == 1 for file, _, line in errors)


def test_validate_reads_within_the_repository_size_limit(make_repo: Callable[..., Path]) -> None:
    web = POD.format(name="web").replace("privileged: true", "privileged: false")
    limit = "workspace: {max_file_bytes: 150}\n"
    repo = make_repo(files={".kubesmith.yaml": SETTINGS + limit, "web.yaml": web * 2})
    result = CliRunner().invoke(cli, ["validate", "--repo", str(repo), "-o", "json"])
    assert result.exit_code == 1
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"]
    assert (finding["file"], finding["line"]) == ("web.yaml", 1)
    assert "too large" in finding["message"]


def test_the_bot_checks_a_file_whose_name_is_not_utf8(make_repo: Callable[..., Path]) -> None:
    """The bot's changed files and discovery spell such a name alike, so the file is validated
    (an error finding) — before, the bot matched nothing and reported "checked 0 files"."""
    from kubesmith.agent.validation.files import discover
    from kubesmith.agent.validation.validate import validate
    from kubesmith.bot.checkout import Checkout
    from kubesmith.config import load_settings
    from kubesmith.tools.schema import SchemaValidator

    repo = make_repo(files={".kubesmith.yaml": SETTINGS})
    base_sha = git(repo, "rev-parse", "HEAD").strip()
    (repo / os.fsdecode(b"bad\xff.yaml")).write_text(POD.format(name="badname"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a name that is not UTF-8")
    head_sha = git(repo, "rev-parse", "HEAD").strip()
    co = Checkout(head=repo, base=repo, head_sha=head_sha, base_sha=base_sha, env={})
    changed = co.changed_files()
    assert changed == ["bad\\xff.yaml"]
    settings = load_settings(repo)
    assert discover(repo, settings, only=changed).names == changed
    schema = SchemaValidator(settings.schema_, root=repo)
    report = validate(repo, [schema], settings, only=set(changed))
    assert report.files == ("bad\\xff.yaml",)
    [finding] = report.findings
    assert (finding.file, finding.severity) == ("bad\\xff.yaml", "error")
    assert "not valid UTF-8" in finding.message


def test_deep_nesting_is_an_error_not_a_traceback(make_repo: Callable[..., Path]) -> None:
    """990 levels: libyaml composes it, then the embedded engine's JSON encoder (and the policy
    evaluator) ran out of recursion with a traceback."""
    deep = POD.format(name="deep") + "  x: " + "[" * 990 + "]" * 990 + "\n"
    repo = make_repo(files={".kubesmith.yaml": SETTINGS, "deep.yaml": deep})
    result = CliRunner().invoke(cli, ["validate", "--repo", str(repo), "-o", "json"])
    assert result.exit_code == 1, result.output
    errors = [f for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"]
    assert [(f["file"], f["line"]) for f in errors] == [("deep.yaml", 11)]
    assert "nested more than 200 levels" in errors[0]["message"]


CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.example.com
spec:
  group: example.com
  names: {{kind: {kind}, plural: {plural}, singular: {singular}, listKind: {kind}List}}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
{extra}"""


@pytest.mark.slow
def test_a_crd_folder_with_an_alias_bomb_is_read_within_a_memory_cap(tmp_path: Path) -> None:
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "good.yaml").write_text(
        CRD.format(kind="Widget", plural="widgets", singular="widget", extra="")
    )
    bomb = "        x-bomb:\n" + billion_laughs(indent="          ")
    bomb += "        properties: {spec: {type: object, properties: {a: *a9}}}\n"
    (crds / "bomb.yaml").write_text(
        CRD.format(kind="Gadget", plural="gadgets", singular="gadget", extra=bomb)
    )
    script = tmp_path / "crds.py"
    script.write_text(
        "from pathlib import Path\n"
        "from kubesmith.config import SchemaSettings\n"
        "from kubesmith.tools.schema import SchemaValidator\n"
        "v = SchemaValidator(SchemaSettings(crd_dirs=('crds',), engine='embedded'), root=Path('.'))\n"
        "import json\n"
        "[json.dumps(c.schema) for c in v._crds.values()]  # what generating their schemas does\n"
        "print(sorted(kind for _, _, kind in v._crds))\n"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, runpy, sys; "
            f"resource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP})); "
            "runpy.run_path(sys.argv[1], run_name='__main__')",
            str(script),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['Widget']"  # the bomb is refused unread, the rest learned
