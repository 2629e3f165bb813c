"""What every terminal command shares: ``--output``, JSON printing, consoles, error → exit code.

The command-line interfaces (``kubesmith`` commands in :mod:`kubesmith.cli`, ``kubesmith bot``
in :mod:`kubesmith.bot`, ``kubesmith eval`` in :mod:`kubesmith.evals`) are independent of each
other, so what their commands share lives here, below all of them.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from kubesmith.errors import KubesmithError, ReferenceError_

if TYPE_CHECKING:
    from rich.console import Console

P = ParamSpec("P")
R = TypeVar("R")

# Exit codes shared by every command.
EXIT_OK = 0
EXIT_BLOCKED = 1  # findings of severity error, a rejected run
EXIT_USAGE = 2  # bad arguments or references

_consoles: dict[str, Console] = {}


def __getattr__(name: str) -> Console:
    """``console`` (stdout) and ``err_console`` (stderr), made on first use.

    Importing rich costs start-up time that a command printing JSON need not pay.
    """
    if name not in ("console", "err_console"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name not in _consoles:
        from rich.console import Console

        _consoles[name] = Console(stderr=name == "err_console", highlight=False, soft_wrap=True)
    return _consoles[name]


output_option = click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format; json prints one JSON object on stdout.",
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
            from rich.markup import escape

            err = __getattr__("err_console")
            err.print(f"[bold red]error:[/] {escape(str(e))}")
            listed = isinstance(e, ReferenceError_) and all(c in str(e) for c in e.candidates)
            if isinstance(e, ReferenceError_) and e.candidates and not listed:
                for c in e.candidates:
                    err.print(f"  - {c}", markup=False)
            sys.exit(e.exit_code)
        except OSError as e:  # a path the system refuses (e.g. --file in a missing folder)
            if isinstance(e, BrokenPipeError):
                raise
            where = f": {e.filename}" if e.filename else ""
            message = f"{e.strerror or e}{where}"
            if kwargs.get("output") == "json":
                print_json({"error": type(e).__name__, "message": message})
            from rich.markup import escape

            __getattr__("err_console").print(f"[bold red]error:[/] {escape(message)}")
            sys.exit(EXIT_BLOCKED)

    return wrapper
