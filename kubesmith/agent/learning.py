"""Learning that changes what kubesmith proposes: rejected changes, past cases, approved rules.

Three hooks for the agent loop and both planners:

* :func:`check_not_rejected` before a change becomes a proposal: a change whose fingerprint a
  reviewer rejected is refused (unless forced) with the proposal and the reason;
* :func:`plan_context` before planning: similar past intents with their outcomes, and the approved
  conventions as sentences, for the LLM planner's prompt;
* :func:`apply_rules` after planning: the edits approved conventions require on every resource
  the change touches or adds (both planners call it, so the offline planner learns too).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kubesmith.agent.diffpaths import image_registry, replace_registry
from kubesmith.agent.planner import PlanContext
from kubesmith.agent.predicates import FieldPredicate, companion_pdb, repair, violations
from kubesmith.errors import KubesmithError, UsageError
from kubesmith.kinds import SCALABLE_KINDS, pod_spec_keys
from kubesmith.model import (
    AddResource,
    Change,
    ChangeSet,
    DeleteResource,
    Edit,
    Match,
    MergePatch,
    PathSegment,
    RemoveField,
    ResourceRef,
    SetField,
    format_path,
    parse_path,
)
from kubesmith.store.fingerprint import fingerprint
from kubesmith.store.records import Rule, SimilarCase

if TYPE_CHECKING:
    from kubesmith.model import Outcome
    from kubesmith.store import Store
    from kubesmith.workspace import Workspace

Path_ = tuple[PathSegment, ...]

LABELLED_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "Service"}
)


class PreviouslyRejected(UsageError):
    """The change was proposed before and a reviewer rejected it; pass ``force`` to insist.

    Attributes:
        outcome: the standing rejection (``proposal_id``, ``reason``, ``pr``).
        fingerprint: the change's fingerprint.
    """

    def __init__(self, message: str, outcome: Outcome, fingerprint: str) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.fingerprint = fingerprint


# --------------------------------------------------------------------------- rejected changes


def check_not_rejected(
    store: Store, changes: ChangeSet | Sequence[Change] | Sequence[Edit], *, force: bool = False
) -> str:
    """Refuse a change a reviewer already rejected; return its fingerprint otherwise.

    Raises:
        PreviouslyRejected: when the same change (same resources, fields and values) was
            rejected and no later proposal of it was accepted, unless ``force``.
    """
    fp = fingerprint(changes)
    outcome = store.rejected_fingerprint(fp)
    if outcome is None or force:
        return fp
    try:
        intent = store.get_proposal(outcome.proposal_id).intent
    except KubesmithError:
        intent = ""
    said = f" ({intent!r})" if intent else ""
    why = f": {outcome.reason}" if outcome.reason else " (no reason given)"
    raise PreviouslyRejected(
        f"this exact change was proposed before as {outcome.proposal_id}{said} and pull request "
        f"{outcome.pr.forge}:{outcome.pr.id} was rejected{why}. Change the intent, or force it "
        "(--force) to propose it anyway.",
        outcome,
        fp,
    )


def open_twin(store: Store, fp: str, base: str) -> str | None:
    """The id of an open pull request into ``base`` that makes the same change (fingerprint
    ``fp``), so a second identical proposal can point at it."""
    for record in store.list_pull_requests(status="open"):
        if record.base != base:
            continue
        try:
            if store.get_proposal(record.proposal_id).fingerprint == fp:
                return record.pr.id
        except KubesmithError:
            continue
    return None


# --------------------------------------------------------------------------- planner context


def format_case(case: SimilarCase) -> str:
    """One past case as a line of planner context."""
    verdict = {"none": "not reviewed yet"}.get(case.status, case.status)
    why = f" because {case.reason!r}" if case.reason else ""
    said = f"; reviewers said: {' / '.join(case.comments)}" if case.comments else ""
    return f"Past intent {case.intent!r} was {verdict}{why}{said}."


def plan_context(store: Store, intent: str, k: int = 5) -> PlanContext:
    """Similar past cases and approved conventions, for the planner."""
    cases = tuple(format_case(c) for c in store.similar(intent, k=k))
    rules = tuple(r.description for r in store.list_rules(status="approved"))
    return PlanContext(examples=cases, rules=rules)


# --------------------------------------------------------------------------- applying rules


def apply_rules(changeset: ChangeSet, workspace: Workspace, rules: Sequence[Rule]) -> ChangeSet:
    """``changeset`` plus the edits approved ``rules`` require on what it touches.

    Only resources the change already edits or adds are examined, so the diff stays about the
    intent. A value the change sets explicitly is never overridden (a conflicting rule is noted
    in the rationale and left to the generated policy to report), except that a memory limit the
    intent sets pulls the request along when limits must equal requests.
    """
    approved = [r for r in rules if r.status == "approved"]
    if not approved or not changeset.edits:
        return changeset
    edits: list[Edit] = []
    notes: list[str] = []
    for e in changeset.edits:
        if isinstance(e, AddResource):
            manifest = copy.deepcopy(e.manifest)
            fixes, conflicts = _fixes(manifest, approved, set())
            for path, value in fixes:
                _set(manifest, path, value)
            notes += _notes(e.ref, fixes, conflicts)
            edits.append(replace(e, manifest=manifest) if fixes else e)
        else:
            edits.append(e)
    deleted = {e.ref for e in changeset.edits if isinstance(e, DeleteResource)}
    for ref, file in _touched(changeset.edits):
        if ref in deleted:
            continue
        try:
            doc = workspace.get(ref, file)
        except KubesmithError:
            continue
        mine = [e for e in changeset.edits if _targets(e, ref, file)]
        state = copy.deepcopy(doc.obj)
        for e in mine:
            _simulate(state, e)
        explicit = {named_path(state, parse_path(e.path)) for e in mine if isinstance(e, SetField)}
        fixes, conflicts = _fixes(state, approved, explicit)
        edits += [SetField(ref, format_path(p), v, file=file) for p, v in fixes]
        notes += _notes(ref, fixes, conflicts)
        if any(r.kind == "pdb_required" for r in approved):
            pdb = companion_pdb(doc, state, workspace, edits)
            if pdb is not None:
                edits.append(pdb)
                notes.append(f"Team convention on {ref}: add PodDisruptionBudget {pdb.ref.name}.")
    if len(edits) == len(changeset.edits) and not notes:
        return changeset
    rationale = "\n".join(filter(None, [changeset.rationale, *notes]))
    return replace(changeset, edits=tuple(edits), rationale=rationale)


def _touched(edits: Sequence[Edit]) -> list[tuple[ResourceRef, str | None]]:
    seen: dict[tuple[ResourceRef, str | None], None] = {}
    for e in edits:
        if isinstance(e, SetField | RemoveField | MergePatch):
            seen[(e.ref, e.file)] = None
    return list(seen)


def _targets(e: Edit, ref: ResourceRef, file: str | None) -> bool:
    return isinstance(e, SetField | RemoveField | MergePatch) and (e.ref, e.file) == (ref, file)


def _notes(ref: ResourceRef, fixes: list[tuple[Path_, Any]], conflicts: list[str]) -> list[str]:
    out = [f"Team convention on {ref}: set {format_path(p)} to {v!r}." for p, v in fixes]
    return out + [f"Team convention on {ref} not applied: {c}" for c in conflicts]


# --------------------------------------------------------------------------- rule checks


def _pod_spec_path(kind: str) -> Path_ | None:
    return pod_spec_keys(kind)


def _containers(obj: dict[str, Any]) -> list[tuple[Path_, dict[str, Any]]]:
    base = _pod_spec_path(str(obj.get("kind", "")))
    if base is None:
        return []
    spec = _get(obj, base)
    if not isinstance(spec, dict):
        return []
    out = []
    for field in ("containers", "initContainers"):
        for i, c in enumerate(spec.get(field) or []):
            if isinstance(c, dict):
                seg: PathSegment = Match("name", str(c["name"])) if c.get("name") else i
                out.append(((*base, field, seg), c))
    return out


def _fixes(
    obj: dict[str, Any], rules: list[Rule], explicit: set[Path_]
) -> tuple[list[tuple[Path_, Any]], list[str]]:
    """The (path, value) edits ``obj`` needs to satisfy ``rules``, and the conflicts left."""
    kind = str(obj.get("kind", ""))
    fixes: list[tuple[Path_, Any]] = []
    conflicts: list[str] = []
    for rule in rules:
        p = rule.params
        if rule.kind in ("required_label", "required_annotation") and kind in LABELLED_KINDS:
            field = "labels" if rule.kind == "required_label" else "annotations"
            meta = _get(obj, ("metadata", field))
            if p.get("value") and not (isinstance(meta, dict) and str(p["key"]) in meta):
                fixes.append((("metadata", field, str(p["key"])), str(p["value"])))
        elif rule.kind == "memory_limit_equals_request":
            for base, c in _containers(obj):
                req = _get(c, ("resources", "requests", "memory"))
                lim = _get(c, ("resources", "limits", "memory"))
                if lim is not None and (*base, "resources", "limits", "memory") in explicit:
                    if req != lim:
                        fixes.append(((*base, "resources", "requests", "memory"), lim))
                elif req is not None and lim != req:
                    fixes.append(((*base, "resources", "limits", "memory"), req))
        elif rule.kind == "forbidden_registry" and p.get("replacement"):
            for base, c in _containers(obj):
                image = c.get("image")
                if isinstance(image, str) and image_registry(image) == p["registry"]:
                    fixes.append(((*base, "image"), replace_registry(image, p["replacement"])))
        elif rule.kind == "min_replicas" and kind in SCALABLE_KINDS:
            replicas = _get(obj, ("spec", "replicas"))
            current = replicas if isinstance(replicas, int) else 1
            if current < int(p["n"]):
                if ("spec", "replicas") in explicit:
                    conflicts.append(f"{rule.description} (the intent asks for {current})")
                else:
                    fixes.append((("spec", "replicas"), int(p["n"])))
        elif rule.kind == "image_pull_policy":
            for base, c in _containers(obj):
                path = (*base, "imagePullPolicy")
                if c.get("imagePullPolicy") != p["policy"] and path not in explicit:
                    fixes.append((path, p["policy"]))
        elif rule.kind == "field_predicate":
            pred = FieldPredicate.from_params(p)
            for at, _present, value in violations(pred, obj):
                path = named_path(obj, at)
                new = repair(pred, obj, at, value)
                if new is None or path in explicit:
                    why = "the change sets it" if path in explicit else "a person must choose"
                    conflicts.append(f"{rule.description} ({format_path(path)}: {why})")
                else:
                    fixes.append((path, new))
    return fixes, conflicts


# --------------------------------------------------------------------------- tiny path engine


def _get(obj: Any, path: Path_) -> Any:
    node = obj
    for seg in path:
        if isinstance(seg, Match):
            if not isinstance(node, list):
                return None
            node = next(
                (i for i in node if isinstance(i, dict) and str(i.get(seg.key)) == seg.value), None
            )
        elif isinstance(seg, int):
            node = node[seg] if isinstance(node, list) and -len(node) <= seg < len(node) else None
        else:
            node = node.get(seg) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def _set(obj: dict[str, Any], path: Path_, value: Any) -> None:
    node: Any = obj
    for seg, nxt in zip(path, (*path[1:], None), strict=True):
        last = nxt is None
        empty: Any = [] if isinstance(nxt, int | Match) else {}
        if isinstance(seg, Match):
            item = next(
                (i for i in node if isinstance(i, dict) and str(i.get(seg.key)) == seg.value), None
            )
            if item is None:
                item = {seg.key: seg.value}
                node.append(item)
            node = item
        elif isinstance(seg, int):
            node = node[seg]
        elif last:
            node[seg] = value
            return
        else:
            if not isinstance(node.get(seg), dict | list):
                node[seg] = empty
            node = node[seg]
    # a path ending in a list selector replaces that item
    if isinstance(value, dict) and isinstance(node, dict):
        node.clear()
        node.update(value)


def _simulate(obj: dict[str, Any], e: Edit) -> None:
    try:
        if isinstance(e, SetField):
            _set(obj, parse_path(e.path), copy.deepcopy(e.value))
        elif isinstance(e, RemoveField):
            path = parse_path(e.path)
            parent = _get(obj, path[:-1])
            if isinstance(parent, dict) and isinstance(path[-1], str):
                parent.pop(path[-1], None)
        elif isinstance(e, MergePatch):
            _merge(obj, e.patch)
    except (KubesmithError, TypeError, IndexError, AttributeError):
        return  # the workspace reports bad edits; rules judge what can be simulated


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        elif isinstance(v, dict) and isinstance(target.get(k), dict):
            _merge(target[k], v)
        else:
            target[k] = copy.deepcopy(v)


def named_path(obj: dict[str, Any], path: Path_) -> Path_:
    """Index segments into named lists become ``[name=...]`` so paths compare across styles."""
    out: list[PathSegment] = []
    node: Any = obj
    for seg in path:
        if isinstance(seg, int) and isinstance(node, list) and -len(node) <= seg < len(node):
            item = node[seg]
            out.append(
                Match("name", str(item["name"]))
                if isinstance(item, dict) and item.get("name")
                else seg
            )
            node = item
            continue
        out.append(seg)
        node = _get(node, (seg,)) if node is not None else None
    return tuple(out)
