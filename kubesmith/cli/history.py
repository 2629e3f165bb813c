"""``kubesmith history``: every commit that changed one resource, and why."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

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


def _value(v: Any) -> str:
    return "∅" if v is None else json.dumps(v, default=str) if not isinstance(v, str) else v


@click.command("history")
@click.argument("resource")
@click.option("--field", "field_path", help="Only commits that changed this field path.")
@click.option("--since", help="Only commits after this date (e.g. 2026-11-01, '2 weeks ago').")
@click.option(
    "--overlay",
    metavar="FOLDER",
    help="Render this kustomization (overlays/prod) at every commit and compare what it deploys.",
)
@click.option("--rev", help="Start from this branch, tag or commit (default: the base branch).")
@repo_option
@output_option
@handle_errors
def command(
    resource: str, field_path: str | None, since: str | None, overlay: str | None,
    rev: str | None, repo: Path, output: str,
) -> None:  # fmt: skip
    """Show every commit that changed RESOURCE (NAME, KIND/NAME or KIND/NAMESPACE/NAME).

    Newest first: when, who, the field-level change, and for changes kubesmith proposed the
    proposal, its planner, pull request and the reviewer's verdict. Base files and the overlay
    patches that target the resource are followed; with --overlay, the kustomization is rendered
    with the pinned kustomize at every commit that touched it and what it deploys is compared.

    Exit codes: 0 answered (also when nothing matched), 2 unknown resource or bad option.
    """
    from kubesmith.agent.history import resource_history
    from kubesmith.config import load_settings

    settings = load_settings(repo)
    if overlay is not None:
        from kubesmith.agent.history_render import rendered_history

        h = rendered_history(
            repo, resource, overlay, settings=settings, field_path=field_path, since=since,
            rev=rev, store=open_store(repo),
        )  # fmt: skip
    else:
        h = resource_history(
            repo, resource, settings=settings, field_path=field_path, since=since, rev=rev,
            store=open_store(repo),
        )  # fmt: skip
    if output == "json":
        print_json({
            "resource": str(h.resource),
            "files": list(h.files),
            "field": h.field,
            "commits_scanned": h.commits_scanned,
            "entries": [asdict(e) for e in h.entries],
        })  # fmt: skip
        return
    if not h.entries:
        console.print(f"No commit changed {escape(str(h.resource))}"
                      + (f" {escape(h.field)}" if h.field else "") + ".")  # fmt: skip
        return
    for e in h.entries:
        console.print(
            f"[yellow]{e.commit[:10]}[/] {e.date}  {escape(e.author)}  [dim]{escape(e.file)}[/]"
        )
        console.print(f"    {escape(e.subject)}")
        for c in e.changes:
            path = c.path or "(whole resource)"
            if c.kind == "added":
                line = f"+ {path}: {_value(c.after)}"
            elif c.kind == "removed":
                line = f"- {path} (was {_value(c.before)})"
            else:
                line = f"~ {path}: {_value(c.before)} → {_value(c.after)}"
            console.print(f"    {escape(line[:300])}")
        p = e.proposal
        if p is not None:
            detail = f"proposal {p.id}"
            if p.known:
                detail += f" by the {p.planner} planner: {p.intent!r}"
                if p.pr:
                    detail += f"; {p.pr} {p.verdict}" + (f" ({p.reason})" if p.reason else "")
            else:
                detail += " (not in this store)"
            console.print(f"    [cyan]{escape(detail)}[/]")
