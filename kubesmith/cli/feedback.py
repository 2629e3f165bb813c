"""``kubesmith feedback``: move or erase what the store learned — export, import, forget.

Exports are already redacted (Secret values never reach the store), so they can be shared with a
team's store or kept as a backup. ``forget`` removes a proposal with its pull requests and
outcomes, or everything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from kubesmith.cli._common import (
    console,
    handle_errors,
    open_store,
    output_option,
    print_json,
    repo_option,
)
from kubesmith.errors import UsageError

if TYPE_CHECKING:
    pass


@click.group("feedback")
def command() -> None:
    """Export, import or forget the review history kubesmith learns from."""


@command.command("export")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
@repo_option
@output_option
@handle_errors
def export(path: Path | None, repo: Path, output: str) -> None:
    """Print (or write) every proposal, pull request, outcome and rule as one JSON document."""
    with open_store(repo) as store:
        document = store.export_feedback()
    counts = {k: len(v) for k, v in document.items() if isinstance(v, list)}
    if path is None:
        click.echo(json.dumps(document, indent=2))
        return
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if output == "json":
        print_json({"written": str(path), "counts": counts})
    else:
        console.print(f"exported {counts} to {escape(str(path))}")


@command.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@repo_option
@output_option
@handle_errors
def import_(path: Path, repo: Path, output: str) -> None:
    """Load an export into this repository's store (idempotent: records are upserted)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise UsageError(f"{path}: not a readable JSON export: {e}") from e
    with open_store(repo) as store:
        counts = store.import_feedback(document)
    if output == "json":
        print_json({"imported": counts})
    else:
        console.print(f"imported {counts}")


@command.command("forget")
@click.argument("proposal_id", required=False)
@click.option("--all", "everything", is_flag=True, help="Forget everything, learned rules too.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation with --all.")
@repo_option
@output_option
@handle_errors
def forget(proposal_id: str | None, everything: bool, yes: bool, repo: Path, output: str) -> None:
    """Delete PROPOSAL_ID (or a unique prefix) with its pull requests and outcomes, or --all."""
    if everything == bool(proposal_id):
        raise UsageError("give either a PROPOSAL_ID or --all")
    if everything and not yes and not click.confirm("Forget the whole review history?", err=True):
        raise UsageError("nothing forgotten (answer y, or pass --yes)")
    with open_store(repo) as store:
        counts = store.forget(proposal_id, everything=everything)
    if output == "json":
        print_json({"forgotten": counts})
    else:
        console.print(f"forgot {counts}")
