"""A simulated reviewer with hidden conventions, for the ``feedback`` eval suite.

It reviews a proposal the way a person reads a pull request: it looks at the workloads the
change touches, after the change, and judges them against its team's conventions, which kubesmith
is never told. Each convention has a reviewing *style*, as people do:

* ``reject`` — the reviewer rejects the pull request and says why, in words;
* ``edit`` — the reviewer fixes it on the branch and merges (kubesmith sees only the diff).

A proposal that meets every convention is accepted as it is.

The words are people's, not the reader's: each rejection draws a comment from the *measured*
part of the reviewer-comment corpus (``data/reviewer_comments.yaml``, the part the reader was
never developed against) that states exactly the violated convention, a different one each time
(seeded), and falls back to the convention's own ``says`` only when the corpus has none. A
rejection for several conventions joins several comments, as a person writing two remarks.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from kubesmith.agent import predicates
from kubesmith.agent.diffpaths import image_registry, replace_registry
from kubesmith.agent.learning import named_path
from kubesmith.agent.reasons import Stated
from kubesmith.errors import KubesmithError
from kubesmith.kinds import pod_spec_keys
from kubesmith.model import Change, Match, PathSegment, ResourceRef, SetField, format_path

if TYPE_CHECKING:
    from kubesmith.workspace import Workspace

WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"})


@dataclass(frozen=True)
class Convention:
    """One hidden convention: what it checks, how the reviewer reacts, what they say."""

    kind: str
    params: dict[str, Any]
    style: Literal["reject", "edit"]
    says: str = ""

    def matches(self, kind: str, params: dict[str, Any]) -> bool:
        """True when a learned rule (``kind``, ``params``) is this convention."""
        if kind != self.kind:
            return False
        if kind == "field_predicate":
            keys: tuple[str, ...] = ("on", "path", "op", "value")
        else:
            keys = {"required_label": ("key",), "required_annotation": ("key",),
                    "forbidden_registry": ("registry",)}.get(kind, ())  # fmt: skip
        return all(params.get(k) == self.params.get(k) for k in keys)


HIDDEN_CONVENTIONS: tuple[Convention, ...] = (
    Convention("required_label", {"key": "owner", "value": "shop-team"}, "edit"),
    Convention(
        "memory_limit_equals_request", {}, "reject", "Memory limit must equal the memory request."
    ),
    Convention(
        "forbidden_registry",
        {"registry": "docker.io", "replacement": "registry.example.com"},
        "edit",
    ),
    Convention("min_replicas", {"n": 2}, "reject", "We always run at least 2 replicas."),
    Convention(
        "required_annotation",
        {"key": "owner-contact", "value": "platform-oncall"},
        "reject",
        "Missing annotation owner-contact=platform-oncall.",
    ),
    Convention("image_pull_policy", {"policy": "IfNotPresent"}, "edit"),
    Convention(
        "field_predicate",
        {"on": "pod", "path": "topologySpreadConstraints", "op": "present", "value": None},
        "reject",
        "Workloads must define topologySpreadConstraints.",
    ),
)


@dataclass(frozen=True)
class Review:
    """The reviewer's verdict on one proposal."""

    verdict: Literal["accepted", "rejected"]
    reason: str
    fixes: tuple[SetField, ...]
    violated: tuple[str, ...]

    @property
    def feedback(self) -> bool:
        """True when the review teaches something (a rejection or an edit)."""
        return self.verdict == "rejected" or bool(self.fixes)


def _pod_base(kind: str) -> tuple[str, ...]:
    return pod_spec_keys(kind) or ("spec", "template", "spec")


def corpus_words(conv: Convention, part: str = "measured") -> list[str]:
    """Comments of one part of the corpus that state exactly ``conv`` and need no context."""
    from kubesmith.evals.reviewers_suite import canonical
    from kubesmith.evals.reviewers_suite import part as corpus_part

    want = canonical([Stated(conv.kind, conv.params)])
    return [
        c.text
        for c in corpus_part(part)
        if c.change is None and len(c.expect) == 1 and canonical(c.expect) == want
    ]


class SimulatedReviewer:
    """Reviews proposals against :data:`HIDDEN_CONVENTIONS` (or the conventions given).

    Args:
        conventions: the team's hidden conventions.
        seed: which comment of the corpus says each rejection (reproducible).
        words: the corpus part the words come from (``measured``), or ``fixed`` for each
            convention's own ``says`` (the old, single-phrasing reviewer).
    """

    def __init__(
        self,
        conventions: Sequence[Convention] = HIDDEN_CONVENTIONS,
        seed: int = 0,
        words: Literal["measured", "development", "fixed"] = "measured",
    ) -> None:
        self.conventions = tuple(conventions)
        self._rng = random.Random(seed)
        self._words = [[] if words == "fixed" else corpus_words(c, words) for c in self.conventions]
        self.said: list[str] = []
        """Every comment the reviewer wrote, in order (for the report)."""

    def say(self, conv: Convention) -> str:
        """One way to state ``conv``: a corpus comment not used yet, else ``says``.

        A person who has said it every way they know and is still not understood ends up
        saying it plainly: once the corpus comments for ``conv`` are used up, ``says``.
        """
        pool = self._words[self.conventions.index(conv)] if conv in self.conventions else []
        unused = [w for w in pool if w not in self.said]
        choice = self._rng.choice(unused) if unused else conv.says
        self.said.append(choice)
        return choice

    def review(self, workspace: Workspace, changes: Sequence[Change]) -> Review:
        """Judge the workloads ``changes`` touched, as they are in ``workspace`` now."""
        refs = list(dict.fromkeys(c.ref for c in changes if c.ref and c.ref.kind in WORKLOADS))
        rejected: list[Convention] = []
        fixes: list[SetField] = []
        violated: list[str] = []
        for ref in refs:
            try:
                obj = workspace.get(ref).obj
            except KubesmithError:  # a deleted or moved resource is not reviewed
                continue
            for conv in self.conventions:
                found = self._check(conv, ref, obj)
                if not found:
                    continue
                violated.append(conv.kind)
                if conv.style == "reject":
                    if conv not in rejected:
                        rejected.append(conv)
                else:
                    fixes.extend(found)
        reasons = [self.say(c) for c in rejected]
        if reasons:
            return Review("rejected", "\n".join(reasons), (), tuple(dict.fromkeys(violated)))
        return Review("accepted", "", tuple(fixes), tuple(dict.fromkeys(violated)))

    def _check(self, conv: Convention, ref: ResourceRef, obj: dict[str, Any]) -> list[SetField]:
        """The edits that would satisfy ``conv`` (empty when it holds)."""
        p = conv.params
        kind = str(obj.get("kind", ""))
        meta = obj.get("metadata") or {}
        if conv.kind in ("required_label", "required_annotation"):
            field = "labels" if conv.kind == "required_label" else "annotations"
            if (meta.get(field) or {}).get(p["key"]) == p["value"]:
                return []
            return [SetField(ref, format_path(("metadata", field, p["key"])), p["value"])]
        if conv.kind == "min_replicas":
            if kind not in ("Deployment", "StatefulSet"):
                return []
            replicas = (obj.get("spec") or {}).get("replicas", 1)
            return [] if replicas >= p["n"] else [SetField(ref, "spec.replicas", p["n"])]
        if conv.kind == "field_predicate":
            pred = predicates.FieldPredicate.from_params(p)
            out = []
            for at, _present, value in predicates.violations(pred, obj):
                new = predicates.repair(pred, obj, at, value)
                # a violation with no agreed fix is still a violation (the reviewer says so)
                out.append(SetField(ref, format_path(named_path(obj, at)), new))
            return out
        out = []
        base = _pod_base(kind)
        spec: Any = obj
        for key in base:
            spec = (spec or {}).get(key) if isinstance(spec, dict) else None
        for c in (spec or {}).get("containers") or []:
            path: tuple[PathSegment, ...] = (*base, "containers", Match("name", str(c.get("name"))))
            res = c.get("resources") or {}
            if conv.kind == "memory_limit_equals_request":
                req = (res.get("requests") or {}).get("memory")
                lim = (res.get("limits") or {}).get("memory")
                if req is not None and lim != req:
                    out.append(
                        SetField(ref, format_path((*path, "resources", "limits", "memory")), req)
                    )
            elif conv.kind == "forbidden_registry":
                image = str(c.get("image", ""))
                if image_registry(image) == p["registry"]:
                    new = replace_registry(image, p["replacement"])
                    out.append(SetField(ref, format_path((*path, "image")), new))
            elif conv.kind == "image_pull_policy" and c.get("imagePullPolicy") != p["policy"]:
                out.append(SetField(ref, format_path((*path, "imagePullPolicy")), p["policy"]))
        return out
