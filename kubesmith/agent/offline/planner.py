"""The OfflinePlanner: intents in a documented grammar → edits, deterministically, offline."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from kubesmith.agent.offline import build_objects as objects
from kubesmith.agent.offline import build_pod as pod
from kubesmith.agent.offline.changes import DropObject, FieldChange, NewObject, Plan, get_path
from kubesmith.agent.offline.grammar import ENV_ALIASES, NotUnderstood, parse_intent
from kubesmith.agent.offline.help import not_understood
from kubesmith.agent.offline.overlay import Destination
from kubesmith.agent.offline.overlay_select import overlay_for
from kubesmith.agent.offline.resolve import Resolver, describe
from kubesmith.agent.offline.specs import (
    Autoscale,
    Budget,
    Clause,
    Delete,
    EnvVar,
    Expose,
    FieldSet,
    Image,
    Meta,
    Probe,
    PullPolicy,
    Resources,
    Scale,
    Security,
    Spec,
)
from kubesmith.agent.planner import PlanContext
from kubesmith.errors import IntentNotUnderstood, ReferenceError_, UsageError
from kubesmith.kinds import KIND_ALIASES, SCALABLE_KINDS, SELECTOR_KINDS, WORKLOAD_KINDS
from kubesmith.model import ChangeSet, Edit, Finding

if TYPE_CHECKING:
    from kubesmith.workspace import Document, Kustomization, Workspace

_ACCEPT: dict[type, tuple[frozenset[str] | None, str]] = {
    Scale: (SCALABLE_KINDS, "scaling"),
    Image: (WORKLOAD_KINDS, "an image change"),
    Resources: (WORKLOAD_KINDS, "a resources change"),
    EnvVar: (WORKLOAD_KINDS, "an env var change"),
    PullPolicy: (WORKLOAD_KINDS, "an imagePullPolicy change"),
    Probe: (WORKLOAD_KINDS, "a probe change"),
    Security: (WORKLOAD_KINDS, "hardening"),
    Expose: (SELECTOR_KINDS, "exposing a port"),
    Autoscale: (SCALABLE_KINDS, "an autoscaler"),
    Budget: (SELECTOR_KINDS, "a disruption budget"),
    Meta: (None, "a label or annotation change"),
    Delete: (None, "deleting"),
    FieldSet: (None, "a field change"),
}


class OfflinePlanner:
    """Deterministic planner for the grammar in ``docs/intents.md``; no network, no tokens.

    It never writes files. Ambiguous or unknown references raise ``ReferenceError_`` (listing
    candidates); text outside the grammar raises ``IntentNotUnderstood`` (saying what it
    understands and how to configure the LLM planner). It cannot repair: given ``previous`` it
    returns it unchanged, which tells the loop to stop.
    """

    name = "offline"

    def plan(
        self,
        intent: str,
        workspace: Workspace,
        *,
        findings: Sequence[Finding] = (),
        previous: ChangeSet | None = None,
        context: PlanContext | None = None,
    ) -> ChangeSet:
        """Return the edits that carry out ``intent`` in ``workspace``."""
        del findings, context
        if previous is not None:
            return previous
        if not intent.strip():
            raise UsageError("the intent is empty; say what to change, e.g. 'scale checkout to 3'")
        overlays: dict[str, list[Kustomization]] = {}
        for k in workspace.kustomizations:
            if k.is_overlay:
                overlays.setdefault(k.name, []).append(k)
        intent = _overlay_paths(intent, workspace, overlays)
        try:
            clauses = parse_intent(intent, sorted(overlays), _names(workspace))
        except NotUnderstood as e:
            raise IntentNotUnderstood(not_understood(e.text, e.hint)) from e
        resolver = Resolver(workspace)
        destinations: dict[str | None, Destination] = {}
        per_dest: dict[str | None, list[FieldChange | NewObject | DropObject]] = {}
        questions: list[str] = []
        prev: tuple[list[Document], str | None] | None = None
        for each in clauses:
            carried: list[Document] = []
            for env in each.envs or (None,):
                clause = replace(each, envs=(env,) if env else ())
                targets, container = self._targets(clause, resolver, prev, overlays)
                carried.extend(d for d in targets if d not in carried)
                for doc in targets:
                    kust = None
                    if env in overlays:
                        kust = overlay_for(workspace, doc, overlays[env])
                    key = kust.file if kust else None
                    dest = destinations.setdefault(key, Destination(workspace, kust))
                    plan = self._build(clause.spec, doc, container, dest, workspace)
                    _refuse_out_of_range(plan.changes, clause.text)
                    plan.changes[:] = [_mark_unchanged(ch, dest) for ch in plan.changes]
                    dest.record(plan.changes)
                    per_dest.setdefault(key, []).extend(plan.changes)
                    questions.extend(q for q in plan.questions if q not in questions)
            prev = (carried, container)
        edits: list[Edit] = []
        notes: list[str] = []
        for key, changes in per_dest.items():
            more, why = destinations[key].edits(changes)
            edits.extend(more)
            notes.extend(why)
        return ChangeSet(
            intent=intent,
            edits=tuple(edits),
            rationale=" ".join(notes) or "Nothing to change: the request is already in place.",
            planner=self.name,
            questions=tuple(questions),
        )

    @staticmethod
    def _targets(
        clause: Clause,
        resolver: Resolver,
        prev: tuple[list[Document], str | None] | None,
        overlays: dict[str, list[Kustomization]],
    ) -> tuple[list[Document], str | None]:
        accept, what = _ACCEPT[type(clause.spec)]
        if not clause.subject and prev is not None:
            targets, container = prev
            if accept is not None:
                wrong = [d for d in targets if d.ref.kind not in accept]
                if wrong:
                    raise ReferenceError_(
                        f"{describe(wrong[0])} is a {wrong[0].ref.kind}; {what} applies to "
                        f"{', '.join(sorted(accept))}",
                        reference=str(wrong[0].ref),
                    )
            return targets, clause.container or container
        aliases = [b if a == clause.env else a for a, b in ENV_ALIASES if clause.env in (a, b)]
        plain_env = clause.env is not None and clause.env not in overlays
        if clause.env is not None and plain_env:
            _check_environment(resolver.ws, clause.env, aliases, overlays)
        targets = resolver.resolve(
            clause.subject,
            accept,
            namespace=clause.namespace,
            env=clause.env,
            env_aliases=aliases,
            prefer_workloads=isinstance(clause.spec, (Meta, FieldSet)),
            what=what,
        )
        if clause.env is not None and plain_env:
            words = {clause.env, *aliases}
            in_env = [d for d in targets if _in_environment(d, words)]
            if not in_env:
                _no_environment(clause.env, clause.subject, overlays)
            targets = in_env
        return targets, clause.container

    @staticmethod
    def _build(
        spec: Spec, doc: Document, container: str | None, dest: Destination, ws: Workspace
    ) -> Plan:
        view = dest.view
        env = dest.kust.name if dest.kust else None
        if isinstance(spec, Scale):
            return pod.build_scale(spec, doc, view)
        if isinstance(spec, Image):
            return pod.build_image(spec, doc, container, view)
        if isinstance(spec, Resources):
            return pod.build_resources(spec, doc, container, view)
        if isinstance(spec, EnvVar):
            return pod.build_env(spec, doc, container, view, ws)
        if isinstance(spec, PullPolicy):
            return pod.build_pull_policy(spec, doc, container)
        if isinstance(spec, Probe):
            return pod.build_probe(spec, doc, container, view)
        if isinstance(spec, Security):
            return pod.build_security(spec, doc, container, view)
        if isinstance(spec, Meta):
            return objects.build_meta(spec, doc, view)
        if isinstance(spec, Expose):
            return objects.build_expose(spec, doc, container, view, ws, env=env)
        if isinstance(spec, Autoscale):
            return objects.build_hpa(spec, doc, view, ws, env)
        if isinstance(spec, Budget):
            return objects.build_pdb(spec, doc, view, ws, env)
        if isinstance(spec, FieldSet):
            return objects.build_field(spec, doc, view)
        return objects.build_delete(doc)


def _in_environment(doc: Document, words: set[str]) -> bool:
    """In a plain repository an environment is a namespace or a folder name."""
    return doc.ref.namespace in words or bool(words & set(doc.file.split("/")[:-1]))


def _check_environment(
    ws: Workspace, env: str, aliases: list[str], overlays: dict[str, list[Kustomization]]
) -> None:
    words = {env, *aliases}
    if not any(_in_environment(d, words) for d in ws.resources):
        _no_environment(env, "", overlays)


def _no_environment(env: str, subject: str, overlays: dict[str, list[Kustomization]]) -> None:
    known = ", ".join(sorted(overlays)) or "none"
    what = f" for {subject!r}" if subject else ""
    raise ReferenceError_(
        f"there is no Kustomize overlay, folder or namespace named {env!r}{what} "
        f"(overlays: {known})",
        reference=env,
        candidates=sorted(overlays),
    )


def _mark_unchanged(
    ch: FieldChange | NewObject | DropObject, dest: Destination
) -> FieldChange | NewObject | DropObject:
    """Flag a field change whose value is already in place, so no edit (or patch) is made."""
    if not isinstance(ch, FieldChange) or ch.remove:
        return ch
    found, current = get_path(dest.view(ch.doc), ch.path)
    if not found or current != ch.value or type(current) is not type(ch.value):
        return ch
    note = ch.note if "already" in ch.note else f"{ch.doc.ref} already has {ch.path} = {current}."
    return replace(ch, unchanged=True, note=note)


_INT32_MAX = 2**31 - 1
_PATH_ENV = re.compile(r"\b(in|for|on|to)\s+((?:\.{1,2}/)*[\w.-]+(?:/[\w.-]+)+/?)(?=\s|$|[,;])")


def _overlay_paths(intent: str, ws: Workspace, overlays: dict[str, list[Kustomization]]) -> str:
    """An environment given as a folder ("in ../overlays/prod", "in apps/cart/overlays/prod")
    names that overlay: it becomes the overlay's name, and the only overlay of that name.

    Raises:
        ReferenceError_: no kustomization is in that folder.
    """

    def swap(m: re.Match[str]) -> str:
        raw = m.group(2)
        if raw.endswith((".yaml", ".yml", ".json")):
            return m.group(0)  # a file, not an environment
        folder = posixpath.normpath(raw).lstrip("./").strip("/")
        while folder.startswith("../"):
            folder = folder[3:]
        found = [k for k in ws.kustomizations if k.dir == folder or k.dir.endswith("/" + folder)]
        top = raw.lstrip("./").split("/", 1)[0] + "/"
        folder_like = raw.startswith(".") or raw.endswith("/") or raw.count("/") > 1
        folder_like = folder_like or any(f.startswith(top) for f in ws.files)
        if not found and not folder_like:
            return m.group(0)  # a kind/name reference ("svc/checkout"), not a folder
        if len(found) != 1:
            known = ", ".join(sorted(k.dir for k in ws.kustomizations if k.is_overlay)) or "none"
            what = "no kustomization" if not found else "several kustomizations"
            raise ReferenceError_(
                f"{what} in {raw!r} (overlays: {known})", reference=raw,
                candidates=[k.dir for k in found],
            )  # fmt: skip
        k = found[0]
        overlays[k.name] = [k]
        return f"{m.group(1)} {k.name}"

    return _PATH_ENV.sub(swap, intent)


def _refuse_out_of_range(changes: Sequence[object], clause: str) -> None:
    """Kubernetes integer fields (replicas, ports, counts) are int32: a larger value is refused
    here, with the clause, rather than left for the API server to reject."""
    for ch in changes:
        value = getattr(ch, "value", None)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _INT32_MAX:
            raise UsageError(
                f"{value} is out of range for {getattr(ch, 'path', 'the field')} in "
                f"{clause!r}: Kubernetes stores it as a 32-bit integer (at most {_INT32_MAX})"
            )


def _names(ws: Workspace) -> set[str]:
    """Words that name something in ``ws``: resource names, namespaces, kind words."""
    out = {w.lower() for w in KIND_ALIASES}
    for d in ws.resources:
        out.add(d.ref.name.lower())
        if d.ref.namespace:
            out.add(d.ref.namespace.lower())
    return out
