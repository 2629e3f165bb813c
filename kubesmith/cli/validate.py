"""``kubesmith validate``: check manifests offline and report findings for people or CI.

Every validator that can run on the repository plugs in through :func:`build_validators`; a
validator with a ``validate_files`` method (schema) gets the files, the others get parsed
documents (:func:`load_manifests`).
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kubesmith.cli._common import (
    EXIT_BLOCKED,
    dry_run_options,
    dry_run_overrides,
    handle_errors,
    print_json,
    repo_option,
)
from kubesmith.config import Settings, load_settings
from kubesmith.errors import ManifestError, UsageError
from kubesmith.model import Finding, Manifest
from kubesmith.tools.validator import Validator

if TYPE_CHECKING:
    from kubesmith.workspace.kustomize import Kustomization

OUTPUTS = ("text", "json", "sarif", "junit")
_SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
"""kubesmith.workspace.kustomize's names, repeated: importing that package is slow."""


def _with_overlays(
    findings: list[Finding],
    validators: Sequence[Validator],
    repo: Path,
    settings: Settings,
    checked: list[str],
    kusts: Sequence[Kustomization],
) -> list[Finding]:
    """Add the findings of the overlays the checked files belong to, as kustomize renders them
    (a patch alone is a partial resource); their findings point at the patch or base line.

    The workspace (every manifest parsed) is loaded only when ``kusts`` holds an overlay: on a
    repository without one this costs nothing.
    """
    if not any(k.is_overlay for k in kusts):
        return findings
    from kubesmith.agent.overlays import affected_overlays, unique, validate_overlays
    from kubesmith.workspace import Workspace

    ws = Workspace.load(repo, settings)
    overlays = affected_overlays(ws, set(checked))
    if not overlays:
        return findings
    return unique([*findings, *validate_overlays(ws, overlays, validators)])


def _progress(output: str) -> Callable[[str], None] | None:
    if output != "text":
        return None

    from kubesmith.cli._common import err_console

    def say(message: str) -> None:
        err_console.print(f"[dim]… {message}[/]")

    return say


def discover(paths: Sequence[Path], repo: Path, settings: Settings) -> list[tuple[str, Path]]:
    """The manifest files to check: (path as findings name it, path on disk), sorted.

    Folders are walked with the workspace's include/exclude globs; files named explicitly are
    always checked. Paths are shown relative to the repository when they are inside it.
    """
    cfg = settings.workspace
    include, exclude = _globs(cfg.include), _globs(cfg.exclude)
    root = str(repo.resolve())
    found: dict[str, Path] = {}

    def rel_dir(d: str) -> str | None:
        if d == root:
            return ""
        if not d.startswith(root + os.sep):
            return None
        return d[len(root) + 1 :].replace(os.sep, "/") + "/"

    for start in paths or [repo]:
        if start.is_file():
            base = rel_dir(str(start.resolve().parent))
            found[start.as_posix() if base is None else base + start.name] = start
            continue
        for dirpath, dirnames, filenames in os.walk(start.resolve()):
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            base = rel_dir(dirpath)
            folder = Path(dirpath)  # one parse per folder: pathlib is slow per file
            for name in filenames:
                if not name.endswith(_SUFFIXES) and name != "Kustomization":
                    continue
                r = base + name if base is not None else os.path.join(dirpath, name)
                if include.match(r) and not exclude.match(r):
                    found[r] = folder / name
    return sorted(found.items())


def _globs(patterns: Sequence[str]) -> re.Pattern[str]:
    """One regex for glob ``patterns``, as the workspace reads them (``**/`` also matches top)."""
    parts = [fnmatch.translate(p) for p in patterns]
    parts += [fnmatch.translate(p[3:]) for p in patterns if p.startswith("**/")]
    return re.compile("|".join(parts) or "(?!)")


def kustomizations(repo: Path) -> list[Kustomization]:
    """The repository's kustomization files, read for their structure (bases, patches).

    Only files with a kustomization name count: ``kustomize build`` needs one in every folder it
    renders, so a repository without any has no overlay to render and no patch to skip (and
    pays for neither the walk's parsing nor the workspace package's import).
    """
    root = repo.resolve()
    names = KUSTOMIZATION_NAMES
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        found.extend(Path(dirpath, n) for n in names.intersection(filenames))
    if not found:
        return []
    import yaml

    from kubesmith.workspace.kustomize import Kustomization

    read: list[tuple[str, Any]] = []
    for p in sorted(found):
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (yaml.YAMLError, OSError, UnicodeDecodeError):
            continue
        read.append((p.relative_to(root).as_posix(), data))
    dirs = {posixpath.dirname(rel) for rel, _ in read}
    return [Kustomization.parse(rel, data, dirs) for rel, data in read]


def patch_files(repo: Path, kusts: Sequence[Kustomization] | None = None) -> set[str]:
    """Repository-relative paths of the files Kustomize uses as patches (partial resources)."""
    return {p for k in (kustomizations(repo) if kusts is None else kusts) for p in k.patch_files}


def load_manifests(files: Sequence[tuple[str, Path]], patches: set[str]) -> list[Manifest]:
    """Parse ``files`` into documents with positions, for validators that need parsed YAML."""
    from kubesmith.tools.schema.located import parse_documents

    docs: list[Manifest] = []
    for rel, path in files:
        try:
            docs.extend(parse_documents(path.read_text(encoding="utf-8"), rel, rel in patches))
        except (ManifestError, OSError, UnicodeDecodeError):
            continue  # the schema validator reports unreadable files
    return docs


def run_validators(
    validators: Sequence[Validator], files: Sequence[tuple[str, Path]], patches: set[str]
) -> list[Finding]:
    """Run each validator on ``files``: whole files where it can, parsed documents otherwise."""
    findings: list[Finding] = []
    manifests: list[Manifest] | None = None
    for v in validators:
        validate_files = getattr(v, "validate_files", None)
        if validate_files is not None:
            findings.extend(validate_files([(r, p, r in patches) for r, p in files]))
            continue
        if manifests is None:
            manifests = load_manifests(files, patches)
        findings.extend(v.validate(manifests))
    return findings


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@repo_option
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
    "or 'none'; default: policy.packs in .kubesmith.yaml.",
)
@dry_run_options
@handle_errors
def command(
    paths: tuple[Path, ...],
    repo: Path,
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
    """Validate Kubernetes manifests offline: API schemas, CRDs, strict fields, policies.

    \b
    Examples:
      kubesmith validate                          # the whole repository (--repo, default .)
      kubesmith validate deploy/web.yaml --kube-version 1.30
      kubesmith validate -o sarif > kubesmith.sarif
      kubesmith validate -o junit > report.xml
      kubesmith validate --policies pss-restricted,best-practices
      kubesmith validate --dry-run sandbox        # also the API server's own checks

    Kustomize patch files, kustomization files and YAML that is not a Kubernetes object are
    skipped with a note. A kind with no schema (no CRD found) is a warning.

    Exit codes: 0 no error findings, 1 error findings, 2 usage error.
    """
    from kubesmith.agent.factory import open_validators

    settings = load_settings(repo)
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
    files = discover(paths, repo, settings)
    with open_validators(settings, repo, progress=_progress(output)) as validators:
        if not validators:
            raise UsageError("every validator is disabled in the settings: nothing to check")
        kusts = kustomizations(repo)
        findings = run_validators(validators, files, patch_files(repo, kusts))
        checked = [r for r, _ in files]
        findings = _with_overlays(findings, validators, repo, settings, checked, kusts)
    names = [r for r, _ in files]
    if not names:  # a wrong --repo or include pattern must not look like a clean pass
        from kubesmith.cli._common import err_console

        include = ", ".join(settings.workspace.include)
        err_console.print(
            f"note: no YAML files to check under {repo} (workspace.include: {include})",
            markup=False,
        )
    if output == "json":
        from kubesmith.tools.report import render_json

        print_json(render_json(findings, files=len(names)))
    else:
        from kubesmith.tools.report import render

        click.echo(render(findings, output, names), nl=False)
    if any(f.severity == "error" for f in findings):
        sys.exit(EXIT_BLOCKED)
