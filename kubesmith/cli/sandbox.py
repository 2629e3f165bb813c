"""``kubesmith sandbox up|down|status``: a local API server for server-side dry-run."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from kubesmith.cli._common import console, err_console, handle_errors, output_option, print_json

dir_option = click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The sandbox's folder (default: sandbox/ in the tool cache, ~/.cache/kubesmith).",
)


@click.group(name="sandbox")
def command() -> None:
    """Run a throwaway kube-apiserver + etcd on 127.0.0.1 for `--dry-run sandbox`.

    \b
    Needs the binaries in the tool cache: `kubesmith tools install etcd kube-apiserver`.
    The sandbox has no nodes and no controllers: it validates, it does not run workloads.
    """


def _print(status: Any, output: str) -> None:
    if output == "json":
        print_json(asdict(status))
        return
    state = "running" if status.running else "not running"
    console.print(f"sandbox in {status.directory}: {state}", markup=False)
    if status.server:
        console.print(f"  server:     {status.server}", markup=False)
        console.print(f"  kubeconfig: {status.kubeconfig}", markup=False)
        console.print(f"  started:    {status.started_at}", markup=False)
    for name in ("etcd", "apiserver"):
        comp = getattr(status, name)
        if comp:
            alive = "alive" if comp["alive"] else "DEAD"
            console.print(f"  {comp['name']}: pid {comp['pid']}, port {comp['port']}, {alive}")
    for problem in status.problems:
        console.print(f"  problem: {problem}", markup=False)
    if status.running:
        console.print(f"  use it: export KUBECONFIG={status.kubeconfig}", markup=False)


def _crds(repo: Path | None) -> list[dict[str, Any]]:
    if repo is None:
        return []
    from kubesmith.workspace import Workspace

    ws = Workspace.load(repo)
    return [dict(d.obj) for d in ws.find(kind="CustomResourceDefinition")]


@command.command(name="up")
@dir_option
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Install the CustomResourceDefinitions found in this manifests repository.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds to wait for readiness.",
)
@click.option("--build/--no-build", default=False, help="Build missing binaries first (slow).")
@output_option
@handle_errors
def up_command(
    directory: Path | None, repo: Path | None, timeout: float, build: bool, output: str
) -> None:
    """Start the sandbox (or reuse the healthy one already running in --dir).

    Stale state from a crashed sandbox (dead processes, leftover data) is cleaned first. Prints
    the kubeconfig to use; the processes keep running until `kubesmith sandbox down`.
    """
    from kubesmith.tools.sandbox.server import Sandbox

    sandbox = Sandbox(
        directory,
        crds=_crds(repo),
        progress=lambda m: err_console.print(m, markup=False),
        startup_timeout=timeout,
        build=build,
    )
    _print(sandbox.up(), output)


@command.command(name="down")
@dir_option
@output_option
@handle_errors
def down_command(directory: Path | None, output: str) -> None:
    """Stop the sandbox and delete its data, certificates and kubeconfig."""
    from kubesmith.tools.sandbox.server import Sandbox

    sandbox = Sandbox(directory)
    sandbox.down()
    if output == "json":
        print_json({"directory": str(sandbox.directory), "running": False})
    else:
        console.print(f"sandbox in {sandbox.directory} stopped", markup=False)


@command.command(name="status")
@dir_option
@output_option
@handle_errors
def status_command(directory: Path | None, output: str) -> None:
    """Say whether the sandbox runs and is healthy (exit 1 when it has a problem).

    A dead etcd, an API server that no longer answers, or leftover files of a crashed sandbox
    are reported as problems with what to do about them.
    """
    from kubesmith.tools.sandbox.server import Sandbox

    status = Sandbox(directory).status()
    _print(status, output)
    raise SystemExit(1 if status.problems else 0)
