"""``kubesmith mcp serve``: kubesmith's tools for coding agents over the Model Context Protocol."""

from __future__ import annotations

from pathlib import Path

import click

from kubesmith.errors import UsageError
from kubesmith.terminal import handle_errors


@click.group("mcp")
def command() -> None:
    """The MCP server: propose, validate, render and explain from a coding agent.

    See docs/mcp.md for the client configuration (Claude Code, Claude Desktop, Cursor, VS Code).
    """


def _address(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--http wants HOST:PORT (e.g. 127.0.0.1:8765), not {value!r}")
    return host.strip("[]"), int(port)


@command.command("serve")
@click.option(
    "--repo",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The manifests repository (a git working tree; it is never modified).",
)
@click.option(
    "--http",
    "http",
    default=None,
    metavar="HOST:PORT",
    help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio.",
)
@click.option(
    "--allow-pr-without-confirmation",
    is_flag=True,
    help="Let open_pr publish for clients that cannot ask their user to confirm "
    "(no elicitation support). Without it such clients are refused.",
)
@handle_errors
def serve(repo: Path, http: str | None, allow_pr_without_confirmation: bool) -> None:
    """Serve the MCP tools for the repository, on stdio (default) or streamable HTTP.

    \b
    Tools: propose_change, validate, render, explain, history, review_list, review_show
    (read-only) and open_pr (commits a proposal to a new branch and opens its pull request,
    after the user confirms). No tool writes to a cluster.

    \b
    Examples:
      kubesmith mcp serve --repo ~/src/shop-manifests
      kubesmith mcp serve --http 127.0.0.1:8765
    """
    from kubesmith.mcp.server import build_server
    from kubesmith.tools.git import GitRepo

    address = _address(http) if http is not None else None
    root = GitRepo(repo.resolve()).root  # a clear error for a folder that is not a repository
    server = build_server(root, allow_pr_without_confirmation=allow_pr_without_confirmation)
    if address is None:
        server.run("stdio")
    else:
        server.run("streamable-http", host=address[0], port=address[1])
