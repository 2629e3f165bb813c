"""What the ``kubesmith`` commands share: ``--repo``, ``--dry-run`` and the store.

``--output``, JSON printing, the consoles and error → exit code are shared with the bot's and the
eval harness's commands, so they live in :mod:`kubesmith.terminal` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from kubesmith import terminal
from kubesmith.terminal import (
    EXIT_BLOCKED,
    EXIT_OK,
    EXIT_USAGE,
    handle_errors,
    output_option,
    print_json,
)

if TYPE_CHECKING:
    from rich.console import Console

    from kubesmith.store import Store

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_OK",
    "EXIT_USAGE",
    "dry_run_options",
    "dry_run_overrides",
    "handle_errors",
    "open_store",
    "output_option",
    "print_json",
    "repo_option",
]

P = ParamSpec("P")
R = TypeVar("R")


def __getattr__(name: str) -> Console:
    """``console`` and ``err_console`` from :mod:`kubesmith.terminal`, made on first use."""
    console: Console = getattr(terminal, name)
    return console


repo_option = click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The manifests repository (a git working tree).",
)


def dry_run_options(fn: Callable[P, R]) -> Callable[P, R]:
    """``--dry-run off|server|sandbox``, ``--kubeconfig`` and ``--context``."""
    fn = click.option("--context", default=None, help="kubeconfig context for --dry-run server.")(
        fn
    )
    fn = click.option(
        "--kubeconfig", default=None, help="kubeconfig for --dry-run server (default: $KUBECONFIG)."
    )(fn)
    return click.option(
        "--dry-run",
        "dry_run",
        type=click.Choice(["off", "server", "sandbox"]),
        default=None,
        help="Server-side dry-run: against a cluster (read-only), a local sandbox API server "
        "(started for the command unless `kubesmith sandbox up` runs), or off. "
        "Default: dry_run.mode in .kubesmith.yaml (off).",
    )(fn)


def dry_run_overrides(
    mode: str | None, kubeconfig: str | None, context: str | None
) -> dict[str, Any]:
    """Settings overrides for the dry-run options (None values change nothing)."""
    return {"dry_run.mode": mode, "dry_run.kubeconfig": kubeconfig, "dry_run.context": context}


def open_store(repo: Path) -> Store:
    """The feedback store the repository's settings name (SQLite under .git by default)."""
    from kubesmith.config import load_settings
    from kubesmith.store import Store

    return Store.open(load_settings(repo).store_url, repo)
