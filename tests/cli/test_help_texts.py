"""``--help`` answers questions: every option of every command says what it does."""

from __future__ import annotations

from collections.abc import Iterator

import click

from kubesmith.cli.main import _register, cli


def options(cmd: click.Command, path: str) -> Iterator[tuple[str, click.Option]]:
    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            yield from options(sub, f"{path} {name}")
    for p in cmd.params:
        if isinstance(p, click.Option) and p.name != "help":
            yield path, p


def test_every_option_has_help() -> None:
    _register()
    missing = [f"{path} {'/'.join(o.opts)}" for path, o in options(cli, "kubesmith") if not o.help]
    assert missing == []


def test_every_command_has_help() -> None:
    _register()
    assert cli.commands
    for name, cmd in cli.commands.items():
        assert cmd.help, name


def test_accept_help_says_what_happens_to_the_checkout() -> None:
    _register()
    review = cli.commands["review"]
    assert isinstance(review, click.Group)
    text = review.commands["accept"].help or ""
    assert "uncommitted" in text and "conflict" in text and "Exit codes" in text
