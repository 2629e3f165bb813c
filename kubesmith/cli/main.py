"""Entry point of the ``kubesmith`` command: the group and the list of its commands.

Each command is a module exposing one click command, named in ``COMMANDS``: those of this
package, and the bot's and the eval harness's, which live in their own packages (the interfaces
do not import each other; this table names them as strings, like entry points).
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
from collections.abc import Iterator

import click

from kubesmith import __version__

# Command name → module exposing ``command``. Modules load only when their command runs (or
# when --help lists them), so `kubesmith tools install` does not pay for the agent's imports.
COMMANDS: dict[str, str] = {
    "propose": "kubesmith.cli.propose",
    "chat": "kubesmith.cli.chat",
    "review": "kubesmith.cli.review",
    "history": "kubesmith.cli.history",
    "drift": "kubesmith.cli.drift",
    "validate": "kubesmith.cli.validate",
    "eval": "kubesmith.evals.command",
    "rules": "kubesmith.cli.rules",
    "feedback": "kubesmith.cli.feedback",
    "sandbox": "kubesmith.cli.sandbox",
    "bot": "kubesmith.bot.command",
    "mcp": "kubesmith.mcp.command",
    "tools": "kubesmith.cli.tools",
    "doctor": "kubesmith.cli.doctor",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module = importlib.import_module(COMMANDS[cmd_name])
            self.add_command(module.command, cmd_name)
        return super().get_command(ctx, cmd_name)

    # Usage errors are raised by click before any command runs, so `handle_errors` never sees
    # them; with --output json the caller still gets one JSON object on stdout (the usage text
    # stays on stderr for people).
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_JSON_KEY] = wants_json(args)
        with _usage_errors_as_json(ctx):
            return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        with _usage_errors_as_json(ctx):
            return super().invoke(ctx)


_JSON_KEY = "kubesmith.output_json"


def wants_json(args: list[str]) -> bool:
    """True when the command line asks for ``--output json`` in any of click's spellings."""
    return any(
        a in ("--output=json", "-ojson") or (a in ("-o", "--output") and b == "json")
        for a, b in itertools.pairwise([*args, ""])
    )


@contextlib.contextmanager
def _usage_errors_as_json(ctx: click.Context) -> Iterator[None]:
    try:
        yield
    except click.UsageError as e:
        if ctx.meta.get(_JSON_KEY):
            click.echo(json.dumps({"error": "UsageError", "message": e.format_message()}, indent=2))
        raise


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="kubesmith")
def cli() -> None:
    """Turn plain-English intents into validated, reviewable changes to Kubernetes manifests.

    \b
    Quick start (offline, no API key):
      kubesmith propose "scale checkout to 3 replicas" --repo path/to/manifests
      kubesmith review list
      kubesmith review accept ID

    Shell completion: eval "$(_KUBESMITH_COMPLETE=bash_source kubesmith)" (zsh_source, fish_source).
    """


def _register() -> None:
    """Load every command now (tests and tooling); ``main`` loads only the one it runs."""
    for name in cli.list_commands(click.Context(cli)):
        cli.get_command(click.Context(cli), name)


def main() -> None:
    """Console-script entry point."""
    cli()
