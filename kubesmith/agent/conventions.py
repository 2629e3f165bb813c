"""Mine reviewers' habits into candidate rules, each with the evidence it came from.

Two sources, both from the feedback store:

* **what reviewers said**: rejection reasons and review comments ("needs the owner label", "no
  images from docker.io", "memory limit must equal the request", "at least 2 replicas");
* **what reviewers did**: their follow-up edits, i.e. the diff between kubesmith's commit and what
  was merged (they add ``team: payments`` under ``labels``, set ``limits.memory`` to the request,
  swap ``docker.io/`` for their mirror, raise ``replicas``).

Words are read by :mod:`kubesmith.agent.reasons` (people's phrasing, typos, markdown, the
rejected change as context) or, when a model is configured, by
:mod:`kubesmith.agent.reasons_model`; edits by the diff reader below. Besides the fixed kinds, a
convention can be any predicate on a field path (``field_predicate``, see
:mod:`kubesmith.agent.predicates`); ``pdb_required`` asks for a PodDisruptionBudget.

A convention stated in words becomes a candidate at once (a human said so); one seen only in
edits needs ``min_edit_support`` proposals, so that one odd edit does not become a rule. Nothing
mined is enforced until a human approves it (``kubesmith rules approve``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesmith.agent import predicates
from kubesmith.agent.diffpaths import DiffLine, diff_lines, image_registry, image_tag
from kubesmith.agent.edit_conventions import observe_fields
from kubesmith.agent.predicates import params_of
from kubesmith.agent.reasons import ChangeContext, Stated, read_reason
from kubesmith.errors import ManifestError
from kubesmith.model import Change, Outcome
from kubesmith.reading import load_one
from kubesmith.store.records import Evidence, Rule

if TYPE_CHECKING:
    from kubesmith.store import Store

_IDENTITY = {
    "required_label": ("key",),
    "required_annotation": ("key",),
    "forbidden_registry": ("registry",),
    "field_predicate": ("on", "path", "op", "kinds"),
}
"""The params that make two observations the same rule; the others are refined by evidence."""


@dataclass(frozen=True)
class Observation:
    """One sighting of a convention in one proposal's review."""

    kind: str
    params: dict[str, Any]
    evidence: Evidence


# --------------------------------------------------------------------------- words

TextReader = Callable[[str, Sequence[ChangeContext]], list[Stated]]


def change_context(changes: Sequence[Change]) -> tuple[ChangeContext, ...]:
    """What a rejected change set, as context for reading the reason given for it."""
    return tuple(ChangeContext(c.ref.kind, c.path, c.new) for c in changes if c.ref and c.path)


def observe_text(
    proposal_id: str,
    text: str,
    source: str,
    changes: Sequence[ChangeContext] = (),
    reader: TextReader = read_reason,
) -> list[Observation]:
    """Conventions stated in a rejection reason or review comment.

    ``changes`` is what the rejected change set (a reason such as "too low" is about it);
    ``reader`` reads the words (the offline reader unless a model reader is given).
    """
    ev = Evidence(proposal_id, source, " ".join(text.split())[:300])  # type: ignore[arg-type]
    out = []
    for stated in reader(text, changes):
        params = dict(stated.params)
        if stated.kind == "field_predicate":
            params = params_of(**params)
        out.append(Observation(stated.kind, params, ev))
    return out


# --------------------------------------------------------------------------- edits


def observe_diff(proposal_id: str, diff: str) -> list[Observation]:
    """Conventions visible in a reviewer's follow-up edits (a unified diff of YAML)."""
    out: list[Observation] = []
    for hunk in diff_lines(diff):
        out.extend(_observe_hunk(proposal_id, hunk))
        for params, line in observe_fields(hunk):
            ev = Evidence(proposal_id, "follow_up", f"{line.file}: {line.sign}{line.text.strip()}")
            out.append(Observation("field_predicate", params, ev))
    return out


def _observe_hunk(pid: str, hunk: list[DiffLine]) -> Iterator[Observation]:
    def ev(line: DiffLine) -> Evidence:
        return Evidence(pid, "follow_up", f"{line.file}: {line.sign}{line.text.strip()}")

    removed = {ln.path: ln for ln in hunk if ln.sign == "-"}
    memory: dict[tuple[str, ...], dict[str, str | None]] = defaultdict(
        dict
    )  # container path -> {"requests": v, "limits": v} on the new side
    for ln in hunk:
        if ln.sign != "-" and len(ln.path) >= 3 and ln.path[-1] == "memory":
            memory[ln.path[:-2]][ln.path[-2]] = ln.value
    for ln in hunk:
        if ln.sign != "+" or ln.value is None:
            continue
        path = ln.path
        if path[-1:] in (("labels",), ("annotations",)) and path[-2:-1] in ((), ("metadata",)):
            yield from _flow_metadata(ln, removed.get(path), ev(ln))  # labels: {app: x, ...}
            continue
        # "metadata:" may lie outside a short diff context; a path cut at "labels:" still counts
        meta_parent = len(path) == 2 or (len(path) >= 3 and path[-3] == "metadata")
        if len(path) >= 2 and path[-2] in ("labels", "annotations") and meta_parent:
            kind = "required_label" if path[-2] == "labels" else "required_annotation"
            yield Observation(kind, {"key": path[-1], "value": ln.value}, ev(ln))
        elif len(path) >= 2 and path[-1] == "memory" and path[-2] in ("limits", "requests"):
            sides = memory.get(path[:-2], {})
            if sides.get("limits") is not None and sides.get("limits") == sides.get("requests"):
                yield Observation("memory_limit_equals_request", {}, ev(ln))
        elif path[-1:] == ("replicas",) and path[-2:-1] == ("spec",):
            old = removed.get(path)
            if old is not None and _int(ln.value) > _int(old.value):
                yield Observation("min_replicas", {"n": _int(ln.value)}, ev(ln))
        elif path[-1:] == ("image",):
            old = removed.get(path)
            if old is None or old.value is None:
                continue
            before, after = image_registry(old.value), image_registry(ln.value)
            if before != after:
                params = {"registry": before, "replacement": after}
                yield Observation("forbidden_registry", params, ev(ln))
            if image_tag(old.value) in ("latest", "") and image_tag(ln.value) not in ("latest", ""):
                yield Observation("no_latest_tag", {}, ev(ln))
        elif path[-1:] == ("imagePullPolicy",):
            yield Observation("image_pull_policy", {"policy": ln.value}, ev(ln))


def _flow_metadata(
    new: DiffLine, old: DiffLine | None, evidence: Evidence
) -> Iterator[Observation]:
    """Keys a reviewer added to a flow-style ``labels: {...}`` (or annotations) line."""

    def parse(line: DiffLine | None) -> dict[str, Any]:
        if line is None or not (line.value or "").startswith("{"):
            return {}
        try:
            data = load_one(line.value or "", line.file)  # bounded: the diff is outside input
        except ManifestError:
            return {}
        return {str(k): v for k, v in data.items()} if isinstance(data, dict) else {}

    before, after = parse(old), parse(new)
    kind = "required_label" if new.path[-1] == "labels" else "required_annotation"
    for key, value in after.items():
        if key not in before and value is not None:
            yield Observation(kind, {"key": key, "value": str(value)}, evidence)


def _int(value: str | None) -> int:
    try:
        return int(str(value).strip("'\""))
    except ValueError:
        return 0


# --------------------------------------------------------------------------- rules


def rule_id(kind: str, params: dict[str, Any]) -> str:
    """Stable id from the kind and its identity params (``r-`` + 8 hex digits)."""
    identity = {k: params.get(k) for k in _IDENTITY.get(kind, ())}
    raw = json.dumps([kind, identity], sort_keys=True)
    return "r-" + hashlib.sha256(raw.encode()).hexdigest()[:8]


def describe(kind: str, params: dict[str, Any]) -> str:
    """One sentence a reviewer (and a planner) reads."""
    if kind in ("required_label", "required_annotation"):
        what = kind.split("_")[1]
        value = params.get("value")
        shown = f"{params['key']}={value}" if value else str(params["key"])
        return f"Workloads and Services carry the {what} {shown}."
    if kind == "memory_limit_equals_request":
        return "Every container's memory limit equals its memory request."
    if kind == "forbidden_registry":
        instead = f" (use {params['replacement']})" if params.get("replacement") else ""
        return f"No container images from {params['registry']}{instead}."
    if kind == "min_replicas":
        return f"Deployments, StatefulSets and ReplicaSets run at least {params['n']} replicas."
    if kind == "no_latest_tag":
        return "Container images are pinned to a version, never ':latest' or untagged."
    if kind == "image_pull_policy":
        return f"Containers set imagePullPolicy: {params['policy']}."
    if kind == "pdb_required":
        return "Deployments and StatefulSets have a PodDisruptionBudget."
    if kind == "field_predicate":
        return predicates.describe(predicates.FieldPredicate.from_params(params))
    return f"{kind} {json.dumps(params, sort_keys=True)}"


def rules_from(observations: Iterable[Observation], min_edit_support: int = 2) -> list[Rule]:
    """Group observations into candidate rules, refining their params from the evidence."""
    groups: dict[str, list[Observation]] = defaultdict(list)
    for o in observations:
        groups[rule_id(o.kind, o.params)].append(o)
    rules = []
    for rid, obs in groups.items():
        kind = obs[0].kind
        evidence = tuple(dict.fromkeys(o.evidence for o in obs))
        stated = any(e.source != "follow_up" for e in evidence)
        if not stated and len({e.proposal_id for e in evidence}) < min_edit_support:
            continue
        params = _refine(kind, [o.params for o in obs])
        rules.append(Rule(rid, kind, params, describe(kind, params), "candidate", evidence))
    return sorted(rules, key=lambda r: (-r.support, r.id))


def _refine(kind: str, seen: list[dict[str, Any]]) -> dict[str, Any]:
    first = dict(seen[0])
    if kind in ("required_label", "required_annotation"):
        values = Counter(p["value"] for p in seen if p.get("value"))
        first["value"] = values.most_common(1)[0][0] if len(values) == 1 else None
    elif kind == "min_replicas":
        first["n"] = max(int(p["n"]) for p in seen)
    elif kind == "forbidden_registry":
        good = Counter(p["replacement"] for p in seen if p.get("replacement"))
        first["replacement"] = good.most_common(1)[0][0] if good else None
    elif kind == "image_pull_policy":
        first["policy"] = Counter(p["policy"] for p in seen).most_common(1)[0][0]
    elif kind == "field_predicate":
        values = Counter(json.dumps(p.get("value"), sort_keys=True) for p in seen)
        first["value"] = json.loads(values.most_common(1)[0][0])
        fixes = [p["fix"] for p in seen if p.get("fix") is not None]
        if fixes:
            first["fix"] = fixes[-1]
    return first


def observe_outcome(
    outcome: Outcome, changes: Sequence[Change] = (), reader: TextReader = read_reason
) -> list[Observation]:
    """Every observation one review outcome carries; ``changes`` is what the proposal changed."""
    pid = outcome.proposal_id
    context = change_context(changes)
    found: list[Observation] = []
    if outcome.reason:
        source = "rejection" if outcome.status == "rejected" else "comment"
        found += observe_text(pid, outcome.reason, source, context, reader)
    for c in outcome.comments:
        found += observe_text(pid, c.body, "comment", context, reader)
    if outcome.follow_up_diff:
        found += observe_diff(pid, outcome.follow_up_diff)
    return found


def mine(
    outcomes: Iterable[Outcome],
    min_edit_support: int = 2,
    changes: Callable[[str], Sequence[Change]] | None = None,
    reader: TextReader = read_reason,
) -> list[Rule]:
    """Candidate rules from review outcomes (pure: no store needed).

    Args:
        outcomes: review outcomes.
        min_edit_support: proposals a convention seen only in edits needs.
        changes: the changes of a proposal by id (context for reasons that name no field).
        reader: reads reasons and comments (offline by default; see ``reasons_model``).
    """
    found = (
        o
        for out in outcomes
        for o in observe_outcome(out, changes(out.proposal_id) if changes else (), reader)
    )
    return rules_from(found, min_edit_support)


def refresh_rules(
    store: Store, min_edit_support: int = 2, reader: TextReader | None = None
) -> list[Rule]:
    """Mine the store's outcomes, save new candidates and fresh evidence, return every rule.

    Decisions already taken (approved, rejected) are kept by the store whatever the evidence.
    ``reader`` reads the reviewers' words (default: the offline reader).
    """
    from kubesmith.errors import KubesmithError

    def changes(pid: str) -> Sequence[Change]:
        try:
            return store.get_proposal(pid).changes
        except KubesmithError:
            return ()

    store.save_rules(mine(store.outcomes(), min_edit_support, changes, reader or read_reason))
    return store.list_rules()
