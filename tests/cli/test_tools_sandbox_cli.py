"""`kubesmith tools`, `kubesmith doctor` and `kubesmith sandbox` as a user runs them."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kubesmith.cli.main import _register, cli
from kubesmith.config import DryRunSettings
from kubesmith.tools.binaries.specs import DEFAULT_TOOLS
from kubesmith.tools.dryrun.setup import open_dry_run
from kubesmith.tools.dryrun.validator import DryRunValidator
from kubesmith.tools.sandbox.server import Sandbox
from tests.tools.test_sandbox import WIDGET_CRD, needs_binaries


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    _register()
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_doctor_json_lists_every_tool_and_how_to_install(tmp_path: Path) -> None:
    # An empty cache and a PATH without the tools: everything is missing.
    env = {"KUBESMITH_TOOL_CACHE": str(tmp_path / "cache"), "PATH": str(tmp_path)}
    code, out, _ = run("doctor", "--output", "json", env=env)
    data = json.loads(out)
    assert data["cache"] == str((tmp_path / "cache").resolve())
    assert [t["name"] for t in data["tools"]] == list(DEFAULT_TOOLS)
    kubeconform = next(t for t in data["tools"] if t["name"] == "kubeconform")
    assert kubeconform["version"] == "v0.7.0"
    assert kubeconform["path"] is None
    assert kubeconform["install_command"] == "kubesmith tools install kubeconform"
    assert data["ok"] is False
    assert code == 1  # a required tool is missing


def test_doctor_text_says_optional_tools_are_optional(tmp_path: Path) -> None:
    env = {"KUBESMITH_TOOL_CACHE": str(tmp_path / "cache"), "PATH": str(tmp_path)}
    _, out, _ = run("doctor", env=env)
    assert "missing (optional); install: kubesmith tools install conftest" in out
    assert "required tools are missing: kubeconform, kustomize" in out


def test_tools_install_unknown_name_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run(
        "tools", "install", "nope", env={"KUBESMITH_TOOL_CACHE": str(tmp_path / "c")}
    )
    assert code == 2
    assert "unknown tool 'nope'" in err


def test_tools_path_of_missing_tool_fails(tmp_path: Path) -> None:
    env = {"KUBESMITH_TOOL_CACHE": str(tmp_path / "c"), "PATH": str(tmp_path)}
    code, _, err = run("tools", "path", "kubeconform", env=env)
    assert code == 1
    assert "kubesmith tools install kubeconform" in err


def test_sandbox_status_of_empty_folder(tmp_path: Path) -> None:
    code, out, _ = run("sandbox", "status", "--dir", str(tmp_path), "--output", "json")
    assert code == 0
    assert json.loads(out) == {
        "directory": str(tmp_path.resolve()),
        "running": False,
        "server": None,
        "kubeconfig": None,
        "etcd": None,
        "apiserver": None,
        "problems": [],
        "started_at": None,
    }


def test_dry_run_off_and_server_modes(tmp_path: Path) -> None:
    with open_dry_run(DryRunSettings(mode="off")) as validator:
        assert validator is None
    settings = DryRunSettings(mode="server", kubeconfig=str(tmp_path / "kc"), context="prod")
    with open_dry_run(settings) as validator:
        assert isinstance(validator, DryRunValidator)
        assert (validator.kubeconfig, validator.context, validator.sandbox) == (
            str(tmp_path / "kc"),
            "prod",
            None,
        )


@pytest.mark.integration
@needs_binaries
def test_sandbox_up_status_down(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"crds/widget.yaml": yaml.safe_dump(WIDGET_CRD)})
    folder = str(tmp_path / "sb")
    code, out, err = run("sandbox", "up", "--dir", folder, "--repo", str(repo), "-o", "json")
    try:
        assert code == 0, err
        up = json.loads(out)
        assert up["running"] is True
        assert Path(up["kubeconfig"]).is_file()
        # The repository's CRD is installed and served.
        served = Sandbox(Path(folder)).rest().get("/apis/example.com/v1/widgets")
        assert served.status == 200, served.text
        code, out, _ = run("sandbox", "status", "--dir", folder, "--output", "json")
        assert (code, json.loads(out)["server"]) == (0, up["server"])
        # A second `up` reuses the running sandbox.
        code, out, _ = run("sandbox", "up", "--dir", folder, "--output", "json")
        assert json.loads(out)["apiserver"]["pid"] == up["apiserver"]["pid"]
        # `--dry-run sandbox` with this folder configured uses it rather than a new one.
        with open_dry_run(DryRunSettings(mode="sandbox", sandbox_dir=folder)) as validator:
            assert validator is not None
            assert validator.sandbox is not None
            assert validator.sandbox.server == up["server"]
    finally:
        code, _, _ = run("sandbox", "down", "--dir", folder)
    assert code == 0
    assert not os.path.exists(up["kubeconfig"])
    assert Sandbox(Path(folder)).status().running is False


@pytest.mark.integration
@needs_binaries
def test_dry_run_sandbox_mode_starts_a_throwaway_sandbox(tmp_path: Path) -> None:
    settings = DryRunSettings(mode="sandbox", sandbox_dir=str(tmp_path / "not-running"))
    with open_dry_run(settings) as validator:
        assert validator is not None
        assert validator.sandbox is not None
        throwaway = validator.sandbox.directory
        assert validator.sandbox.status().running
    assert not (throwaway / "state.json").exists()
