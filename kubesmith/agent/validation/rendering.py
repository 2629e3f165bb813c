"""Rendering the builds a change affects, with the pinned kustomize, inside the checkout only.

Each affected root kustomization is built as a pipeline would build it. Its objects are matched
to the documents they came from (:class:`RenderedManifest`), so findings point at the lines a
person edits. A build that fails is an error finding on its kustomization, never a silent pass;
a build that would read outside the repository is not run at all.

When the tree holds links that leave it, the build runs on a copy without them: kustomize does
not refuse a linked file, and a pull request must not make it read the host's files.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kubesmith.agent.validation.files import leaves_root
from kubesmith.agent.validation.kustomizations import Graph, KustomizationFile
from kubesmith.agent.validation.rendered import RenderedManifest
from kubesmith.errors import ManifestError, ToolError
from kubesmith.model import Finding, Manifest, ResourceRef

VALIDATOR = "kustomize"


@dataclass(frozen=True)
class Build:
    """One root's render: its objects, or the finding that says why there are none."""

    root: KustomizationFile
    manifests: tuple[RenderedManifest, ...] = ()
    failure: Finding | None = None


@dataclass
class _Documents:
    """Parsed documents of the tree's files, read once per run (only inside the root)."""

    root: Path
    cache: dict[str, list[Manifest]] = field(default_factory=dict)

    def of(self, rel: str) -> list[Manifest]:
        if rel not in self.cache:
            self.cache[rel] = self._read(rel)
        return self.cache[rel]

    def _read(self, rel: str) -> list[Manifest]:
        from kubesmith.reading import read_text
        from kubesmith.tools.schema.located import parse_documents

        path = self.root / rel
        if leaves_root(path, self.root) or not path.is_file():
            return []
        try:
            return list(parse_documents(read_text(path, rel), rel))
        except (ManifestError, OSError, UnicodeDecodeError, RecursionError):
            return []


@contextlib.contextmanager
def render_root(root: Path) -> Iterator[Path]:
    """The folder to build in: ``root`` itself, or a copy without the links that leave it."""
    from kubesmith.agent.validation.files import escaping_links

    links = escaping_links(root)
    if not links:
        yield root
        return
    with tempfile.TemporaryDirectory(prefix="kubesmith-render-") as tmp:
        copy = Path(tmp) / "tree"
        shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        for rel in links:
            target = copy / rel
            if target.is_symlink():
                target.unlink()
        for dirpath, dirnames, filenames in os.walk(copy):  # links made relative to the copy
            for name in [*dirnames, *filenames]:
                p = Path(dirpath, name)
                if p.is_symlink() and leaves_root(p, copy.resolve()):
                    p.unlink()
        yield copy


def build_roots(root: Path, graph: Graph, tops: list[KustomizationFile]) -> list[Build]:
    """Render each of ``tops`` from the tree at ``root``, its documents read once for all."""
    if not tops:
        return []
    docs = _Documents(root)
    with render_root(root) as tree:
        return [build(tree, graph, top, docs) for top in tops]


def build(
    tree: Path, graph: Graph, top: KustomizationFile, docs: _Documents, timeout: float = 60.0
) -> Build:
    """Render ``top`` from the folder ``tree`` and locate each object in its sources."""
    from kubesmith.tools import kustomize

    outside = graph.outside(top)
    if outside:
        message = "refers to files outside the repository, so it is not rendered: " + ", ".join(
            outside
        )
        return Build(top, failure=_failure(top, message, "outside"))
    try:
        objects = kustomize.build(tree / top.dir, timeout=timeout)
    except ToolError as e:
        return Build(top, failure=_failure(top, str(e).replace(str(tree), "."), "build"))
    return Build(top, tuple(_locate_all(graph, top, objects, docs)))


def _failure(k: KustomizationFile, message: str, rule: str) -> Finding:
    return Finding(VALIDATOR, "error", message, file=k.file, line=k.line, rule=rule)


def _locate_all(
    graph: Graph, top: KustomizationFile, objects: list[dict[str, object]], docs: _Documents
) -> list[RenderedManifest]:
    chain = graph.chain(top)
    # Names as this build renders them: outer prefixes go outside inner ones.
    affixes: dict[str, tuple[str, str]] = {top.dir: (top.name_prefix, top.name_suffix)}
    for k in chain:
        pre, suf = affixes.get(k.dir, ("", ""))
        for c in k.children:
            child = graph.nodes.get(c)
            if child is not None and c not in affixes:
                affixes[c] = (pre + child.name_prefix, child.name_suffix + suf)
    bases: dict[tuple[str, str], Manifest] = {}
    patches: list[Manifest] = []
    targeted: list[tuple[Manifest, str | None, str | None]] = []
    for k in chain:
        for rel, kind, name in k.targets:
            targeted.extend((d, kind, name) for d in docs.of(rel))
        pre, suf = affixes.get(k.dir, ("", ""))
        for rel in k.resources:
            for d in docs.of(rel):
                key = (d.ref.kind, pre + d.ref.name + suf)
                bases.setdefault(key, d)
        for rel in k.patches:
            patches.extend(d for d in docs.of(rel) if d.obj.get("kind"))
    images = tuple((k.file, img) for k in chain for img in k.images)
    generators = [(k, g) for k in chain for g in k.generators]
    out = []
    for obj in objects:
        ref = ResourceRef.from_object(obj)
        base = bases.get((ref.kind, ref.name))
        names = {ref.name, *([base.ref.name] if base is not None else [])}
        own = tuple(p for p in patches if p.ref.kind == ref.kind and p.ref.name in names) + tuple(
            d for d, kind, name in targeted if _selects(kind, name, ref, names)
        )
        generator = None
        if base is None:
            made = [
                (k, g)
                for k, g in generators
                if g.kind == ref.kind
                and g.name in ref.name
                and ref.name.startswith(affixes.get(k.dir, ("", ""))[0] + g.name)
            ]
            if made:
                generator = (made[0][0].file, made[0][1])
        sources = (*own, *([base] if base is not None else []))
        out.append(
            RenderedManifest(
                obj,
                ref,
                top.name,
                sources,
                top.file,
                top.line,
                images,
                generator,
            )
        )
    return out


def render(root: Path, folder: str) -> list[RenderedManifest]:
    """Render the kustomization in ``folder`` of the repository at ``root``, located.

    Raises:
        ToolError: the build failed or would read outside the repository (the message says).
        UsageError: ``folder`` holds no kustomization.
    """
    from kubesmith.agent.validation import kustomizations
    from kubesmith.errors import UsageError

    root = root.resolve()
    graph = Graph.of(kustomizations.read(root))
    top = graph.nodes.get(folder.strip("/"))
    if top is None:
        raise UsageError(f"no kustomization in {folder!r} under {root}")
    [done] = build_roots(root, graph, [top])
    if done.failure is not None:
        raise ToolError(done.failure.message)
    return list(done.manifests)


def _selects(kind: str | None, name: str | None, ref: ResourceRef, names: set[str]) -> bool:
    """True when a patch ``target:`` selector (kind, name; kustomize reads names as regular
    expressions) selects the object ``ref`` (known by ``names``)."""
    if kind is not None and kind != ref.kind:
        return False
    if name is None:
        return True
    try:
        return any(re.fullmatch(name, n) for n in names)
    except re.error:
        return name in names
