"""Where a change is written: the resource itself, or a Kustomize overlay of it.

Without an environment, changes go to the resource as written (usually the base). For an
environment ("in prod") whose overlay builds on that resource:

* an image change becomes the overlay's ``images:`` entry (``newTag``/``newName``/``digest``);
* any other field goes into the overlay's existing patch for that resource;
* when there is none, into a new patch file ``<name>-patch.yaml`` next to the kustomization,
  which is appended to its ``patches:`` list. A removal is written the strategic-merge way
  (``key: null``, or ``$patch: delete`` for a list item) because a patch can only add;
* a new object (Service, HPA, PDB) goes into a new file in the overlay, appended to
  ``resources:``; deleting a base resource is a ``$patch: delete`` patch.
"""

from __future__ import annotations

import copy
import posixpath
from typing import TYPE_CHECKING, Any

from kubesmith.agent.offline.build_pod import split_image
from kubesmith.agent.offline.changes import (
    DropObject,
    FieldChange,
    NewObject,
    drop_path,
    merge,
    put_path,
    tidy,
)
from kubesmith.agent.offline.resolve import containers_of
from kubesmith.model import (
    AddResource,
    DeleteResource,
    Edit,
    Match,
    RemoveField,
    ResourceRef,
    SetField,
    parse_path,
)

if TYPE_CHECKING:
    from kubesmith.workspace import Document, Kustomization, Workspace

KUSTOMIZATION_REF = ResourceRef("kustomize.config.k8s.io/v1beta1", "Kustomization", "")
"""How edits address a kustomization file (it has no name; ``file`` pins it)."""

_SHORT = {"Service": "service", "HorizontalPodAutoscaler": "hpa", "PodDisruptionBudget": "pdb"}


class Destination:
    """Writes the changes of one environment (``kust`` is ``None`` for "edit in place")."""

    def __init__(self, ws: Workspace, kust: Kustomization | None) -> None:
        self.ws = ws
        self.kust = kust
        self._new_files: set[str] = set()
        self._working: dict[tuple[str, int], dict[str, Any]] = {}

    def record(self, changes: list[FieldChange | NewObject | DropObject]) -> None:
        """Remember planned field changes so later requests of the intent see them."""
        for ch in changes:
            if not isinstance(ch, FieldChange):
                continue
            key = (ch.doc.file, ch.doc.index)
            obj = self._working.get(key)
            if obj is None:
                obj = self._working[key] = copy.deepcopy(self.view(ch.doc))
            if ch.remove:
                drop_path(obj, ch.path)
            else:
                put_path(obj, ch.path, copy.deepcopy(ch.value))

    def direct(self, doc: Document) -> bool:
        """True when ``doc`` itself is edited (no environment, or it belongs to the overlay)."""
        if self.kust is None:
            return True
        return doc.file.startswith(self.kust.dir + "/")

    def patches_of(self, doc: Document) -> list[Document]:
        """The overlay's patch documents for ``doc``, in the order kustomize applies them."""
        if self.kust is None:
            return []
        order = {f: i for i, f in enumerate(self.kust.patch_files)}
        found = [
            d
            for d in self.ws.find(name=doc.ref.name, kind=doc.ref.kind, patches=True)
            if d.is_patch and d.file in order
        ]
        return sorted(found, key=lambda d: (order[d.file], d.index))

    def patch_of(self, doc: Document, path: str | None = None) -> Document | None:
        """The overlay's patch for ``doc`` that wins for ``path``: of the patches setting the
        field (or a part of it), the last applied, since a later patch overrides an earlier
        one; else the last patch for ``doc``; None when the overlay has none."""
        patches = self.patches_of(doc)
        if path is not None:
            setting = [d for d in patches if _sets(d.obj, path)]
            if setting:
                return setting[-1]
        return patches[-1] if patches else None

    def view(self, doc: Document) -> dict[str, Any]:
        """``doc`` as this environment renders it: base + the overlay's patch + its images, plus
        the changes earlier requests of the same intent made ("scale up by 1 and double it")."""
        key = (doc.file, doc.index)
        if key in self._working:
            return self._working[key]
        if self.direct(doc) or self.kust is None:
            return doc.obj
        obj = copy.deepcopy(doc.obj)
        for patch in self.patches_of(doc):  # in order: a later patch overrides an earlier one
            merge(obj, patch.obj)
        for c in containers_of(obj, doc.ref.kind):
            c["image"] = self._rendered_image(str(c.get("image", "")))
        return obj

    def _image_entry(self, repo: str) -> dict[str, Any] | None:
        assert self.kust is not None
        return next((dict(i) for i in self.kust.images if i.get("name") == repo), None)

    def _rendered_image(self, image: str) -> str:
        repo, _ = split_image(image)
        entry = self._image_entry(repo)
        if not entry:
            return image
        name = str(entry.get("newName") or repo)
        if entry.get("digest"):
            return f"{name}@{entry['digest']}"
        if entry.get("newTag") is not None:
            return f"{name}:{entry['newTag']}"
        return name + split_image(image)[1]

    # ------------------------------------------------------------------ translation

    def edits(
        self, changes: list[FieldChange | NewObject | DropObject]
    ) -> tuple[list[Edit], list[str]]:
        """The concrete edits and one rationale sentence per change."""
        out: list[Edit] = []
        notes: list[str] = []
        pending: dict[tuple[str, str], dict[str, Any]] = {}
        resources_len = self._raw_len("resources")
        for ch in changes:
            doc = ch.owner if isinstance(ch, NewObject) else ch.doc
            if isinstance(ch, FieldChange) and ch.unchanged:
                if ch.note:
                    where = f"In {self.kust.name}: " if self.kust and not self.direct(doc) else ""
                    notes.append(where + (_lower(ch.note) + "." if where else ch.note))
                continue
            if self.direct(doc):
                out.append(_direct(ch))
                if ch.note:
                    notes.append(ch.note)
                continue
            assert self.kust is not None
            env = self.kust.name
            if isinstance(ch, FieldChange) and ch.image is not None:
                out.extend(self._image_edits(ch.image))
                notes.append(
                    f"In {env}: {_lower(ch.note)} (the images: entry in {self.kust.file})."
                )
            elif isinstance(ch, FieldChange):
                path, value = _as_patch(ch)
                patch = self.patch_of(doc, ch.path)
                if patch is not None:
                    out.append(SetField(patch.ref, path, value, file=patch.file))
                    where = patch.file
                else:
                    put_path(self._pending(pending, doc), path, value)
                    where = self._patch_file(doc)
                if ch.note:
                    notes.append(f"In {env}: {_lower(ch.note)} ({where}).")
            elif isinstance(ch, NewObject):
                name = ch.manifest["metadata"]["name"]
                fname = self._free(f"{name}-{_SHORT.get(ch.manifest['kind'], 'extra')}.yaml")
                out.append(AddResource(posixpath.join(self.kust.dir, fname), ch.manifest))
                out.append(
                    SetField(
                        KUSTOMIZATION_REF, f"resources[{resources_len}]", fname, file=self.kust.file
                    )
                )
                resources_len += 1
                notes.append(
                    f"In {env}: {_lower(ch.note)} ({posixpath.join(self.kust.dir, fname)})"
                )
            else:
                self._pending(pending, doc)["$patch"] = "delete"
                notes.append(f"In {env}: {_lower(ch.note)} (a $patch: delete patch).")
        for (kind, name), obj in pending.items():
            doc = next(d for d in self.ws.find(kind=kind, name=name) if not d.is_patch)
            fname = posixpath.basename(self._patch_file(doc))
            out.append(
                AddResource(posixpath.join(self.kust.dir if self.kust else "", fname), tidy(obj))
            )
            out.append(
                SetField(
                    KUSTOMIZATION_REF,
                    f"patches[path={fname}].path",
                    fname,
                    file=self.kust.file if self.kust else None,
                )
            )
        return out, notes

    def _pending(
        self, pending: dict[tuple[str, str], dict[str, Any]], doc: Document
    ) -> dict[str, Any]:
        key = (doc.ref.kind, doc.ref.name)
        if key not in pending:
            pending[key] = {
                "apiVersion": doc.ref.api_version,
                "kind": doc.ref.kind,
                "metadata": {"name": doc.ref.name},
            }
        return pending[key]

    def _patch_file(self, doc: Document) -> str:
        """The new patch file for ``doc`` (stable across calls within one plan)."""
        assert self.kust is not None
        for candidate in (
            f"{doc.ref.name}-patch.yaml",
            f"{doc.ref.name}-{doc.ref.kind.lower()}-patch.yaml",
        ):
            path = posixpath.join(self.kust.dir, candidate)
            if path in self._new_files or path not in self.ws.files:
                self._new_files.add(path)
                return path
        return posixpath.join(self.kust.dir, self._free(f"{doc.ref.name}-patch.yaml"))

    def _free(self, fname: str) -> str:
        assert self.kust is not None
        stem, ext = posixpath.splitext(fname)
        n = 1
        while posixpath.join(self.kust.dir, fname) in self.ws.files:
            n += 1
            fname = f"{stem}-{n}{ext}"
        return fname

    def _raw_len(self, key: str) -> int:
        if self.kust is None or self.kust.file not in self.ws.files:
            return 0
        docs = self.ws.files[self.kust.file].documents
        data = docs[0].data if docs else None
        value = data.get(key) if isinstance(data, dict) else None
        return len(value) if isinstance(value, list) else 0

    def _image_edits(self, image: tuple[str, str]) -> list[Edit]:
        assert self.kust is not None
        old, new = image
        repo = split_image(old)[0]
        new_repo, suffix = split_image(new)
        base = f"images[name={repo}]"
        edits: list[Edit] = []
        entry = self._image_entry(repo) or {}
        if new_repo != repo or entry.get("newName"):
            edits.append(
                SetField(KUSTOMIZATION_REF, f"{base}.newName", new_repo, file=self.kust.file)
            )
        if suffix.startswith("@"):
            edits.append(
                SetField(KUSTOMIZATION_REF, f"{base}.digest", suffix[1:], file=self.kust.file)
            )
            if "newTag" in entry:
                edits.append(RemoveField(KUSTOMIZATION_REF, f"{base}.newTag", file=self.kust.file))
        elif suffix:
            edits.append(
                SetField(KUSTOMIZATION_REF, f"{base}.newTag", suffix[1:], file=self.kust.file)
            )
            if "digest" in entry:
                edits.append(RemoveField(KUSTOMIZATION_REF, f"{base}.digest", file=self.kust.file))
        return edits


def _direct(ch: FieldChange | NewObject | DropObject) -> Edit:
    if isinstance(ch, NewObject):
        return AddResource(ch.owner.file, ch.manifest)
    if isinstance(ch, DropObject):
        return DeleteResource(ch.doc.ref, file=ch.doc.file)
    if ch.remove:
        return RemoveField(ch.doc.ref, ch.path, file=ch.doc.file)
    return SetField(ch.doc.ref, ch.path, ch.value, file=ch.doc.file)


def _sets(obj: Any, path: str) -> bool:
    """True when ``obj`` (a patch) holds ``path`` or a parent of it set to a plain value."""
    node = obj
    for seg in parse_path(path):
        if isinstance(seg, Match):
            items = node if isinstance(node, list) else []
            node = next(
                (i for i in items if isinstance(i, dict) and str(i.get(seg.key)) == seg.value),
                None,
            )
        elif isinstance(seg, int):
            node = node[seg] if isinstance(node, list) and -len(node) <= seg < len(node) else None
        else:
            node = node.get(seg) if isinstance(node, dict) else None
        if node is None:
            return False
    return True


def _as_patch(ch: FieldChange) -> tuple[str, Any]:
    """A strategic-merge patch can only add: removal is ``null`` or ``$patch: delete``."""
    if not ch.remove:
        return ch.path, ch.value
    if isinstance(parse_path(ch.path)[-1], Match):
        return f"{ch.path}.$patch", "delete"
    return ch.path, None


_VERBS = (
    "Set ",
    "Remove ",
    "Add ",
    "Replace ",
    "Create ",
    "Delete ",
    "Harden ",
    "Expose ",
    "Declare ",
)


def _lower(note: str) -> str:
    """Continue a sentence after "In prod: " (verbs lowercased, names kept as written)."""
    note = note.rstrip(".")
    return note[:1].lower() + note[1:] if note.startswith(_VERBS) else note
