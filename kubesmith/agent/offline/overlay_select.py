"""Which overlay renders a resource, when several share an environment name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubesmith.errors import ReferenceError_

if TYPE_CHECKING:
    from kubesmith.workspace import Document, Kustomization, Workspace


def overlay_for(ws: Workspace, doc: Document, candidates: list[Kustomization]) -> Kustomization:
    """The overlay among ``candidates`` (all named after one environment) that renders ``doc``.

    A repository with several applications has several ``overlays/prod``; the right one is the
    one whose bases (followed recursively) list the document's file.

    Raises:
        ReferenceError_: no candidate renders the document, or several do.
    """
    by_dir = {k.dir: k for k in ws.kustomizations}
    hits = []
    for k in candidates:
        seen: set[str] = set()
        todo = [k]
        files: set[str] = set()
        while todo:
            cur = todo.pop()
            if cur.dir in seen:
                continue
            seen.add(cur.dir)
            files.update(cur.resources)
            todo.extend(by_dir[b] for b in cur.bases if b in by_dir)
        if doc.file in files:
            hits.append(k)
    if len(hits) == 1:
        return hits[0]
    env = candidates[0].name
    if not hits:
        raise ReferenceError_(
            f"no {env!r} overlay renders {doc.ref} ({doc.file}); overlays named {env!r}: "
            + ", ".join(k.file for k in candidates),
            reference=env,
            candidates=[k.file for k in candidates],
        )
    raise ReferenceError_(
        f"several {env!r} overlays render {doc.ref}: {', '.join(k.file for k in hits)}; "
        f"edit one by naming its patch file",
        reference=env,
        candidates=[k.file for k in hits],
    )
