"""``kubesmith review sync``: read review outcomes from GitHub into the local store.

Registered under ``kubesmith review`` (see :mod:`kubesmith.cli.review`).
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from kubesmith.cli._common import console, handle_errors, output_option, print_json, repo_option
from kubesmith.config import load_settings
from kubesmith.model import to_json


@click.command("sync")
@click.option(
    "--forge",
    "forge_kind",
    type=click.Choice(["github"]),
    default="github",
    show_default=True,
    help="The forge to read (local outcomes are recorded by accept/reject already).",
)
@click.option("--github-repo", default=None, help="owner/name on GitHub. Default: from origin.")
@click.option("--github-api-url", default=None, help="GitHub Enterprise API URL.")
@click.option("--all", "include_closed", is_flag=True, help="Re-read closed pull requests too.")
@repo_option
@output_option
@handle_errors
def command(
    forge_kind: str,
    github_repo: str | None,
    github_api_url: str | None,
    include_closed: bool,
    repo: Path,
    output: str,
) -> None:
    """Read merged/closed state, review verdicts, comments and reviewers' commits from GitHub.

    \b
    Every pull request kubesmith opened on GitHub that the store still has as open is read:
    merged → accepted, closed → rejected (with the reviewer's reason), and the comments and the
    diff of commits reviewers pushed on top go into the feedback store for learning.

    \b
    Example:
      GITHUB_TOKEN=... kubesmith review sync --github-repo acme/manifests
    """
    from kubesmith.store import Store
    from kubesmith.tools.forges.github import GitHubForge, sync_outcomes

    settings = load_settings(repo).merged(
        **{
            "forge.kind": forge_kind,  # only "github" today; the choice keeps the flag stable
            "forge.github_repo": github_repo,
            "forge.github_api_url": github_api_url,
        }
    )
    forge = GitHubForge.from_settings(settings, repo, Store.open(settings.store_url, repo))
    outcomes = sync_outcomes(forge, include_closed=include_closed)
    if output == "json":
        print_json({"outcomes": [to_json(o) for o in outcomes]})
        return
    if not outcomes:
        console.print("No open GitHub pull requests to sync.")
        return
    table = Table("pr", "status", "comments", "reviewers' edits", "url", box=None)
    for o in outcomes:
        edits = "yes" if o.follow_up_diff else "-"
        table.add_row(o.pr.id, o.status, str(len(o.comments)), edits, escape(o.pr.url))
    console.print(table)
