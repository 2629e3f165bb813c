"""``kubesmith validate``: check manifests and report findings for people or CI.

A thin command over :func:`kubesmith.agent.validation.validate`, the path ``propose`` and the
bot use too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kubesmith.cli._common import (
    EXIT_BLOCKED,
    dry_run_options,
    dry_run_overrides,
    handle_errors,
    print_json,
)
from kubesmith.config import load_settings
from kubesmith.errors import UsageError

OUTPUTS = ("text", "json", "sarif", "junit")


def _progress(output: str) -> Callable[[str], None] | None:
    if output != "text":
        return None

    from kubesmith.cli._common import err_console

    def say(message: str) -> None:
        err_console.print(f"[dim]… {message}[/]")

    return say


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--repo",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The repository root (default: the git top level holding PATH, or PATH itself when "
    "it is a plain folder; with no PATH, the current folder's).",
)
@click.option(
    "--base",
    "base_rev",
    default=None,
    metavar="REV",
    help="A git revision (e.g. origin/main): findings it already had are marked pre-existing "
    "and do not fail the run.",
)
@click.option(
    "--output",
    "-o",
    type=click.Choice(OUTPUTS),
    default="text",
    show_default=True,
    help="text (grouped by file), json (one object), sarif (2.1.0, for GitHub code scanning), "
    "junit (XML test report).",
)
@click.option("--kube-version", default=None, help="Kubernetes version of the schemas, e.g. 1.31.")
@click.option(
    "--strict/--no-strict",
    default=None,
    help="Unknown fields and duplicate keys are errors (default: strict).",
)
@click.option(
    "--crd-dir",
    "crd_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of CustomResourceDefinitions to validate custom resources with (repeatable).",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "kubeconform", "embedded"]),
    default=None,
    help="Schema engine; auto uses kubeconform when installed, else the embedded one.",
)
@click.option(
    "--policies",
    default=None,
    metavar="PACKS",
    help="Built-in policy packs, comma-separated (pss-baseline, pss-restricted, best-practices), "
    "or 'none'; a PSS pack may be pinned to a Kubernetes version (pss-restricted:v1.33), else it "
    "follows --kube-version; default: policy.packs in .kubesmith.yaml.",
)
@dry_run_options
@handle_errors
def command(
    paths: tuple[Path, ...],
    repo: Path | None,
    base_rev: str | None,
    output: str,
    kube_version: str | None,
    strict: bool | None,
    crd_dirs: tuple[Path, ...],
    engine: str | None,
    policies: str | None,
    dry_run: str | None,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Validate Kubernetes manifests: API schemas, CRDs, strict fields, policies, dry-run.

    \b
    Examples:
      kubesmith validate                          # the folder you are in
      kubesmith validate ~/src/shop/overlays/prod # from any folder, like kubeconform
      kubesmith validate deploy/web.yaml --kube-version 1.30
      kubesmith validate --base origin/main       # only what this branch causes fails
      kubesmith validate -o sarif > kubesmith.sarif
      kubesmith validate --policies pss-restricted,best-practices
      kubesmith validate --dry-run sandbox        # also the API server's own checks

    Kustomize builds are validated as the pinned kustomize renders them (findings point at the
    patch, base or images: line to edit); other files as written. A kind with no schema (no CRD
    found) is a warning. Findings name files relative to the repository root.

    Exit codes: 0 no error findings, 1 error findings, 2 usage error.
    """
    from kubesmith.agent.factory import open_validators
    from kubesmith.agent.validation import find_root, validate

    root = find_root(list(paths), repo)
    if not paths and repo is None and Path.cwd().resolve() != root:
        paths = (Path.cwd(),)  # in a subfolder: that folder, understood within its repository
    settings = load_settings(root)
    extra_crds = [str(d.resolve()) for d in crd_dirs]
    overrides: dict[str, Any] = {
        "schema.kube_version": kube_version,
        "schema.strict": strict,
        "schema.engine": engine,
        "schema.crd_dirs": [*settings.schema_.crd_dirs, *extra_crds] if extra_crds else None,
        "policy.packs": None
        if policies is None
        else [p.strip() for p in policies.split(",") if p.strip() not in ("", "none")],
        **dry_run_overrides(dry_run, kubeconfig, context),
    }
    settings = settings.merged(**overrides)
    with open_validators(settings, root, progress=_progress(output)) as validators:
        if not validators:
            raise UsageError("every validator is disabled in the settings: nothing to check")
        if base_rev is None:
            report = validate(root, validators, settings, paths=list(paths))
        else:
            from kubesmith.agent.validation.tree import revision

            with revision(root, base_rev) as before:
                report = validate(root, validators, settings, paths=list(paths), base=before)
    findings, names = list(report.findings), list(report.files)
    if not names and not findings:  # a wrong --repo or include pattern must not look clean
        from kubesmith.cli._common import err_console

        include = ", ".join(settings.workspace.include)
        err_console.print(
            f"note: no YAML files to check under {root} (workspace.include: {include})",
            markup=False,
        )
    if output == "json":
        from kubesmith.agent.validation.report import render_json

        print_json(render_json(findings, files=len(names)))
    else:
        from kubesmith.agent.validation.report import render, resources_by_file

        resources = resources_by_file(report.root, names) if output == "junit" else None
        click.echo(render(findings, output, names, resources), nl=False)
    if any(f.severity == "error" for f in findings):
        sys.exit(EXIT_BLOCKED)
