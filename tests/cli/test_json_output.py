"""Every command a script would call takes ``--output json`` and prints one JSON object."""

from __future__ import annotations

import json
from collections.abc import Iterator

import click
from click.testing import CliRunner

from kubesmith.cli.main import _register, cli

# Interactive or long-running by nature: there is no one result to print.
NOT_SCRIPTED = {"kubesmith chat", "kubesmith bot serve", "kubesmith mcp serve"}


def leaves(cmd: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
    if isinstance(cmd, click.Group) and not getattr(cmd, "invoke_without_command", False):
        for name, sub in cmd.commands.items():
            yield from leaves(sub, f"{path} {name}")
        return
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            yield from leaves(sub, f"{path} {name}")


def test_every_scripted_command_has_output_json() -> None:
    _register()
    missing = [
        path
        for path, cmd in leaves(cli, "kubesmith")
        if path not in NOT_SCRIPTED and not any(p.name == "output" for p in cmd.params)
    ]
    assert missing == []


def test_tools_path_json() -> None:
    _register()
    result = CliRunner().invoke(cli, ["tools", "path", "kubeconform", "-o", "json"])
    data = json.loads(result.stdout)
    assert data["name"] == "kubeconform"
    assert result.exit_code == (0 if data["path"] else 1)
    assert data["installed"] is bool(data["path"])
    unknown = CliRunner().invoke(cli, ["tools", "path", "nope", "-o", "json"])
    assert unknown.exit_code == 2
    assert "unknown tool" in json.loads(unknown.stdout)["message"]
