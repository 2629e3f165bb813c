"""``kubesmith propose``: one intent → a validated proposal branch and a pull request."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kubesmith.agent.factory import open_validators
from kubesmith.agent.loop import open_agent
from kubesmith.cli._common import (
    EXIT_BLOCKED,
    console,
    dry_run_options,
    dry_run_overrides,
    err_console,
    handle_errors,
    output_option,
    print_json,
    repo_option,
)
from kubesmith.cli.render import print_proposal
from kubesmith.config import load_settings
from kubesmith.model import to_json
from kubesmith.store.redact import redact_proposal


@click.command("propose")
@click.argument("intent", nargs=-1, required=True)
@repo_option
@click.option(
    "--planner",
    type=click.Choice(["offline", "llm", "auto"]),
    default=None,
    help="Who plans the edits. Default: auto when a model is configured, else offline.",
)
@click.option("--model", default=None, help="Model for the LLM planner, e.g. openai:gpt-4o-mini.")
@click.option(
    "--no-pr", is_flag=True, help="Make the branch and commit only; open no pull request."
)
@click.option(
    "--force",
    is_flag=True,
    help="Open the pull request even if validation fails or reviewers rejected this change.",
)
@click.option(
    "--forge",
    type=click.Choice(["local", "github"]),
    default=None,
    help="Where the pull request goes. Default: forge.kind in .kubesmith.yaml (local).",
)
@click.option("--github-repo", default=None, help="owner/name on GitHub. Default: from origin.")
@click.option(
    "--github-api-url",
    default=None,
    help="GitHub Enterprise API, e.g. https://ghe.example.com/api/v3 (or GITHUB_API_URL).",
)
@dry_run_options
@output_option
@handle_errors
def command(
    intent: tuple[str, ...],
    repo: Path,
    planner: str | None,
    model: str | None,
    no_pr: bool,
    force: bool,
    forge: str | None,
    github_repo: str | None,
    github_api_url: str | None,
    output: str,
    dry_run: str | None,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Turn INTENT into a validated change on a new branch, and open a pull request.

    \b
    Examples:
      kubesmith propose "scale checkout to 3 replicas"
      kubesmith propose "set the memory limit of cart to 256Mi in prod"
      kubesmith propose "add label team=payments to all backend deployments" --no-pr

    The checkout, its current branch and uncommitted work are never touched: the change is
    committed to a new branch kubesmith/<slug>-<id> made from the base branch.

    Exit codes: 0 proposed (or nothing to change), 1 blocked by error findings,
    2 usage or reference error (nothing written).
    """
    settings = load_settings(repo).merged(
        **{
            "llm.model": model,
            "forge.kind": forge,
            "forge.github_repo": github_repo,
            "forge.github_api_url": github_api_url,
            **dry_run_overrides(dry_run, kubeconfig, context),
        }
    )

    def progress(message: str) -> None:
        if output == "text":
            err_console.print(f"[dim]… {message}[/]")

    with open_validators(settings, repo, progress) as validators:
        agent = open_agent(
            repo, planner=planner, settings=settings, progress=progress, validators=validators
        )
        proposal = agent.propose(" ".join(intent), open_pr=not no_pr, force=force)
    proposal = redact_proposal(proposal)  # terminals and CI logs are kept: no Secret values
    if output == "json":
        print_json(to_json(proposal))
    else:
        print_proposal(console, proposal)
    if proposal.blocked:
        sys.exit(EXIT_BLOCKED)
