"""Reading ``.kubesmith.yaml``: anything that is not a readable, bounded YAML file is a clear
configuration error (exit 2 from the CLI), never silently the defaults or a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubesmith.cli.main import cli
from kubesmith.config import load_settings
from kubesmith.errors import ConfigError
from tests.reading.test_limits import billion_laughs


def _validate(repo: Path) -> tuple[int, dict[str, str], str]:
    result = CliRunner().invoke(cli, ["validate", "--repo", str(repo), "-o", "json"])
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_a_settings_folder_is_an_error_not_the_defaults(tmp_path: Path) -> None:
    (tmp_path / ".kubesmith.yaml").mkdir()
    with pytest.raises(ConfigError, match="not a regular file"):
        load_settings(tmp_path)
    code, out, err = _validate(tmp_path)
    assert code == 2
    assert ".kubesmith.yaml: not a regular file" in out["message"]
    assert "Traceback" not in err


def test_a_broken_link_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".kubesmith.yaml").symlink_to(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="broken link"):
        load_settings(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("policy:\n  params:\n" + billion_laughs(indent="    "), "alias bomb"),
        (b"planner: offline\nllm: {model: caf\xe9}\n", "not valid UTF-8"),
        ("planner: offline\n---\nplanner: llm\n", "expected one YAML document"),
    ],
)
def test_hostile_settings_content_is_an_error(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = tmp_path / ".kubesmith.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_settings_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / ".kubesmith.yaml"
    path.write_text("planner: offline\n")
    path.chmod(0)
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path)


def test_utf16_settings_are_read(tmp_path: Path) -> None:
    (tmp_path / ".kubesmith.yaml").write_bytes("planner: offline\n".encode("utf-16"))
    assert load_settings(tmp_path).planner == "offline"
