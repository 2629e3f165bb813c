"""From the words naming a target to the documents they mean, using the workspace's index.

A subject may be a name ("checkout", "checkout's"), a kind and a name ("the checkout deployment",
"deployment/checkout"), a file ("base/checkout.yaml"), a label ("tier=backend deployments") or a
label value ("all backend deployments"), or several names ("checkout and cart"). Names are looked
up in the workspace's name index, so resolving costs the same on ten resources or ten thousand;
only label-value subjects scan the resources.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kubesmith.errors import ReferenceError_
from kubesmith.kinds import (
    GENERIC_WORKLOAD_WORDS,
    KIND_ALIASES,
    PLURAL_KIND_WORDS,
    WORKLOAD_KINDS,
    pod_spec_path,
)

if TYPE_CHECKING:
    from kubesmith.workspace import Document, Workspace

_MULTI_WORDS = re.compile(
    r"\b(?:cron\s+jobs?|stateful\s*sets?|daemon\s*sets?|config\s*maps?|replica\s*sets?"
    r"|pod\s+disruption\s+budgets?|horizontal\s+pod\s+autoscalers?)\b",
    re.IGNORECASE,
)
_ALL = frozenset({"all", "every", "each", "any"})


def describe(doc: Document) -> str:
    """How a candidate is shown to a person: ``Deployment/checkout (base/checkout.yaml)``."""
    return f"{doc.ref} ({doc.file})"


def _kind_word(match: re.Match[str]) -> str:
    return re.sub(r"\s+", "", match.group(0)).lower()


class Resolver:
    """Resolves subjects against one workspace; environment names come from its overlays."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._names: list[str] | None = None
        self.kind_words = {**_repository_kinds(ws), **KIND_ALIASES}
        """Kind words: the built-in ones, and every kind the repository holds or defines (a
        CRD's kind, plural, singular and short names), so ``widget/gizmo`` names a custom
        resource."""

    def all_names(self) -> list[str]:
        """Every resource name (computed once, only when an error needs suggestions)."""
        if self._names is None:
            self._names = sorted({d.ref.name for d in self.ws.resources})
        return self._names

    def resolve(
        self,
        subject: str,
        accept: frozenset[str] | None,
        *,
        namespace: str | None = None,
        env: str | None = None,
        env_aliases: Iterable[str] = (),
        prefer_workloads: bool = False,
        what: str = "this change",
    ) -> list[Document]:
        """The full resources ``subject`` names (several only when asked for: "all", plurals).

        Args:
            subject: the words naming the target.
            accept: kinds the change applies to (``None`` for any kind).
            namespace: only resources in this namespace.
            env: the environment the change is for; resources of other overlays are left out.
            env_aliases: words naming that environment in paths/namespaces of plain repositories.
            prefer_workloads: when a name matches a workload and other kinds, keep the workload.
            what: the change, for error messages.

        Raises:
            ReferenceError_: nothing matches, several things match a singular reference, or the
                match is of a kind the change does not apply to.
        """
        text = _MULTI_WORDS.sub(_kind_word, subject)
        tokens = [t for t in re.split(r"\s+", text.strip()) if t]
        plural = False
        kinds: set[str] = set()
        files: list[str] = []
        labels: dict[str, str] = {}
        names: list[str] = []
        for tok in tokens:
            low = tok.lower()
            if low in _ALL:
                plural = True
            elif low in self.kind_words:
                kinds.add(self.kind_words[low])
                plural = plural or low in PLURAL_KIND_WORDS
            elif low in GENERIC_WORKLOAD_WORDS:
                kinds.update(WORKLOAD_KINDS)
                plural = plural or low in PLURAL_KIND_WORDS
            elif low.endswith((".yaml", ".yml")):
                files.append(tok)
            elif "/" in tok and tok.split("/", 1)[0].lower() in self.kind_words:
                kind, name = tok.split("/", 1)
                kinds.add(self.kind_words[kind.lower()])
                names.append(name)
            elif "=" in tok:
                key, _, value = tok.partition("=")
                labels[key] = value
            else:
                names.append(tok)
        docs: list[Document] = []
        unmatched: list[str] = []
        groups: list[tuple[str, list[Document]]] = []
        i = 0
        while i < len(names):
            found, used = self._by_name(names, i, namespace)
            if found:
                groups.append((" ".join(names[i : i + used]), found))
                i += used
            else:
                unmatched.append(names[i])
                i += 1
        for path in files:
            groups.append((path, self._by_file(path)))
        if labels:
            pool = [d for g in groups for d in g[1]] if groups else self._scan(namespace)
            matched = [d for d in pool if all(d.labels.get(k) == v for k, v in labels.items())]
            groups = [(subject, matched)]
            plural = plural or not names
        if not groups and unmatched:
            by_value = [
                d for d in self._scan(namespace) if set(unmatched) <= set(d.labels.values())
            ]
            if by_value:
                groups = [(" ".join(unmatched), by_value)]
                plural = True
                unmatched = []
        if not groups and kinds and not unmatched and plural:
            groups = [
                (subject, [d for k in kinds for d in self.ws.find(kind=k, namespace=namespace)])
            ]
        if not groups:
            self._no_match(subject, unmatched, what)
        for word in unmatched:
            close = difflib.get_close_matches(word.lower(), self.all_names(), n=3, cutoff=0.8)
            if close:
                raise ReferenceError_(
                    f"no resource is named {word!r}; did you mean {' or '.join(close)}?",
                    reference=word,
                    candidates=close,
                )
        for label, group in groups:
            picked = self._narrow(
                group,
                kinds=kinds,
                accept=accept,
                env=env,
                env_aliases=env_aliases,
                prefer_workloads=prefer_workloads,
            )
            if not picked:
                self._wrong_kind(label, group, kinds, accept, what)
            if len(picked) > 1 and not plural:
                raise ReferenceError_(
                    f"{label!r} matches {len(picked)} resources; say which one (a kind, a file "
                    f"or a namespace): " + ", ".join(describe(d) for d in picked),
                    reference=label,
                    candidates=[describe(d) for d in picked],
                )
            docs.extend(d for d in picked if d not in docs)
        return docs

    # ------------------------------------------------------------------ lookups

    def _by_name(
        self, names: list[str], i: int, namespace: str | None
    ) -> tuple[list[Document], int]:
        """Documents named ``names[i]`` (or ``names[i]-names[i+1]``, e.g. "cart cleanup")."""
        for used in (2, 1):
            if i + used > len(names):
                continue
            name = "-".join(n.lower() for n in names[i : i + used])
            found = self.ws.find(name=name, namespace=namespace)
            if found:
                return found, used
        return [], 1

    def _by_file(self, path: str) -> list[Document]:
        norm = posixpath.normpath(path).lstrip("/")
        found = [d for d in self.ws.resources if d.file == norm]
        if not found:
            found = [d for d in self.ws.resources if d.file.endswith("/" + norm)]
        if not found:
            raise ReferenceError_(f"no manifest file {path!r} in the repository", reference=path)
        return found

    def _scan(self, namespace: str | None) -> list[Document]:
        return [
            d
            for d in self.ws.resources
            if namespace is None or d.ref.namespace in (namespace, None)
        ]

    def _narrow(
        self,
        group: list[Document],
        *,
        kinds: set[str],
        accept: frozenset[str] | None,
        env: str | None,
        env_aliases: Iterable[str],
        prefer_workloads: bool,
    ) -> list[Document]:
        picked = [d for d in group if not d.is_patch]
        if kinds:
            picked = [d for d in picked if d.ref.kind in kinds]
        if accept is not None:
            picked = [d for d in picked if d.ref.kind in accept]
        elif prefer_workloads and not kinds and any(d.ref.kind in WORKLOAD_KINDS for d in picked):
            picked = [d for d in picked if d.ref.kind in WORKLOAD_KINDS]
        if env is not None:
            picked = [d for d in picked if d.overlay in (None, env)]
        if len(picked) > 1 and env is not None:
            words = {w.lower() for w in env_aliases} | {env.lower()}
            in_env = [
                d
                for d in picked
                if (d.ref.namespace or "").lower() in words
                or words & {p.lower() for p in d.file.split("/")[:-1]}
            ]
            picked = in_env or picked
        return picked

    # ------------------------------------------------------------------ errors

    def _no_match(self, subject: str, unmatched: list[str], what: str) -> None:
        if not subject.strip():
            raise ReferenceError_(f"say which resource {what} is for, e.g. 'checkout'")
        close: list[str] = []
        for word in unmatched or [subject]:
            close += difflib.get_close_matches(word.lower(), self.all_names(), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(dict.fromkeys(close))}?" if close else ""
        if not close and self.all_names():  # nothing near: show what there is to name
            names = self.all_names()
            more = f" and {len(names) - 12} more" if len(names) > 12 else ""
            hint = f"; the resources here are {', '.join(names[:12])}{more}"
        elif not close:
            hint = "; the repository has no Kubernetes resources (are the manifests committed?)"
        raise ReferenceError_(
            f"no resource matches {subject!r}{hint}", reference=subject, candidates=close
        )

    def _wrong_kind(
        self,
        label: str,
        group: list[Document],
        kinds: set[str],
        accept: frozenset[str] | None,
        what: str,
    ) -> None:
        full = [d for d in group if not d.is_patch and (not kinds or d.ref.kind in kinds)]
        found = ", ".join(describe(d) for d in full) or "nothing"
        wanted = sorted(accept) if accept is not None else sorted(kinds)
        raise ReferenceError_(
            f"{label!r} matches {found}, but {what} applies to {', '.join(wanted)}",
            reference=label,
            candidates=[describe(d) for d in full],
        )


# --------------------------------------------------------------------------- containers


def containers_of(obj: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The (regular) containers of a workload object."""
    node: Any = obj
    for key in pod_spec_path(kind).split("."):
        node = node.get(key) if isinstance(node, dict) else None
    items = node.get("containers") if isinstance(node, dict) else None
    return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []


def pick_containers(doc: Document, wanted: str | None, many_ok: bool = False) -> list[str]:
    """Names of the containers a change applies to.

    ``wanted`` is a container named in the intent, ``"*"`` for all of them, or ``None``: then the
    only container, or all containers when ``many_ok`` (hardening), else an ambiguity error.

    Raises:
        ReferenceError_: the container does not exist, or the workload has several and the intent
            named none.
    """
    names = [str(c.get("name", "")) for c in containers_of(doc.obj, doc.ref.kind)]
    if not names:
        raise ReferenceError_(f"{describe(doc)} has no containers", reference=str(doc.ref))
    if wanted == "*" or (wanted is None and (len(names) == 1 or many_ok)):
        return names
    if wanted is None:
        raise ReferenceError_(
            f"{describe(doc)} has {len(names)} containers ({', '.join(names)}); say which one, "
            f"e.g. 'container {names[0]} in {doc.ref.name}'",
            reference=str(doc.ref),
            candidates=names,
        )
    if wanted not in names:
        raise ReferenceError_(
            f"{describe(doc)} has no container {wanted!r} (it has {', '.join(names)})",
            reference=wanted,
            candidates=names,
        )
    return [wanted]


def _repository_kinds(ws: Workspace) -> dict[str, str]:
    """Words for the kinds in ``ws``: each kind lowercased and plural, and what its CRD calls it."""
    out: dict[str, str] = {}
    for d in ws.resources:
        kind = d.ref.kind
        out.setdefault(kind.lower(), kind)
        out.setdefault(kind.lower() + "s", kind)
        if kind == "CustomResourceDefinition":
            names = (d.obj.get("spec") or {}).get("names") or {}
            crd_kind = names.get("kind")
            if isinstance(crd_kind, str) and crd_kind:
                words = [
                    names.get("plural"),
                    names.get("singular"),
                    *(names.get("shortNames") or []),
                ]
                for w in [crd_kind, *words]:
                    if isinstance(w, str) and w:
                        out.setdefault(w.lower(), crd_kind)
    return out
