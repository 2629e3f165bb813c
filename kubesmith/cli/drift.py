"""``kubesmith drift``: where the live cluster no longer matches the repository (read-only)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from kubesmith.cli._common import (
    EXIT_BLOCKED,
    console,
    handle_errors,
    output_option,
    print_json,
    repo_option,
)


def _value(v: Any) -> str:
    return "(absent)" if v is None else v if isinstance(v, str) else json.dumps(v, default=str)


@click.command("drift")
@click.argument("path", required=False)
@click.option("--context", help="The kubeconfig context of the cluster to compare with.")
@click.option("--kubeconfig", type=click.Path(dir_okay=False), help="The kubeconfig file.")
@click.option("--sandbox", is_flag=True, help="Compare with the running sandbox (sandbox up).")
@click.option("--propose", is_flag=True,
              help="Open a pull request bringing the repository to the live values.")  # fmt: skip
@click.option("--fields", help="With --propose: only these field paths (comma-separated).")
@repo_option
@output_option
@handle_errors
def command(
    path: str | None, context: str | None, kubeconfig: str | None, sandbox: bool, propose: bool,
    fields: str | None, repo: Path, output: str,
) -> None:  # fmt: skip
    """Compare what PATH renders (a kustomization, or the plain manifests under it; default:
    the repository root) with the live objects, read-only.

    Only the fields the repository sets are compared; status, server-set metadata, kubectl's
    annotations, HPA-owned replicas and dry_run.drift_ignore paths are not drift. Secret values
    are never printed.

    Exit codes: 0 no drift, 1 drift found, 2 bad option or no cluster configuration.
    """
    from kubesmith.agent.drift import drift
    from kubesmith.config import load_settings
    from kubesmith.errors import UsageError

    settings = load_settings(repo)
    if sandbox and (context or kubeconfig):
        raise UsageError("--sandbox compares with the sandbox; leave out --context/--kubeconfig")
    config = kubeconfig or settings.dry_run.kubeconfig
    if sandbox:
        from kubesmith.tools.sandbox.server import Sandbox, default_sandbox_dir

        where = Path(settings.dry_run.sandbox_dir or default_sandbox_dir())
        running = Sandbox(where)
        if not running.status().running:
            raise UsageError("no sandbox is running; start one with `kubesmith sandbox up`")
        config = str(running.kubeconfig)
    report = drift(
        repo, settings, path=path, kubeconfig=config, context=context or settings.dry_run.context,
    )  # fmt: skip
    if propose:
        chosen = [f.strip() for f in (fields or "").split(",") if f.strip()]
        _propose(repo, settings, report, chosen, output)
        return
    if output == "json":
        print_json({"compared": report.compared, "unserved": list(report.unserved),
                    "resources": [asdict(r) for r in report.resources]})  # fmt: skip
    elif not report.resources:
        console.print(f"No drift: {report.compared} resource(s) match the repository.")
    else:
        for r in report.resources:
            console.print(f"[bold]{escape(r.resource)}[/]: {r.status}")
            for f in r.fields:
                line = f"  {f.path}: git {_value(f.git)}, live {_value(f.live)}"
                console.print(escape(line[:300]))
        console.print(f"{len(report.resources)} of {report.compared} resource(s) drifted.")
    for kind in report.unserved:
        console.print(f"[yellow]not served by the cluster:[/] {escape(kind)}")
    if report.resources:
        sys.exit(EXIT_BLOCKED)


def _propose(repo: Path, settings: Any, report: Any, fields: list[str], output: str) -> None:
    """A proposal, through the Agent's loop, adopting the live values of the chosen fields."""
    from dataclasses import replace

    from kubesmith.agent.drift import adopt_live
    from kubesmith.agent.loop import open_agent
    from kubesmith.cli.render import print_proposal
    from kubesmith.errors import UsageError
    from kubesmith.model import ChangeSet, to_json

    agent = open_agent(repo, settings=settings)
    changeset, skipped = adopt_live(report, agent.load_base().workspace, fields)
    for line in skipped if output != "json" else ():  # (in the JSON document otherwise)
        console.print(f"[yellow]not adopted:[/] {escape(line)}")
    if not changeset.edits:
        raise UsageError(
            "no drifted field to adopt" + (f" among {', '.join(fields)}" if fields else "")
        )

    class _Adopt:
        name = "drift"

        def plan(self, intent: str, workspace: object, **_: object) -> ChangeSet:  # noqa: ARG002 - the Planner signature
            return changeset

    proposal = replace(agent, planner=_Adopt()).propose(changeset.intent)
    if output == "json":
        print_json({"proposal": to_json(proposal), "not_adopted": skipped})
    else:
        print_proposal(console, proposal)
    if proposal.blocked:
        sys.exit(EXIT_BLOCKED)
