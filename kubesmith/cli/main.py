"""Entry point of the ``kubesmith`` command: the group and the list of its commands.

Each command is a module of this package exposing one click command; adding a command is one
import and one ``add_command`` line below.
"""

from __future__ import annotations

import importlib

import click

from kubesmith import __version__

# Command name → module exposing ``command``. Modules load only when their command runs (or
# when --help lists them), so `kubesmith tools install` does not pay for the agent's imports.
COMMANDS: dict[str, str] = {
    "propose": "kubesmith.cli.propose",
    "chat": "kubesmith.cli.chat",
    "review": "kubesmith.cli.review",
    "validate": "kubesmith.cli.validate",
    "eval": "kubesmith.cli.evals",
    "rules": "kubesmith.cli.rules",
    "feedback": "kubesmith.cli.feedback",
    "sandbox": "kubesmith.cli.sandbox",
    "bot": "kubesmith.cli.bot",
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
