"""The Workspace: every manifest of a repository, indexed, editable with minimal diffs.

A workspace reads its files from a :class:`~kubesmith.workspace.source.FileSource` (a directory or
a git commit), keeps each file's original text, and applies a ChangeSet in memory: all edits of
a change set succeed together or none does. ``write()`` puts the result on disk (directory
sources); the git layer commits ``modified_files()`` straight to a branch (commit sources).
"""

from __future__ import annotations

import difflib
import os
import posixpath
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from kubesmith.config import Settings, WorkspaceSettings, load_settings
from kubesmith.errors import EditRejected, ManifestError, ManifestRefused
from kubesmith.model import (
    AddResource,
    Change,
    ChangeSet,
    Edit,
    MergePatch,
    RemoveField,
    ResourceRef,
    SetField,
)
from kubesmith.reading import Limits, decode, too_large
from kubesmith.reading import use as use_limits
from kubesmith.workspace.cache import ParseCache
from kubesmith.workspace.document import Document
from kubesmith.workspace.kustomize import Kustomization, is_kustomization
from kubesmith.workspace.source import DirectorySource, FileSource, matches
from kubesmith.workspace.yamledit import YamlFile
from kubesmith.workspace.yamlnodes import gc_paused

_Editable = Callable[[str], YamlFile]


class Workspace:
    """The manifests of one repository (or one commit of it).

    Attributes:
        root: the repository's directory.
        settings: the repository's settings.
        documents: every Kubernetes document, Kustomize patches included.
        kustomizations: every kustomization file.
        notes: files that were skipped, and why (Helm templates, YAML that is no manifest).
        errors: files that could not be read or parsed — malformed, undecodable, over a
            reading limit (:mod:`kubesmith.reading`) or with a name that is not UTF-8 —
            never rewritten; the other files stay usable.
    """

    def __init__(self, root: Path, source: FileSource, settings: Settings) -> None:
        self.root = root
        self.source = source
        self.settings = settings
        self.files: dict[str, YamlFile] = {}
        self.original: dict[str, str] = {}
        self.deleted: set[str] = set()
        self.notes: list[str] = []
        self.errors: list[ManifestError] = []
        self.documents: list[Document] = []
        self.kustomizations: list[Kustomization] = []
        self._by_kind: dict[str, list[Document]] = defaultdict(list)
        self._by_name: dict[str, list[Document]] = defaultdict(list)
        self._doc_cache: dict[str, tuple[tuple[object, ...], list[Document]]] = {}
        self.encodings: dict[str, str] = {}
        """Files read in an encoding other than UTF-8 (UTF-16): read and validated, never
        edited (kubesmith writes UTF-8, and re-encoding would rewrite every line)."""
        self.limits = Limits(max_file_bytes=settings.workspace.max_file_bytes)

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(
        cls,
        root: Path,
        settings: Settings | None = None,
        source: FileSource | None = None,
        *,
        cache_dir: Path | None = None,
    ) -> Workspace:
        """Load every manifest under ``root`` (or from ``source``, e.g. a git commit).

        Args:
            cache_dir: keep parsed files here between runs, keyed by git blob id (only files
                from a commit source have one); the agent uses ``.git/kubesmith``.
        """
        root = Path(root)
        if not root.is_dir():
            raise ManifestError(f"{root} is not a directory")
        settings = settings if settings is not None else load_settings(root)
        ws = cls(root, source or DirectorySource(root), settings)
        ws._load(settings.workspace, ParseCache(cache_dir) if cache_dir else None)
        return ws

    def _load(self, cfg: WorkspaceSettings, cache: ParseCache | None) -> None:
        # One pause of the cyclic collector for the whole load: thousands of small node objects
        # would otherwise make it rescan the growing heap after every file.
        with gc_paused(), use_limits(self.limits):
            self._load_files(cfg, cache)
        self._index()

    def _load_files(self, cfg: WorkspaceSettings, cache: ParseCache | None) -> None:
        wanted: list[str] = []
        blobs: dict[str, str] = {}
        for f in self.source.files():
            if not matches(f.path, cfg.include) or matches(f.path, cfg.exclude):
                continue
            if f.problem is not None:
                self.errors.append(ManifestRefused(f.problem, f.path, 1))
                continue
            if f.size > self.limits.max_file_bytes:
                self.errors.append(ManifestRefused(too_large(self.limits, f.size), f.path, 1))
                continue
            if cache is not None and f.blob is not None:
                blobs[f.path] = f.blob
                hit = cache.get(f.blob, f.path)
                if hit is not None:
                    self.files[f.path] = hit
                    self.original[f.path] = hit.text
                    continue
            wanted.append(f.path)
        self._parse_files(wanted, cache, blobs)
        if cache is not None:
            cache.save({(b, p) for p, b in blobs.items() if p in self.files})

    def _parse_files(
        self, wanted: list[str], cache: ParseCache | None, blobs: dict[str, str]
    ) -> None:
        for path, raw in self.source.read(wanted).items():
            try:
                decoded = decode(raw, path)
            except ManifestRefused as e:
                self.errors.append(e)
                continue
            text = decoded.text
            if not decoded.is_utf8:
                self.encodings[path] = decoded.encoding
            try:
                self.files[path] = YamlFile.parse(text, path)
            except ManifestRefused as e:
                self.errors.append(e)
                continue
            except ManifestError as e:
                if "{{" in text:
                    self.notes.append(f"{path}: skipped, a template (Helm/Go), not plain YAML")
                else:
                    self.errors.append(e)
                continue
            self.original[path] = text
            if cache is not None and path in blobs and decoded.is_utf8:
                cache.put(blobs[path], path, self.files[path])

    def _index(self) -> None:
        self.documents = []
        self._by_kind.clear()
        self._by_name.clear()
        kust_files = [
            p
            for p, yf in self.files.items()
            if any(is_kustomization(p, d.data) for d in yf.documents)
        ]
        dirs = {posixpath.dirname(p) for p in kust_files}
        self.kustomizations = [
            Kustomization.parse(p, self.files[p].documents[0].data, dirs) for p in kust_files
        ]
        patch_owner: dict[str, Kustomization] = {}
        ns_of: dict[str, str] = {}
        for k in self.kustomizations:
            for pf in k.patch_files:
                patch_owner[pf] = k
            if k.namespace:
                for r in (*k.resources, *k.patch_files):
                    ns_of.setdefault(r, k.namespace)
        cache, self._doc_cache = self._doc_cache, {}
        for path in sorted(self.files):
            if path in kust_files:
                continue
            yf = self.files[path]
            owner = patch_owner.get(path)
            key = (
                yf,
                ns_of.get(path),
                owner is not None,
                owner.name if owner is not None and owner.is_overlay else None,
            )
            docs = cache[path][1] if path in cache and cache[path][0] == key else None
            if docs is None:
                docs = self._documents_of(path, yf, key[1], key[2], key[3])
            self._doc_cache[path] = (key, docs)
            for doc in docs:
                self.documents.append(doc)
                self._by_kind[doc.ref.kind.lower()].append(doc)
                self._by_name[doc.ref.name].append(doc)

    def _documents_of(
        self, path: str, yf: YamlFile, namespace: str | None, is_patch: bool, overlay: str | None
    ) -> list[Document]:
        """The Kubernetes documents of one file (re-made only when the file or its context
        changes, so re-indexing after an edit costs little)."""
        docs = []
        for i, ydoc in enumerate(yf.documents):
            data = ydoc.data
            if not (isinstance(data, dict) and data.get("apiVersion") and data.get("kind")):
                continue
            ref = ResourceRef.from_object(data, namespace)
            docs.append(Document(path, i, ref, ydoc, is_patch, overlay))
        note = f"{path}: skipped, not a Kubernetes manifest"
        if not docs and any(d.data is not None for d in yf.documents) and note not in self.notes:
            self.notes.append(note)
        return docs

    # ------------------------------------------------------------------ queries

    @property
    def resources(self) -> list[Document]:
        """Full resources: every document that is not a Kustomize patch."""
        return [d for d in self.documents if not d.is_patch]

    def find(
        self,
        *,
        kind: str | None = None,
        name: str | None = None,
        namespace: str | None = None,
        labels: dict[str, str] | None = None,
        file: str | None = None,
        patches: bool = False,
    ) -> list[Document]:
        """Documents matching every criterion given (kind is case-insensitive).

        Kustomize patch documents are included only with ``patches=True``.
        """
        if name is not None:
            pool: Iterable[Document] = self._by_name.get(name, [])
        elif kind is not None:
            pool = self._by_kind.get(kind.lower(), [])
        else:
            pool = self.documents
        out = []
        for d in pool:
            if d.is_patch and not patches:
                continue
            if kind is not None and d.ref.kind.lower() != kind.lower():
                continue
            if namespace is not None and d.ref.namespace not in (namespace, None):
                continue
            if file is not None and d.file != file:
                continue
            if labels and any(d.labels.get(k) != v for k, v in labels.items()):
                continue
            out.append(d)
        return out

    def get(self, ref: ResourceRef, file: str | None = None) -> Document:
        """The document of ``ref`` (in ``file`` when given).

        Raises:
            EditRejected: when no document, or several, match.
        """
        if file is not None and file not in self.files:
            raise EditRejected(f"no manifest file {file!r} in the workspace")
        if file is not None and ref.name == "" and is_kustomization(file, None):
            docs = [
                Document(file, 0, ref, self.files[file].documents[0])
            ]  # a kustomization has no metadata.name; the file names it
        else:
            docs = [
                d
                for d in self._by_name.get(ref.name, [])
                if d.ref.kind == ref.kind
                and (file is None or d.file == file)
                and (file is not None or not d.is_patch)
                and (ref.namespace is None or d.ref.namespace in (ref.namespace, None))
            ]
        if not docs:
            raise EditRejected(f"no resource {ref}{f' in {file}' if file else ''} in the workspace")
        if len(docs) > 1:
            where = ", ".join(f"{d.ref} in {d.file}" for d in docs)
            raise EditRejected(f"{ref} is ambiguous ({where}); give the file")
        return docs[0]

    # ------------------------------------------------------------------ editing

    def apply(self, changeset: ChangeSet) -> list[Change]:
        """Apply every edit of ``changeset`` in memory, all or nothing.

        Raises:
            EditRejected: an edit names a missing resource, an unsafe path, or cannot be made; no
                file is changed in that case.
        """
        staged: dict[str, YamlFile] = {}
        deleted: set[str] = set()

        def editable(path: str) -> YamlFile:
            if path in self.encodings:
                raise EditRejected(
                    f"{path} is {self.encodings[path].upper()} text: kubesmith edits UTF-8 files "
                    "only (save it as UTF-8 to change it)"
                )
            if path not in staged:
                if path in self.files:
                    staged[path] = self.files[path].copy()
                else:
                    staged[path] = YamlFile.parse("", path)
            return staged[path]

        changes: list[Change] = []
        for edit in changeset.edits:
            try:
                changes.extend(self._apply_one(edit, editable, deleted))
            except ManifestError as e:
                raise EditRejected(f"cannot apply {edit.op} on {_describe(edit)}: {e}") from e
        for path, yf in staged.items():
            self.files[path] = yf
            self.original.setdefault(path, "")
            self.deleted.discard(path)
        for path in deleted:
            self.files.pop(path, None)
            self.deleted.add(path)
        self._index()
        return changes

    def _apply_one(self, edit: Edit, editable: _Editable, deleted: set[str]) -> list[Change]:
        if isinstance(edit, AddResource):
            path = self._safe_path(edit.file)
            yf = editable(path)
            yf.append_document(edit.manifest)
            deleted.discard(path)
            return [Change(path, edit.ref, "add", None, None, edit.manifest)]
        doc = self._current(edit.ref, edit.file, editable)
        yf = editable(doc.file)
        if isinstance(edit, SetField):
            old, new = yf.set(doc.index, edit.path, edit.value)
            return [] if old == new else [Change(doc.file, doc.ref, "set", edit.path, old, new)]
        if isinstance(edit, RemoveField):
            old = yf.remove(doc.index, edit.path)
            return [] if old is None else [Change(doc.file, doc.ref, "remove", edit.path, old)]
        if isinstance(edit, MergePatch):
            yf.merge_patch(doc.index, edit.patch)
            return [Change(doc.file, doc.ref, "merge", None, None, edit.patch)]
        yf.delete_document(doc.index)
        if all(d.data is None for d in yf.documents):
            deleted.add(doc.file)
        return [Change(doc.file, doc.ref, "delete", None, doc.obj, None)]

    def _current(self, ref: ResourceRef, file: str | None, editable: _Editable) -> Document:
        """Find ``ref`` in the staged text when its file was already edited in this change set."""
        doc = self.get(ref, self._safe_path(file) if file else None)
        staged = editable(doc.file)
        for i, ydoc in enumerate(staged.documents):
            data = ydoc.data
            if (
                isinstance(data, dict)
                and (ResourceRef.from_object(data).name == ref.name or ref.name == "")
                and (ref.name == "" or data.get("kind") == ref.kind)
            ):
                return Document(doc.file, i, doc.ref, ydoc, doc.is_patch, doc.overlay)
        raise EditRejected(f"{ref} was removed earlier in this change set")

    def _safe_path(self, path: str) -> str:
        """Refuse paths that leave the repository or are not manifest files."""
        norm = posixpath.normpath(path.replace("\\", "/"))
        if norm.startswith(("/", "../")) or norm == ".." or os.path.isabs(path):
            raise EditRejected(f"path {path!r} is outside the repository")
        cfg = self.settings.workspace
        if not matches(norm, cfg.include) or matches(norm, cfg.exclude):
            raise EditRejected(f"{path!r} is not a manifest file kubesmith may edit")
        return norm

    def reset(self) -> None:
        """Undo every applied change set: back to the files as loaded."""
        for path in list(self.modified_files()):
            old = self.original.get(path, "")
            if old:
                self.files[path] = YamlFile.parse(old, path)
            else:
                self.files.pop(path, None)
                self.original.pop(path, None)
        self.deleted.clear()
        self._index()

    # ------------------------------------------------------------------ results

    def modified_files(self) -> dict[str, str | None]:
        """New text of every file changed since loading (``None`` for deleted files)."""
        out: dict[str, str | None] = {
            p: yf.text for p, yf in self.files.items() if yf.text != self.original.get(p)
        }
        out.update({p: None for p in self.deleted if p in self.original})
        return dict(sorted(out.items()))

    def diff(self, context: int = 3) -> str:
        """A unified diff (git style, ``a/`` and ``b/`` prefixes) of every modified file."""
        chunks: list[str] = []
        for path, text in self.modified_files().items():
            old = self.original.get(path, "")
            a = f"a/{path}" if old else "/dev/null"
            b = f"b/{path}" if text is not None else "/dev/null"
            lines = difflib.unified_diff(
                old.splitlines(keepends=True),
                (text or "").splitlines(keepends=True),
                a,
                b,
                n=context,
            )
            body = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
            chunks.append(f"diff --git a/{path} b/{path}\n{body}")
        return "".join(chunks)

    def write(self) -> list[str]:
        """Write modified files to ``root`` atomically; returns the paths written or removed."""
        done = []
        for path, text in self.modified_files().items():
            target = self.root / path
            if text is None:
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                    fh.write(text)
                if target.exists():
                    os.chmod(tmp, target.stat().st_mode)
                os.replace(tmp, target)
            done.append(path)
        return done


def _describe(edit: Edit) -> str:
    if isinstance(edit, AddResource):
        return f"{edit.ref} in {edit.file}"
    path = getattr(edit, "path", None)
    return f"{edit.ref}{f' at {path}' if path else ''}"
