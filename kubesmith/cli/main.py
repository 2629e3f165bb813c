"""Entry point of the ``kubesmith`` command: the group and the list of its commands.

Each command is a module of this package exposing one click command; adding a command is one
import and one ``add_command`` line below.
"""

from __future__ import annotations

import click

from kubesmith import __version__


@click.group(
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
    # Imported here so `kubesmith --version` stays fast and commands load their own dependencies.
    from kubesmith.cli import (
        bot,
        chat,
        doctor,
        evals,
        feedback,
        propose,
        review,
        rules,
        sandbox,
        tools,
        validate,
    )

    commands = (propose, chat, review, validate, evals, tools, doctor, sandbox, rules, feedback)
    for module in (*commands, bot):
        cli.add_command(module.command)


def main() -> None:
    """Console-script entry point."""
    _register()
    cli()
