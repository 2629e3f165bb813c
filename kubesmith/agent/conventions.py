"""Mine reviewers' habits into candidate rules, each with the evidence it came from.

Two sources, both from the feedback store:

* **what reviewers said**: rejection reasons and review comments ("needs the owner label", "no
  images from docker.io", "memory limit must equal the request", "at least 2 replicas");
* **what reviewers did**: their follow-up edits, i.e. the diff between kubesmith's commit and what
  was merged (they add ``team: payments`` under ``labels``, set ``limits.memory`` to the request,
  swap ``docker.io/`` for their mirror, raise ``replicas``).

A convention stated in words becomes a candidate at once (a human said so); one seen only in
edits needs ``min_edit_support`` proposals, so that one odd edit does not become a rule. Nothing
mined is enforced until a human approves it (``kubesmith rules approve``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesmith.agent.diffpaths import DiffLine, diff_lines, image_registry, image_tag
from kubesmith.model import Outcome
from kubesmith.store.records import Evidence, Rule

if TYPE_CHECKING:
    from kubesmith.store import Store

RULE_KINDS = (
    "required_label",
    "required_annotation",
    "memory_limit_equals_request",
    "forbidden_registry",
    "min_replicas",
    "no_latest_tag",
    "image_pull_policy",
)
_IDENTITY = {
    "required_label": ("key",),
    "required_annotation": ("key",),
    "forbidden_registry": ("registry",),
}
"""The params that make two observations the same rule; the others are refined by evidence."""


@dataclass(frozen=True)
class Observation:
    """One sighting of a convention in one proposal's review."""

    kind: str
    params: dict[str, Any]
    evidence: Evidence


# --------------------------------------------------------------------------- words

_Q = r"[`'\"]?"
_KEY = r"(?P<key>[A-Za-z0-9][\w./-]*)"
_VAL = r"(?P<value>[A-Za-z0-9][\w./-]*)"
_MUST = r"(?:missing|needs?|requires?|required|must|should|always|add|lacks?|without|no)"
_REGISTRY = r"(?P<reg>(?:[a-z0-9-]+\.)+[a-z0-9-]+(?::\d+)?|localhost(?::\d+)?)"


def _meta_patterns(word: str) -> list[re.Pattern[str]]:
    return [
        re.compile(rf"{_MUST}\b[^.;]*?\b{word}\s+{_Q}{_KEY}{_Q}\s*[=:]\s*{_Q}{_VAL}{_Q}", re.I),
        re.compile(rf"{_MUST}\b[^.;]*?\b{_Q}{_KEY}{_Q}\s*[=:]\s*{_Q}{_VAL}{_Q}\s+{word}", re.I),
        re.compile(rf"{_MUST}\s+(?:an?\s+|the\s+)?{_Q}{_KEY}{_Q}\s+{word}", re.I),
        re.compile(rf"{word}\s+{_Q}{_KEY}{_Q}\s+(?:is\s+)?(?:missing|required|mandatory)", re.I),
    ]


_LABEL_RE = _meta_patterns("label")
_ANNOTATION_RE = _meta_patterns("annotation")
_NOT_A_KEY = {"a", "an", "the", "this", "that", "any", "every", "all", "its", "their", "each"}
_MEMORY_EQ = re.compile(
    r"memory\s+(?:limits?\s+)?(?:must|should|has to|have to|needs? to|to)?\s*"
    r"(?:be\s+)?(?:equal|equals|match|matches|the same as|=|==)\s*(?:to\s+)?(?:the\s+)?"
    r"(?:memory\s+)?requests?"
    r"|limits?\s+(?:must|should)?\s*(?:equal|match)\s+(?:the\s+)?requests?[^.;]*memory",
    re.I,
)
_NEGATION = re.compile(
    r"\b(?:no|not|never|don'?t|do not|forbidden|disallowed|banned|avoid|instead of)\b", re.I
)
_IMAGE_WORD = re.compile(r"\b(?:image|images|registry|registries|pull|pulled)\b", re.I)
_REPLACEMENT = re.compile(
    rf"\b(?:use|using|switch\s+to|mirror(?:ed)?\s+(?:at|in)|via)\s+(?:the\s+)?{_REGISTRY}", re.I
)
_MIN_REPLICAS = re.compile(
    r"(?:at\s+least|minimum\s+(?:of\s+)?|min(?:imum)?\.?\s*|no\s+(?:fewer|less)\s+than\s+|>=\s*)"
    r"\s*(?P<n>\d+)\s+replicas?"
    r"|replicas?\s+(?:must|should)\s+be\s+(?:at\s+least|>=)\s*(?P<m>\d+)",
    re.I,
)
_LATEST = re.compile(r"\blatest\b", re.I)
_TAG_WORD = re.compile(r"\b(?:tag|tags|tagged|image|images|version)\b|:latest", re.I)
_PULL_POLICY = re.compile(
    r"imagePullPolicy\s*(?:must|should)?\s*(?:be|=|:)?\s*(?P<p>Always|IfNotPresent|Never)"
)


def observe_text(proposal_id: str, text: str, source: str) -> list[Observation]:
    """Conventions stated in a rejection reason or review comment."""
    out: list[Observation] = []
    replacement = _REPLACEMENT.search(text)
    good = replacement.group("reg").lower() if replacement else None

    def add(kind: str, params: dict[str, Any], sentence: str) -> None:
        del sentence  # the whole reason is the evidence: a sentence alone can lose its context
        ev = Evidence(proposal_id, source, " ".join(text.split())[:300])  # type: ignore[arg-type]
        out.append(Observation(kind, params, ev))

    for sentence in re.split(r"(?<=[.;!?])\s+|\n", text):
        if not sentence.strip():
            continue
        for kind, patterns in (
            ("required_label", _LABEL_RE),
            ("required_annotation", _ANNOTATION_RE),
        ):
            for pat in patterns:
                m = pat.search(sentence)
                if m and m.group("key").lower() not in _NOT_A_KEY:
                    value = m.groupdict().get("value")
                    key = m.group("key").rstrip(".-/")
                    add(
                        kind,
                        {"key": key, "value": value.rstrip(".-/") if value else None},
                        sentence,
                    )
                    break
        if _MEMORY_EQ.search(sentence):
            add("memory_limit_equals_request", {}, sentence)
        negated = _NEGATION.search(sentence)
        if negated and _IMAGE_WORD.search(sentence):
            for m in re.finditer(_REGISTRY, sentence):
                reg = m.group("reg").lower()
                if reg != good and m.start() > negated.start():
                    add("forbidden_registry", {"registry": reg, "replacement": good}, sentence)
        if negated and _LATEST.search(sentence) and _TAG_WORD.search(sentence):
            add("no_latest_tag", {}, sentence)
        m = _MIN_REPLICAS.search(sentence)
        if m:
            add("min_replicas", {"n": int(m.group("n") or m.group("m"))}, sentence)
        m = _PULL_POLICY.search(sentence)
        if m:
            add("image_pull_policy", {"policy": m.group("p")}, sentence)
    return out


# --------------------------------------------------------------------------- edits


def observe_diff(proposal_id: str, diff: str) -> list[Observation]:
    """Conventions visible in a reviewer's follow-up edits (a unified diff of YAML)."""
    out: list[Observation] = []
    for hunk in diff_lines(diff):
        out.extend(_observe_hunk(proposal_id, hunk))
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
        return f"Deployments and StatefulSets run at least {params['n']} replicas."
    if kind == "no_latest_tag":
        return "Container images are pinned to a version, never ':latest' or untagged."
    if kind == "image_pull_policy":
        return f"Containers set imagePullPolicy: {params['policy']}."
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
    return first


def observe_outcome(outcome: Outcome) -> list[Observation]:
    """Every observation one review outcome carries."""
    pid = outcome.proposal_id
    found: list[Observation] = []
    if outcome.reason:
        source = "rejection" if outcome.status == "rejected" else "comment"
        found += observe_text(pid, outcome.reason, source)
    for c in outcome.comments:
        found += observe_text(pid, c.body, "comment")
    if outcome.follow_up_diff:
        found += observe_diff(pid, outcome.follow_up_diff)
    return found


def mine(outcomes: Iterable[Outcome], min_edit_support: int = 2) -> list[Rule]:
    """Candidate rules from review outcomes (pure: no store needed)."""
    return rules_from((o for out in outcomes for o in observe_outcome(out)), min_edit_support)


def refresh_rules(store: Store, min_edit_support: int = 2) -> list[Rule]:
    """Mine the store's outcomes, save new candidates and fresh evidence, return every rule.

    Decisions already taken (approved, rejected) are kept by the store whatever the evidence.
    """
    store.save_rules(mine(store.outcomes(), min_edit_support))
    return store.list_rules()
