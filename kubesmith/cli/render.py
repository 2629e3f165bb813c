"""Text rendering shared by commands: diffs, findings, proposal summaries."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax

from kubesmith.model import Finding, Proposal

_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


def print_diff(console: Console, diff: str) -> None:
    """A coloured unified diff (plain when not a terminal)."""
    if diff:
        console.print(Syntax(diff, "diff", theme="ansi_dark", background_color="default"))


def print_findings(console: Console, findings: Iterable[Finding]) -> None:
    """One line per finding: severity, validator, location, message."""
    for f in findings:
        where = f" {f.location()}" if f.location() else ""
        rule = f" [{f.rule}]" if f.rule else ""
        console.print(
            f"[{_STYLE[f.severity]}]{f.severity:7}[/] {escape(f.validator)}{escape(where)}: "
            f"{escape(f.message)}{escape(rule)}"
        )


def print_proposal(console: Console, p: Proposal) -> None:
    """Diff, findings and a short summary of a proposal."""
    print_diff(console, p.diff)
    if p.rendered_diff:  # what changes in the deployed objects, per environment
        console.print("\n[bold]What changes where it is deployed:[/]", highlight=False)
        console.print(p.rendered_diff, markup=False, highlight=False)
    # A finding with no file is about this run (e.g. a dry-run that could not reach the cluster),
    # not about the repository: it is shown even when the base branch's run had it too.
    new = [f for f in p.findings if not f.preexisting or f.file is None]
    old = len(p.findings) - len(new)
    if new:
        console.print()
        print_findings(console, new)
    if old:
        console.print(
            f"[dim]{old} finding(s) were already there before this change "
            "(see them with `kubesmith validate`).[/]"
        )
    console.print()
    if p.usage.calls:
        u = p.usage
        console.print(
            f"[dim]model: {u.calls} call(s), {u.tokens_in:,} tokens in / {u.tokens_out:,} out, "
            f"{u.latency_s:.1f} s, about ${u.cost_usd:.4f}[/]"
        )
    if not p.changes:
        console.print(f"[bold]Nothing to change.[/] {escape(p.rationale)}")
        return
    for q in p.questions:
        console.print(f"[yellow]?[/] {escape(q)}")
    if p.rationale:
        console.print(escape(p.rationale))
    errors = sum(f.severity == "error" for f in p.findings)
    console.print(
        f"[bold]{len(p.changes)} change(s)[/] by the {p.planner} planner; "
        + (f"[bold red]{errors} error finding(s)[/]" if errors else "[green]validation passed[/]")
    )
    if p.branch:
        console.print(f"branch [cyan]{escape(p.branch)}[/] ({(p.commit or '')[:7]})")
    if p.pr:
        console.print(
            f"pull request [bold]{escape(p.pr.id)}[/] on the {p.pr.forge} forge "
            f"({p.pr.status}): review with `kubesmith review show {p.pr.id}`"
        )
    elif p.blocked:
        console.print("no branch or pull request was made (fix the findings or use --force)")
