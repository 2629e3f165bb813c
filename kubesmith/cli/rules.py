"""``kubesmith rules``: conventions learned from reviews — list with evidence, approve, reject.

Listing first mines the store again, so new review outcomes show up as candidates or as more
evidence. Nothing is enforced until approved; an approved rule is applied by both planners and
exported as a ValidatingAdmissionPolicy by ``kubesmith rules policy``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.table import Table

from kubesmith.cli._common import (
    console,
    err_console,
    handle_errors,
    open_store,
    output_option,
    print_json,
    repo_option,
)
from kubesmith.model import to_json

if TYPE_CHECKING:
    from kubesmith.store.records import Rule


def rule_json(rule: Rule) -> dict[str, Any]:
    """A rule as JSON, with its support count."""
    data: dict[str, Any] = to_json(rule)
    data["support"] = rule.support
    return data


@click.group("rules")
def command() -> None:
    """Conventions learned from reviewers: list them with their evidence, approve or reject."""


@command.command("list")
@click.option(
    "--status",
    type=click.Choice(["candidate", "approved", "rejected", "all"]),
    default="all",
    show_default=True,
    help="Only the rules in this state (candidates wait for `kubesmith rules approve`).",
)
@click.option(
    "--min-edit-support",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="Proposals a convention seen only in reviewers' edits needs before it is a candidate.",
)
@click.option("--evidence/--no-evidence", default=True, help="Show each rule's evidence (text).")
@click.option(
    "--reader",
    type=click.Choice(["auto", "offline", "model"]),
    default="offline",
    show_default=True,
    help="Who reads reviewers' words: the offline reader, the configured model (through a "
    "typed tool, the offline reader when it fails) or auto (the model when one is configured).",
)
@repo_option
@output_option
@handle_errors
def list_(
    status: str, min_edit_support: int, evidence: bool, reader: str, repo: Path, output: str
) -> None:
    """Mine the review history and list the rules, most supported first.

    Reviewers' reasons and comments are read in their own words (typos, markdown, numbers as
    words; the rejected change as context), their follow-up edits as diffs. A convention is any
    of the fixed kinds or a predicate on a field (present, forbidden, equals, one of, matches,
    at least, at most). Candidates wait for `kubesmith rules approve`.
    """
    from kubesmith.agent.conventions import refresh_rules

    text_reader = _reader(reader, repo)
    with open_store(repo) as store:
        rules = refresh_rules(store, min_edit_support, text_reader)
    if status != "all":
        rules = [r for r in rules if r.status == status]
    if output == "json":
        print_json({"rules": [rule_json(r) for r in rules]})
        return
    if not rules:
        console.print(
            "No conventions learned yet. They come from rejection reasons "
            "(kubesmith review reject ID --reason ...), review comments and reviewers' own edits."
        )
        return
    table = Table("id", "status", "support", "rule", box=None)
    for r in rules:
        table.add_row(r.id, r.status, str(r.support), escape(r.description))
    console.print(table)
    if evidence:
        for r in rules:
            console.print(f"\n[bold]{r.id}[/] {escape(r.description)}")
            for e in r.evidence[:5]:
                console.print(f"  - {e.source} on {e.proposal_id}: {escape(e.detail)}")
            if len(r.evidence) > 5:
                console.print(f"  ... and {len(r.evidence) - 5} more")


def _reader(choice: str, repo: Path) -> Any:
    """The reason reader ``--reader`` names (None: the offline reader)."""
    if choice == "offline":
        return None
    from kubesmith.agent.reasons_model import model_reader
    from kubesmith.config import load_settings
    from kubesmith.errors import UsageError

    reader = model_reader(load_settings(repo))
    if reader is None and choice == "model":
        raise UsageError("--reader model needs a model: set llm.model or KUBESMITH_MODEL")
    return reader


def _decide(rule_id: str, status: str, repo: Path, output: str) -> None:
    with open_store(repo) as store:
        rule = store.set_rule_status(rule_id, status)
    if output == "json":
        print_json({"rule": rule_json(rule)})
    else:
        console.print(f"{rule.id} {status}: {escape(rule.description)}")
        if status == "approved":
            console.print(
                "Planners apply it from now on; `kubesmith rules policy --write DIR/learned.yaml` "
                "exports it for the policy engine."
            )


@command.command("approve")
@click.argument("rule_id")
@repo_option
@output_option
@handle_errors
def approve(rule_id: str, repo: Path, output: str) -> None:
    """Approve RULE_ID (or a unique prefix): planners apply it, policies enforce it."""
    _decide(rule_id, "approved", repo, output)


@command.command("reject")
@click.argument("rule_id")
@repo_option
@output_option
@handle_errors
def reject(rule_id: str, repo: Path, output: str) -> None:
    """Reject RULE_ID: it stays listed as rejected and is never applied."""
    _decide(rule_id, "rejected", repo, output)


@command.command("policy")
@click.option(
    "--write",
    "write_to",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the YAML to this file (e.g. policies/learned.yaml, a folder in policy.folders).",
)
@repo_option
@output_option
@handle_errors
def policy(write_to: Path | None, repo: Path, output: str) -> None:
    """Approved rules as ValidatingAdmissionPolicies (+ bindings), for humans' PRs too."""
    from kubesmith.agent.rule_policies import not_expressible, policies_yaml, rules_to_policies

    with open_store(repo) as store:
        rules = store.list_rules(status="approved")
    skipped = not_expressible(rules)
    if write_to is not None:
        write_to.parent.mkdir(parents=True, exist_ok=True)
        write_to.write_text(policies_yaml(rules), encoding="utf-8")
    if output == "json":
        print_json(
            {
                "rules": [r.id for r in rules if r not in skipped],
                "policies": rules_to_policies(rules),
                "not_expressible": [r.id for r in skipped],
                "written": str(write_to) if write_to else None,
            }
        )
        return
    if write_to is not None:
        count = len(rules) - len(skipped)
        console.print(f"wrote {count} rule(s) as policies to {escape(str(write_to))}")
    else:
        click.echo(policies_yaml(rules), nl=False)
    for r in skipped:
        err_console.print(
            f"{r.id} has no admission policy (it needs another object: {escape(r.description)}); "
            "planners still apply it"
        )
