"""``kubesmith doctor``: which external tools are present, their versions, and what is missing."""

from __future__ import annotations

from dataclasses import asdict

import click

from kubesmith.cli._common import console, handle_errors, output_option, print_json


@click.command(name="doctor")
@output_option
@handle_errors
def command(output: str) -> None:
    """Report every external tool kubesmith can use: path, version, and how to install it.

    \b
    Exit status is 0 even when optional tools are missing (kubesmith falls back or skips that
    check, and says so); it is 1 only when a required tool is missing or at the wrong version.
    """
    from kubesmith.tools.binaries.cache import default_cache, find_go

    cache = default_cache()
    statuses = cache.status()
    go = find_go()
    problems = [s for s in statuses if s.required and not s.ok]
    if output == "json":
        print_json(
            {
                "cache": str(cache.root),
                "go": str(go) if go else None,
                "ok": not problems,
                "tools": [asdict(s) for s in statuses],
            }
        )
    else:
        console.print(f"tool cache: {cache.root}", markup=False)
        console.print(f"go: {go or 'not found (needed to build the tools)'}", markup=False)
        for s in statuses:
            mark = "ok " if s.ok else ("-- " if not s.required else "!! ")
            where = f"{s.path} ({s.found_version or 'version unknown'})" if s.path else "missing"
            console.print(f"{mark}{s.name:<15} {s.version:<9} {where}", markup=False)
            if not s.ok:
                kind = "required" if s.required else "optional"
                console.print(f"     {kind}: {s.purpose}", markup=False)
                console.print(f"     {s.note}; install: {s.install_command}", markup=False)
        if problems:
            console.print("required tools are missing: " + ", ".join(p.name for p in problems))
        else:
            console.print("all required tools are present", markup=False)
    raise SystemExit(1 if problems else 0)
