"""``kubesmith review``: the local review queue — list, show, accept, reject."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from kubesmith.cli._common import (
    console,
    handle_errors,
    open_store,
    output_option,
    print_json,
    repo_option,
)
from kubesmith.cli.render import print_diff
from kubesmith.cli.review_sync import command as sync_command
from kubesmith.model import to_json
from kubesmith.store import PullRequestRecord


def _forge(repo: Path) -> Any:
    from kubesmith.tools.forges.local import LocalForge

    return LocalForge(repo, open_store(repo))


def _record_json(r: PullRequestRecord) -> dict[str, Any]:
    return {
        "id": r.pr.id,
        "forge": r.pr.forge,
        "status": r.pr.status,
        "title": r.title,
        "url": r.pr.url,
        "proposal_id": r.proposal_id,
        "base": r.base,
        "branch": r.branch,
        "reason": r.reason,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }


@click.group("review")
def command() -> None:
    """Review proposals in the local review queue (accept merges, reject records why)."""


@command.command("list")
@repo_option
@click.option(
    "--status",
    type=click.Choice(["open", "accepted", "rejected", "closed", "all"]),
    default="all",
    show_default=True,
    help="Only the pull requests in this state.",
)
@output_option
@handle_errors
def list_(repo: Path, status: str, output: str) -> None:
    """List pull requests, newest first."""
    records = _forge(repo).store.list_pull_requests(None if status == "all" else status)
    if output == "json":
        print_json({"pull_requests": [_record_json(r) for r in records]})
        return
    if not records:
        console.print('No pull requests yet. Make one with: kubesmith propose "scale X to 3"')
        return
    table = Table(box=None)  # narrow terminals and pipes: wrap title and branch, never cut them
    for name in ("id", "forge", "status"):
        table.add_column(name, no_wrap=True)
    table.add_column("title")
    table.add_column("branch", overflow="fold")
    for r in records:
        table.add_row(r.pr.id, r.pr.forge, r.pr.status, escape(r.title), escape(r.branch))
    console.print(table)


@command.command("show")
@click.argument("pr_id")
@repo_option
@output_option
@handle_errors
def show(pr_id: str, repo: Path, output: str) -> None:
    """Show a pull request: its body and diff."""
    forge = _forge(repo)
    record = forge.store.get_pull_request(pr_id)
    proposal = forge.store.get_proposal(record.proposal_id)
    if output == "json":
        print_json({**_record_json(record), "body": record.body, "proposal": to_json(proposal)})
        return
    console.print(f"[bold]{escape(record.title)}[/]  ({record.pr.id}, {record.pr.status})")
    console.print(f"{escape(record.branch)} → {escape(record.base)}\n")
    console.print(record.body, markup=False)
    print_diff(console, proposal.diff)


@command.command("accept")
@click.argument("pr_id")
@repo_option
@output_option
@handle_errors
def accept(pr_id: str, repo: Path, output: str) -> None:
    """Merge the pull request's branch into its base branch (a merge commit).

    When the base branch is checked out, the checkout must have no uncommitted changes and is
    updated; otherwise only the branch moves and the checkout is not involved. A conflict or a
    dirty checkout merges nothing.

    Exit codes: 0 merged, 1 not merged (conflict, uncommitted changes), 2 unknown or closed ID.
    """
    record = _forge(repo).accept(pr_id)
    if output == "json":
        print_json(_record_json(record))
    else:
        console.print(
            f"Accepted {record.pr.id}: merged {escape(record.branch)} into {record.base}."
        )


@command.command("reject")
@click.argument("pr_id")
@click.option("--reason", required=True, help="Why; kubesmith will not propose it again.")
@repo_option
@output_option
@handle_errors
def reject(pr_id: str, reason: str, repo: Path, output: str) -> None:
    """Reject the pull request with a reason; the branch is kept for reference."""
    record = _forge(repo).reject(pr_id, reason)
    if output == "json":
        print_json(_record_json(record))
    else:
        console.print(f"Rejected {record.pr.id}: {escape(reason)}")


command.add_command(sync_command)
