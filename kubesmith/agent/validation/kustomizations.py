"""Kustomizations as a build graph: what each one renders, and from which files.

Only the structure is read (no rendering): the resources, components, patches, generators and
image overrides of each kustomization file, with the lines they are written on. From that:

- the *roots* — kustomizations nothing else builds on, the ones a pipeline deploys;
- each root's *tree* — every file its ``kustomize build`` reads, through bases and components;
- which roots a set of changed files affects, so only those are rendered.

A file's role comes from the builds that use it, not from a list someone wrote: a file listed as
a patch is validated as that build renders it, and as a whole resource when no build renders it
(so a kustomization added anywhere cannot switch checks off for a file by calling it a patch).
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubesmith.agent.validation.files import KUSTOMIZATION_NAMES, leaves_root, walk


@dataclass(frozen=True)
class Generator:
    """A ``configMapGenerator`` / ``secretGenerator`` entry: its name and where it is written."""

    kind: str
    name: str
    line: int


@dataclass(frozen=True)
class ImageOverride:
    """An ``images:`` entry: the image it matches, what it sets, and its lines."""

    name: str
    new_name: str | None
    new_tag: str | None
    digest: str | None
    line: int
    tag_line: int


@dataclass(frozen=True)
class KustomizationFile:
    """One kustomization file, as a node of the build graph.

    Attributes:
        file: root-relative path of the kustomization file.
        dir: its folder (``""`` at the root).
        kind: ``Kustomization`` or ``Component`` (a component is never built on its own).
        namespace: the ``namespace:`` it sets.
        children: folders of other kustomizations it builds on (resources and components).
        resources: root-relative resource files it lists.
        patches: root-relative patch files it lists (``patches``, ``patchesStrategicMerge``,
            ``patchesJson6902``).
        targets: (patch file, kind, name) for patches applied by a ``target:`` selector
            (``None`` where the selector leaves the kind or name open).
        inputs: other files it reads (generator inputs).
        outside: entries that leave the repository (never rendered: a build could read them).
        name_prefix, name_suffix: what it adds to the names of what it builds.
        generators: its ConfigMap and Secret generators.
        images: its image overrides.
        line: the line of the document's first key (where its findings point).
    """

    file: str
    dir: str
    kind: str = "Kustomization"
    namespace: str | None = None
    children: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    patches: tuple[str, ...] = ()
    targets: tuple[tuple[str, str | None, str | None], ...] = ()
    inputs: tuple[str, ...] = ()
    outside: tuple[str, ...] = ()
    name_prefix: str = ""
    name_suffix: str = ""
    generators: tuple[Generator, ...] = ()
    images: tuple[ImageOverride, ...] = ()
    line: int = 1

    @property
    def name(self) -> str:
        """The environment name: the folder's base name (``overlays/prod`` → ``prod``)."""
        return posixpath.basename(self.dir) or "."


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "git@", "gitlab.com/"))


def parse(rel: str, doc: Any, folders: set[str]) -> KustomizationFile:
    """Read the kustomization document ``doc`` (a LocatedDocument) found at ``rel``."""
    data = doc.obj
    d = posixpath.dirname(rel)
    outside: list[str] = []

    def local(p: Any) -> str | None:
        if not isinstance(p, str) or not p or _remote(p):
            return None
        norm = posixpath.normpath(posixpath.join(d, p))
        if norm == ".." or norm.startswith("../") or posixpath.isabs(p):
            outside.append(p)
            return None
        return "" if norm == "." else norm

    children: list[str] = []
    resources: list[str] = []
    for entry in (
        _list(data.get("resources")) + _list(data.get("bases")) + _list(data.get("components"))
    ):
        target = local(entry)
        if target is None:
            continue
        (children if target in folders else resources).append(target)
    patches: list[str] = []
    targets: list[tuple[str, str | None, str | None]] = []
    for p in _list(data.get("patches")) + _list(data.get("patchesJson6902")):
        if isinstance(p, dict) and (target := local(p.get("path"))) is not None:
            patches.append(target)
            selector = p.get("target")
            if isinstance(selector, dict):
                kind, name = selector.get("kind"), selector.get("name")
                targets.append((target, str(kind) if kind else None, str(name) if name else None))
    for p in _list(data.get("patchesStrategicMerge")):
        if isinstance(p, str) and "\n" not in p and (target := local(p)) is not None:
            patches.append(target)
    generators: list[Generator] = []
    inputs: list[str] = []
    for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        for i, g in enumerate(_list(data.get(key))):
            if not isinstance(g, dict):
                continue
            if isinstance(g.get("name"), str):
                generators.append(Generator(kind, g["name"], doc.line_of((key, i))))
            for source in _list(g.get("files")) + _list(g.get("envs")) + [g.get("env")]:
                if isinstance(source, str):
                    _, _, path = source.rpartition("=")
                    if (target := local(path)) is not None:
                        inputs.append(target)
    images: list[ImageOverride] = []
    for i, img in enumerate(_list(data.get("images"))):
        if isinstance(img, dict) and isinstance(img.get("name"), str):
            new_tag = img.get("newTag")
            images.append(
                ImageOverride(
                    name=img["name"],
                    new_name=str(img["newName"]) if img.get("newName") else None,
                    new_tag=str(new_tag) if new_tag is not None else None,
                    digest=str(img["digest"]) if img.get("digest") else None,
                    line=doc.line_of(("images", i)),
                    tag_line=doc.line_of(("images", i, "newTag" if new_tag else "name")),
                )
            )
    ns = data.get("namespace")
    return KustomizationFile(
        file=rel,
        dir=d,
        kind=str(data.get("kind") or "Kustomization"),
        namespace=str(ns) if ns else None,
        children=tuple(children),
        resources=tuple(resources),
        patches=tuple(patches),
        targets=tuple(targets),
        inputs=tuple(inputs),
        outside=tuple(outside),
        name_prefix=str(data.get("namePrefix") or ""),
        name_suffix=str(data.get("nameSuffix") or ""),
        generators=tuple(generators),
        images=tuple(images),
        line=doc.line,
    )


def read(root: Path) -> list[KustomizationFile]:
    """Every kustomization file under ``root`` (links out of it are not read), sorted.

    A repository without any has no build to render and pays for no parsing.
    """
    root = root.resolve()
    found = [
        (rel, Path(e.path))
        for rel, e in walk(root)
        if e.name in KUSTOMIZATION_NAMES
        and not e.is_dir()
        and not (e.is_symlink() and leaves_root(Path(e.path), root))
    ]
    if not found:
        return []
    from kubesmith.errors import ManifestError
    from kubesmith.reading import read_text
    from kubesmith.tools.schema.located import parse_documents

    docs: list[tuple[str, Any]] = []
    for rel, path in found:
        try:
            parsed = parse_documents(read_text(path, rel), rel)
        except (ManifestError, OSError, UnicodeDecodeError, RecursionError):
            continue  # not rendered; validated as written, where the parse error is reported
        if parsed:
            docs.append((rel, parsed[0]))
    folders = {posixpath.dirname(rel) for rel, _ in docs}
    return [parse(rel, doc, folders) for rel, doc in docs]


@dataclass(frozen=True)
class Graph:
    """The build graph of a repository's kustomizations."""

    nodes: dict[str, KustomizationFile]
    """By folder."""

    @classmethod
    def of(cls, kusts: Iterable[KustomizationFile]) -> Graph:
        """The graph of ``kusts`` (one kustomization per folder: kustomize refuses more)."""
        nodes: dict[str, KustomizationFile] = {}
        for k in kusts:
            nodes.setdefault(k.dir, k)
        return cls(nodes)

    def roots(self) -> list[KustomizationFile]:
        """Kustomizations no other one builds on (components excluded): what gets deployed."""
        used = {c for k in self.nodes.values() for c in k.children}
        return [k for d, k in sorted(self.nodes.items()) if d not in used and k.kind != "Component"]

    def chain(self, root: KustomizationFile) -> list[KustomizationFile]:
        """``root`` and every kustomization it builds on, outermost first (each once)."""
        out: list[KustomizationFile] = []
        seen: set[str] = set()
        queue = [root]
        while queue:
            k = queue.pop(0)
            if k.dir in seen:
                continue
            seen.add(k.dir)
            out.append(k)
            queue.extend(self.nodes[c] for c in k.children if c in self.nodes)
        return out

    def tree(self, root: KustomizationFile) -> set[str]:
        """Every file the build of ``root`` reads."""
        files: set[str] = set()
        for k in self.chain(root):
            files.update((k.file, *k.resources, *k.patches, *k.inputs))
        return files

    def patch_files(self) -> set[str]:
        """Every file some kustomization lists as a patch."""
        return {p for k in self.nodes.values() for p in k.patches}

    def namespaces(self) -> dict[str, str]:
        """The namespace each resource file is deployed to, where every build that deploys it
        sets one (the outermost kustomization's ``namespace:`` wins, as in kustomize).

        A file no build deploys, or one build leaves in the default namespace, is absent.
        """
        seen: dict[str, set[str | None]] = {}
        for top in self.roots():
            ns: dict[str, str | None] = {top.dir: top.namespace}
            for k in self.chain(top):
                for c in k.children:
                    if c in self.nodes and c not in ns:
                        ns[c] = ns[k.dir] or self.nodes[c].namespace
                for rel in k.resources:
                    seen.setdefault(rel, set()).add(ns.get(k.dir))
        out: dict[str, str] = {}
        for rel, found in seen.items():
            if None not in found:
                out[rel] = sorted(n for n in found if n)[0]
        return out

    def outside(self, root: KustomizationFile) -> list[str]:
        """Entries of ``root``'s build that leave the repository."""
        return [f"{k.file}: {entry}" for k in self.chain(root) for entry in k.outside]

    def affected(self, files: Collection[str] | None) -> list[KustomizationFile]:
        """The roots whose build reads one of ``files`` (every root when ``files`` is None)."""
        roots = self.roots()
        if files is None:
            return roots
        wanted = set(files)
        return [r for r in roots if self.tree(r) & wanted]
