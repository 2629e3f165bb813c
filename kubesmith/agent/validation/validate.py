"""The one validation path: ``kubesmith validate``, the bot and ``propose`` all call
:func:`validate`.

Given a checkout root (a folder on disk: the user's repository, the pull request's head, or the
proposal's tree written out) and what to check in it:

1. find the files (inside the root only: links that leave it are findings, never read);
2. find the kustomize builds those files take part in, and render them;
3. validate every file no build renders *as written*, and every rendered object *as rendered*
   — by every validator, with findings moved to the line a person edits;
4. with a ``base`` tree, mark what the base already had (:mod:`.baseline`).

A file's role comes from the builds, not from configuration inside the checkout: a file a
kustomization lists as a patch is judged as that build renders it, and as a whole resource when
no build renders it. Policies judge resources as deployed: a base resource an overlay puts in
``shop-prod`` is judged in ``shop-prod``, not in the default namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kubesmith.agent.validation.baseline import mark_preexisting, unique
from kubesmith.agent.validation.files import Discovered, discover
from kubesmith.agent.validation.kustomizations import Graph
from kubesmith.agent.validation.kustomizations import read as read_kustomizations
from kubesmith.agent.validation.running import Runner
from kubesmith.config import Settings
from kubesmith.model import Finding, Manifest
from kubesmith.reading import Limits
from kubesmith.reading import use as use_limits
from kubesmith.tools.validator import PreparesWorkspace, Validator

if TYPE_CHECKING:
    from kubesmith.agent.validation.rendering import Build


@dataclass(frozen=True)
class Report:
    """What one validation found.

    Attributes:
        root: the checkout root findings' files are relative to.
        files: the files checked (root-relative).
        findings: every finding, deduplicated.
        validators: the validators that ran, by name.
        rendered: the kustomization files that were built.
    """

    root: Path
    files: tuple[str, ...]
    findings: tuple[Finding, ...]
    validators: tuple[str, ...]
    rendered: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        """True when an error finding stands."""
        return any(f.severity == "error" for f in self.findings)


@dataclass(frozen=True)
class _Crds:
    """The repository's CRDs, in the shape ``PreparesWorkspace.prepare`` reads."""

    documents: tuple[object, ...]


def validate(
    root: Path,
    validators: Sequence[Validator],
    settings: Settings,
    *,
    paths: Sequence[Path] = (),
    only: Collection[str] | None = None,
    base: Path | None = None,
) -> Report:
    """Validate ``paths`` (default: everything) of the checkout at ``root``.

    Args:
        root: the checkout root; nothing outside it is read.
        validators: the validators to run (see :mod:`kubesmith.agent.factory`).
        settings: the repository's settings (which files are manifests).
        paths: files and folders under ``root`` to check (default: the whole root).
        only: root-relative names to keep (a change's files; names no longer there still
            select the builds that used them).
        base: the same repository before the change; findings it already had are marked
            pre-existing and no longer block.
    """
    # Files are read within the repository's size limit (kubesmith.reading: the validators
    # are handed paths, not settings).
    with use_limits(Limits(max_file_bytes=settings.workspace.max_file_bytes)):
        return _validate(root, validators, settings, paths, only, base)


def _validate(
    root: Path,
    validators: Sequence[Validator],
    settings: Settings,
    paths: Sequence[Path],
    only: Collection[str] | None,
    base: Path | None,
) -> Report:
    root = root.resolve()
    found = discover(root, settings, paths, only)
    runner = Runner(validators)
    touched: set[str] | None = None
    if only is not None:
        touched = set(only)
    elif paths:
        touched = set(found.names) | {r.file or "" for r in found.refused}
    findings, rendered = _run(root, runner, found, touched)
    if base is not None and findings:
        # Only validators that found something are asked about the base.
        asked = [v for v in validators if v.name in {f.validator for f in findings}]
        names = set(found.names) | (touched or set())
        before_found = discover(base.resolve(), settings, (), names)
        before, _ = _run(base.resolve(), Runner(asked), before_found, names)
        findings = mark_preexisting(findings, before)
    runner.close()
    return Report(
        root=root,
        files=tuple(found.names),
        findings=tuple(findings),
        validators=tuple(v.name for v in validators),
        rendered=rendered,
    )


def _run(
    root: Path,
    runner: Runner,
    found: Discovered,
    touched: set[str] | None,
) -> tuple[list[Finding], tuple[str, ...]]:
    kusts = read_kustomizations(root)
    graph = Graph.of(kusts)
    tops = graph.affected(touched) if kusts else []
    if touched is not None:
        _prepare(root, runner.validators, found)
    builds: list[Build] = []
    if tops:  # the rendering module stays unloaded on a repository with nothing to build
        from kubesmith.agent.validation.rendering import build_roots

        builds = build_roots(root, graph, tops)
    # A patch is judged as the builds render it; one no build renders is a whole resource.
    patches = graph.patch_files()
    rendered = {s.file for b in builds for m in b.manifests for s in m.sources}
    as_written = [(r, p) for r, p in found.files if not (r in patches and r in rendered)]
    findings = [*found.refused, *runner.files(as_written, graph.namespaces() if kusts else None)]
    for b in builds:
        if b.failure is not None:
            findings.append(b.failure)
            continue
        keep = _relevant(graph, b, touched)
        findings.extend(f for f in runner.rendered(b.manifests) if keep(f))
    return unique(findings), tuple(b.root.file for b in builds)


def _relevant(graph: Graph, b: Build, touched: set[str] | None) -> Callable[[Finding], bool]:
    """A filter for one build's findings: those about what ``touched`` changed.

    A changed kustomization concerns every object its build renders; otherwise a finding
    concerns the change when the object came from (or the finding points at) a changed file.
    """
    if touched is None or any(k.file in touched for k in graph.chain(b.root)):
        return _everything
    concerned = {
        m.ref
        for m in b.manifests
        if any(s.file in touched for s in m.sources)
        or (m.generator is not None and m.generator[0] in touched)
    }

    def keep(f: Finding) -> bool:
        return f.ref is None or f.ref in concerned or (f.file or "") in touched

    return keep


def _everything(_: Finding) -> bool:
    return True


def _prepare(root: Path, validators: Sequence[Validator], found: Discovered) -> None:
    """Let validators that learn from the whole repository (CRDs) see it, when only part of it
    is checked."""
    preparing = [v for v in validators if isinstance(v, PreparesWorkspace)]
    if not preparing:
        return
    crds = repository_crds(root, {rel for rel, _ in found.files})
    if crds:
        for v in preparing:
            v.prepare(_Crds(tuple(crds)))


def repository_crds(root: Path, skip: Collection[str] = ()) -> list[Manifest]:
    """Every CustomResourceDefinition under ``root`` (files in ``skip`` left out), read only
    from files that mention the kind, and never through a link that leaves ``root``."""
    import re

    from kubesmith.agent.validation.files import SUFFIXES, leaves_root, walk
    from kubesmith.errors import ManifestError
    from kubesmith.reading import decode, read_bytes
    from kubesmith.tools.schema.located import parse_documents

    pattern = re.compile(rb"^kind:\s*[\"']?CustomResourceDefinition", re.MULTILINE)
    out: list[Manifest] = []
    for rel, e in walk(root):
        if rel in skip or not e.name.endswith(SUFFIXES) or e.is_dir():
            continue
        path = Path(e.path)
        if e.is_symlink() and leaves_root(path, root):
            continue
        try:
            raw = read_bytes(path, rel)
            if not pattern.search(raw):
                continue
            out.extend(
                d for d in parse_documents(decode(raw, rel).text, rel)
                if d.obj.get("kind") == "CustomResourceDefinition"
            )  # fmt: skip
        except (OSError, UnicodeDecodeError, ManifestError, RecursionError):
            continue
    return out
