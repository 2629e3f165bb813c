"""What every command shares: ``--output``, ``--repo``, JSON printing and error → exit code."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from kubesmith.errors import KubesmithError, ReferenceError_

P = ParamSpec("P")
R = TypeVar("R")

# Exit codes shared by every command.
EXIT_OK = 0
EXIT_BLOCKED = 1  # findings of severity error, a rejected run
EXIT_USAGE = 2  # bad arguments or references

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

output_option = click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format; json prints one JSON object on stdout.",
)

repo_option = click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The manifests repository (a git working tree).",
)


def print_json(data: Any) -> None:
    """Print ``data`` as one JSON document on stdout."""
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn kubesmith errors into a clear message on stderr and the documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except KubesmithError as e:
            output = kwargs.get("output")
            if output == "json":
                payload: dict[str, Any] = {"error": type(e).__name__, "message": str(e)}
                if isinstance(e, ReferenceError_):
                    payload["candidates"] = list(e.candidates)
                print_json(payload)
            err_console.print(f"[bold red]error:[/] {escape(str(e))}")
            if isinstance(e, ReferenceError_) and e.candidates:
                for c in e.candidates:
                    err_console.print(f"  - {c}", markup=False)
            sys.exit(e.exit_code)

    return wrapper
