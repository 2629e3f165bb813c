"""``kubesmith tools``: build the pinned external Go tools into the per-user tool cache."""

from __future__ import annotations

import time

import click

from kubesmith.cli._common import err_console, handle_errors, output_option, print_json


@click.group(name="tools")
def command() -> None:
    """Manage the external tools kubesmith runs (kubeconform, kustomize, kube-apiserver, etcd).

    \b
    They are built from pinned Go module versions into a cache outside the repository
    ($KUBESMITH_TOOL_CACHE, default ~/.cache/kubesmith), once per machine. `kubesmith doctor`
    shows what is there.
    """


@command.command(name="install")
@click.argument("names", nargs=-1)
@output_option
@handle_errors
def install_command(names: tuple[str, ...], output: str) -> None:
    """Build NAMES (default: kubeconform, kustomize, etcd, kube-apiserver) into the tool cache.

    \b
    Needs Go (1.24 or newer) on PATH. A tool already built is skipped in milliseconds, so this is
    safe to run before every test run; the first kube-apiserver build takes many minutes.
    Progress goes to stderr.
    \b
    Examples:
      kubesmith tools install
      kubesmith tools install kubeconform conftest
    """
    from kubesmith.tools.binaries.cache import default_cache
    from kubesmith.tools.binaries.specs import DEFAULT_INSTALL

    cache = default_cache()
    wanted = list(names or DEFAULT_INSTALL)
    started = time.monotonic()
    paths = cache.install(wanted, progress=lambda m: err_console.print(m, markup=False))
    elapsed = time.monotonic() - started
    if output == "json":
        print_json(
            {
                "cache": str(cache.root),
                "installed": {n: str(p) for n, p in zip(wanted, paths, strict=True)},
                "seconds": round(elapsed, 3),
            }
        )
        return
    for path in paths:
        click.echo(str(path))


@command.command(name="path")
@click.argument("name")
@output_option
@handle_errors
def path_command(name: str, output: str) -> None:
    """Print the path of the binary kubesmith would run for NAME (exit 1 when it is missing)."""
    from kubesmith.tools.binaries.cache import default_cache

    found = default_cache().tool_path(name)
    if output == "json":
        print_json({"name": name, "path": str(found) if found else None, "installed": bool(found)})
    if found is None:
        err_console.print(f"{name} is not installed; run: kubesmith tools install {name}")
        raise SystemExit(1)
    if output == "text":
        click.echo(str(found))
