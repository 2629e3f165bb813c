"""The repository as the model sees it: redacted text, chosen by relevance within a token budget.

A prompt that carried the whole repository would grow with it; this one carries the resources
the request names, their Kustomize patches and the Services, ConfigMaps and Secrets they use,
until a fixed budget is spent, plus a bounded index. The model can fetch anything else through
the read-only tools. Every text passes through the :class:`~kubesmith.agent.llm.safety.Redactor`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from kubesmith.agent.llm.safety import Redactor, delimit
from kubesmith.workspace import Document, Workspace

_WORD = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_STOP = frozenset(
    {
        "a", "an", "the", "to", "of", "in", "on", "for", "and", "or", "with", "by", "from", "at",
        "as", "is", "be", "it", "its", "this", "that", "all", "any", "set", "make", "add",
        "remove", "change", "use", "give", "please", "into", "onto",
    }
)  # fmt: skip
_SEPARATOR = re.compile(r"^---[ \t]*(#.*)?$", re.MULTILINE)
_EXPAND = 12
"""Only the best matches pull in their relations, so ranking stays linear in repository size."""
TRIM_NOTE = "[… trimmed by kubesmith: {n} more characters; ask for less or narrow the search]"


def estimate_tokens(text: str) -> int:
    """A provider-neutral token estimate (about four characters per token)."""
    return (len(text) + 3) // 4


def trim(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` with a note saying how much was left out."""
    if len(text) <= max_chars:
        return text
    return text[:max_chars] + "\n" + TRIM_NOTE.format(n=len(text) - max_chars)


@dataclass(frozen=True)
class Budget:
    """Sizes of what goes into the first prompt.

    Attributes:
        context_tokens: resource texts in the first prompt.
        index_lines: lines of the "other relevant resources" index.
        doc_chars: the longest single resource text shown (longer ones are trimmed).
        result_chars: the longest tool result returned to the model.
    """

    context_tokens: int = 4000
    index_lines: int = 30
    doc_chars: int = 6000
    result_chars: int = 12000


def words(text: str) -> set[str]:
    """Lower-case content words of ``text``, with the parts of hyphenated names."""
    out: set[str] = set()
    for found in _WORD.findall(text.lower()):
        w = found.rstrip(".")
        if w and w not in _STOP:
            out.add(w)
            out.update(p for p in re.split(r"[-_.]", w) if len(p) > 2 and p not in _STOP)
    return out


class RepoView:
    """Redacted, relevance-ranked access to a workspace's documents."""

    def __init__(self, ws: Workspace, redactor: Redactor, budget: Budget | None = None) -> None:
        self.ws = ws
        self.redactor = redactor
        self.budget = budget or Budget()
        for doc in ws.documents:
            redactor.collect(doc.obj)
        self.kustomizations: dict[str, dict[str, Any]] = {}
        for k in ws.kustomizations:
            yf = ws.files.get(k.file)
            data = yf.documents[0].data if yf is not None and yf.documents else None
            if isinstance(data, dict):
                redactor.collect(data)
                self.kustomizations[k.file] = data
        self._pieces: dict[str, tuple[list[str], list[int]]] = {}

    # ------------------------------------------------------------------ text

    def text(self, doc: Document) -> str:
        """The document as written (comments kept), secrets replaced by placeholders."""
        raw = self._raw(doc)
        if (
            raw is None
            or doc.ref.kind == "Secret"
            or doc.file in self.kustomizations
            or self.redactor.contains_short_secret(doc.obj)
        ):
            redacted = self.redactor.scan(doc.obj)
            return yaml.safe_dump(redacted, sort_keys=False, allow_unicode=True)
        return self.redactor.text(raw)

    def _raw(self, doc: Document) -> str | None:
        """The text between the ``---`` separators around the document's first line."""
        yf = self.ws.files.get(doc.file)
        if yf is None:
            return None
        if doc.file not in self._pieces:
            lines = yf.text.splitlines(keepends=True)
            seps = [n for n, line in enumerate(lines) if _SEPARATOR.match(line.rstrip("\r\n"))]
            self._pieces[doc.file] = (lines, seps)
        lines, seps = self._pieces[doc.file]
        at = doc.line - 1
        start = max((n + 1 for n in seps if n < at), default=0)
        end = min((n for n in seps if n >= at and n >= start), default=len(lines))
        text = "".join(lines[start:end]).strip("\n")
        return text + "\n" if text else None

    def file_text(self, path: str) -> str:
        """A whole manifest or kustomization file, redacted (kustomizations re-rendered)."""
        if path in self.kustomizations:
            return yaml.safe_dump(
                self.redactor.scan(self.kustomizations[path]), sort_keys=False, allow_unicode=True
            )
        return self.redactor.text(self.ws.files[path].text)

    def describe(self, doc: Document) -> str:
        """One index line: identity, file, and whether it is an overlay's patch."""
        ns = f" namespace={doc.ref.namespace}" if doc.ref.namespace else ""
        patch = f" (patch, overlay {doc.overlay or '?'})" if doc.is_patch else ""
        return f"{doc.ref.kind} {doc.ref.name}{ns} file={doc.file}{patch}"

    def summary(self) -> str:
        """How big the repository is, by kind (bounded by the number of kinds, not resources)."""
        kinds = Counter(d.ref.kind for d in self.ws.resources)
        top = ", ".join(f"{k} {n}" for k, n in kinds.most_common(12))
        more = f", {len(kinds) - 12} more kinds" if len(kinds) > 12 else ""
        files = len({d.file for d in self.ws.documents})
        return f"{len(self.ws.resources)} resources in {files} files ({top}{more})"

    # ------------------------------------------------------------------ relevance

    def rank(self, request: str) -> list[tuple[float, Document]]:
        """Documents scored by how strongly ``request`` refers to them, best first."""
        want = words(request)
        scored: dict[int, tuple[float, Document]] = {}
        for doc in self.ws.documents:
            score = self._score(doc, want)
            if score > 0:
                scored[id(doc)] = (score, doc)
        top = sorted(scored.values(), key=lambda p: -p[0])[:_EXPAND]
        for score, doc in top:
            for rel in self._related(doc):
                if id(rel) not in scored or scored[id(rel)][0] < score * 0.5:
                    scored[id(rel)] = (score * 0.5, rel)
        return sorted(scored.values(), key=lambda p: (-p[0], p[1].file, p[1].index))

    def _score(self, doc: Document, want: set[str]) -> float:
        name = doc.ref.name.lower()
        score = 0.0
        if name in want:
            score += 10
        score += 3 * sum(1 for part in re.split(r"[-_.]", name) if part in want)
        kind = doc.ref.kind.lower()
        if kind in want or kind + "s" in want:
            score += 2
        score += sum(2 for v in doc.labels.values() if v.lower() in want)
        if doc.overlay and doc.overlay.lower() in want and score > 0:
            score += 3
        if score == 0 and any(p in want for p in doc.file.lower().replace(".", "/").split("/")):
            score += 1
        return score

    def _related(self, doc: Document) -> Iterable[Document]:
        """Patches of the same resource, and what a workload refers to or is selected by."""
        for other in self.ws.find(kind=doc.ref.kind, name=doc.ref.name, patches=True):
            if other is not doc:
                yield other
        spec = doc.obj.get("spec")
        template = spec.get("template") if isinstance(spec, dict) else None
        if not isinstance(template, dict):
            return
        names = set(_referenced_names(template))
        for kind in ("ConfigMap", "Secret"):
            for other in self.ws.find(kind=kind):
                if other.ref.name in names:
                    yield other
        meta = template.get("metadata")
        pod_labels = meta.get("labels") if isinstance(meta, dict) else None
        if isinstance(pod_labels, dict):
            for svc in self.ws.find(kind="Service"):
                sel = (svc.obj.get("spec") or {}).get("selector")
                if (
                    isinstance(sel, dict)
                    and sel
                    and all(pod_labels.get(k) == v for k, v in sel.items())
                ):
                    yield svc

    def context(self, request: str) -> str:
        """The first prompt's repository section: relevant texts, then a bounded index."""
        ranked = self.rank(request)
        spent = 0
        shown: list[str] = []
        rest: list[Document] = []
        for _, doc in ranked:
            text = trim(self.text(doc), self.budget.doc_chars)
            cost = estimate_tokens(text)
            if spent + cost <= self.budget.context_tokens:
                shown.append(delimit(text, f"{doc.file} ({doc.ref.kind} {doc.ref.name})"))
                spent += cost
            else:
                rest.append(doc)
        if not ranked:
            rest = self.ws.resources
        parts = shown or ["(no resource matched the words of the request)"]
        if rest:
            lines = [self.describe(d) for d in rest[: self.budget.index_lines]]
            more = len(rest) - len(lines)
            if more > 0:
                lines.append(f"… {more} more; use list_resources or search")
            parts.append("Other resources you may need:\n" + delimit("\n".join(lines), "index"))
        return "\n\n".join(parts)


def _referenced_names(template: dict[str, Any]) -> Iterable[str]:
    """Names of ConfigMaps and Secrets a pod template uses (env, envFrom, volumes)."""
    stack: list[Any] = [template]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in (
                "configMapKeyRef",
                "secretKeyRef",
                "configMapRef",
                "secretRef",
                "configMap",
            ):
                ref = node.get(key)
                if isinstance(ref, dict) and isinstance(ref.get("name"), str):
                    yield ref["name"]
            secret = node.get("secret")
            if isinstance(secret, dict) and isinstance(secret.get("secretName"), str):
                yield secret["secretName"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
