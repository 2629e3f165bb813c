"""What is deployed, before and after a change: each affected overlay rendered with the pinned
kustomize, plain files as they are written.

The effect step (:mod:`kubesmith.agent.effect`) compares the two. Rendering reuses the one
validation path's builder (:mod:`kubesmith.agent.validation.rendering`), so an object is rendered
exactly as ``kubesmith validate`` and a pipeline render it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubesmith.agent.validation.kustomizations import Graph
from kubesmith.agent.validation.kustomizations import read as read_kustomizations
from kubesmith.model import Match, PathSegment, ResourceRef, format_path

Key = tuple[str, str, str]
"""An object's identity in one environment: kind, namespace, name."""

Leaf = tuple[PathSegment, ...]


@dataclass(frozen=True)
class Source:
    """A document an object was made from: its file and identity as written."""

    file: str
    kind: str
    name: str
    doc: Any
    """The located document (``obj``, ``line_of``)."""

    @property
    def obj(self) -> Any:
        return self.doc.obj

    def line_of(self, path: Leaf) -> int:
        try:
            return int(self.doc.line_of(path))
        except Exception:  # a path the document does not hold: its first line
            return int(self.doc.line)


@dataclass(frozen=True)
class Deployed:
    """One object as deployed in one environment."""

    env: str
    key: Key
    obj: dict[str, Any]
    sources: tuple[Source, ...]
    """Patches first (outermost first), the base document last; none for a generated object."""
    chain: tuple[str, ...] = ()
    """The kustomization files of its build, outermost first (empty for a plain file)."""

    def made_from(self, file: str, kind: str, name: str) -> bool:
        """True when the document ``kind/name`` of ``file`` is one of the object's sources."""
        return any(s.file == file and s.kind == kind and s.name == name for s in self.sources)

    def from_file(self, file: str) -> bool:
        return any(s.file == file for s in self.sources)


@dataclass(frozen=True)
class Environment:
    """One place something is deployed from: a root kustomization, or a plain file."""

    name: str
    """The overlay's folder (``overlays/prod``) or the plain file's path."""
    chain: tuple[str, ...] = ()
    """Kustomization files of the build (empty for a plain file)."""
    objects: tuple[Deployed, ...] = ()
    failure: str | None = None

    def by_key(self) -> dict[Key, Deployed]:
        return {o.key: o for o in self.objects}


def key_of(obj: dict[str, Any]) -> Key:
    ref = ResourceRef.from_object(obj)
    return (ref.kind, ref.namespace or "", ref.name)


def render_tree(root: Path, graph: Graph, changed: set[str]) -> dict[str, Environment]:
    """The environments of the tree at ``root`` (its kustomizations: ``graph``) that read one
    of ``changed``, rendered."""
    from kubesmith.agent.validation.rendering import build_roots

    root = root.resolve()
    out: dict[str, Environment] = {}
    for done in build_roots(root, graph, graph.affected(changed)):
        chain = tuple(k.file for k in graph.chain(done.root))
        name = done.root.dir or "."
        if done.failure is not None:
            out[name] = Environment(name, chain, failure=done.failure.message)
            continue
        objs = tuple(
            Deployed(name, key_of(m.obj), m.obj, tuple(_source(s) for s in m.sources), chain)
            for m in done.manifests
        )
        out[name] = Environment(name, chain, objs)
    in_builds = {f for top in graph.roots() for f in graph.tree(top)}
    for rel in sorted(changed - in_builds):
        out[rel] = Environment(rel, (), tuple(_plain(root, rel)))
    return out


def tree_graph(root: Path) -> Graph:
    """The build graph of the kustomizations under ``root``."""
    return Graph.of(read_kustomizations(root.resolve()))


def _source(doc: Any) -> Source:
    return Source(doc.file, doc.ref.kind, doc.ref.name, doc)


def _plain(root: Path, rel: str) -> Iterator[Deployed]:
    from kubesmith.errors import ManifestError
    from kubesmith.reading import read_text
    from kubesmith.tools.schema.located import parse_documents

    path = root / rel
    if not path.is_file():
        return
    try:
        docs = parse_documents(read_text(path, rel), rel)
    except (ManifestError, OSError, UnicodeDecodeError, RecursionError):
        return
    for d in docs:
        if isinstance(d.obj, dict) and d.obj.get("kind"):
            yield Deployed(rel, key_of(d.obj), d.obj, (_source(d),))


# --------------------------------------------------------------------------- comparing


def _named(items: list[Any]) -> bool:
    return bool(items) and all(
        isinstance(i, dict) and isinstance(i.get("name"), str) for i in items
    )


def leaves(obj: Any, prefix: Leaf = ()) -> dict[Leaf, Any]:
    """Every scalar of ``obj`` by path; items of a list of named things by ``[name=x]``."""
    out: dict[Leaf, Any] = {}
    if isinstance(obj, dict):
        if not obj and prefix:
            out[prefix] = {}
        for k, v in obj.items():
            out.update(leaves(v, (*prefix, str(k))))
    elif isinstance(obj, list):
        if not obj and prefix:
            out[prefix] = []
        named = _named(obj)
        for i, v in enumerate(obj):
            seg: PathSegment = Match("name", v["name"]) if named else i
            out.update(leaves(v, (*prefix, seg)))
    else:
        out[prefix] = obj
    return out


def canonical(obj: Any, segments: Iterable[PathSegment]) -> Leaf:
    """``segments`` as :func:`leaves` spells them in ``obj`` (indexes and selectors of a list
    become ``[name=x]`` when its items are named, else the index found)."""
    out: list[PathSegment] = []
    node = obj
    for seg in segments:
        if isinstance(node, list) and isinstance(seg, (int, Match)):
            index = _index(node, seg)
            if index is None:
                out.append(seg)
                node = None
                continue
            item = node[index]
            out.append(Match("name", item["name"]) if _named(node) else index)
            node = item
            continue
        out.append(seg)
        node = node.get(seg) if isinstance(node, dict) and isinstance(seg, str) else None
    return tuple(out)


def _index(items: list[Any], seg: int | Match) -> int | None:
    if isinstance(seg, int):
        return seg % len(items) if -len(items) <= seg < len(items) else None
    for i, item in enumerate(items):
        if isinstance(item, dict) and str(item.get(seg.key)) == seg.value:
            return i
    return None


@dataclass(frozen=True)
class Delta:
    """One rendered change: an object added or removed (``path`` None), or one field."""

    env: str
    key: Key
    path: Leaf | None
    old: Any = None
    new: Any = None
    added: bool = False
    removed: bool = False

    def describe(self) -> str:
        kind, ns, name = self.key
        obj = f"{kind}/{name}" + (f" (namespace {ns})" if ns else "")
        if self.path is None:
            return f"{obj}: {'added' if self.added else 'removed'}"
        where = format_path(self.path)
        if self.removed:
            return f"{obj} {where}: {_show(self.old)} (removed)"
        if self.added:
            return f"{obj} {where}: {_show(self.new)} (added)"
        return f"{obj} {where}: {_show(self.old)} → {_show(self.new)}"


def _show(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def deltas(before: Environment | None, after: Environment | None) -> list[Delta]:
    """What changed in one environment's deployed objects."""
    either = after or before
    env = either.name if either is not None else ""
    old = before.by_key() if before else {}
    new = after.by_key() if after else {}
    out: list[Delta] = []
    for key in sorted(old.keys() | new.keys()):
        if key not in new:
            out.append(Delta(env, key, None, removed=True))
        elif key not in old:
            out.append(Delta(env, key, None, added=True))
        else:
            a, b = leaves(old[key].obj), leaves(new[key].obj)
            for path in sorted(a.keys() | b.keys(), key=format_path):
                if path not in b:
                    out.append(Delta(env, key, path, old=a[path], removed=True))
                elif path not in a:
                    out.append(Delta(env, key, path, new=b[path], added=True))
                elif a[path] != b[path] or type(a[path]) is not type(b[path]):
                    out.append(Delta(env, key, path, old=a[path], new=b[path]))
    return out


def rendered_diff_text(changes: dict[str, list[Delta]]) -> str:
    """The rendered diff as text: per environment, one line per changed field."""
    parts: list[str] = []
    for env, ds in sorted(changes.items()):
        if not ds:
            continue
        parts.append(f"# {env}")
        parts.extend(f"  {d.describe()}" for d in ds)
    return "\n".join(parts)
