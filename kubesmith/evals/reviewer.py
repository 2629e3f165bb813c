"""A simulated reviewer with hidden conventions, for the ``feedback`` eval suite.

It reviews a proposal the way a person reads a pull request: it looks at the workloads the
change touches, after the change, and judges them against its team's conventions, which kubesmith
is never told. Each convention has a reviewing *style*, as people do:

* ``reject`` — the reviewer rejects the pull request and says why, in words;
* ``edit`` — the reviewer fixes it on the branch and merges (kubesmith sees only the diff).

A proposal that meets every convention is accepted as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from kubesmith.agent.diffpaths import image_registry, replace_registry
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


class SimulatedReviewer:
    """Reviews proposals against :data:`HIDDEN_CONVENTIONS` (or the conventions given)."""

    def __init__(self, conventions: Sequence[Convention] = HIDDEN_CONVENTIONS) -> None:
        self.conventions = tuple(conventions)

    def review(self, workspace: Workspace, changes: Sequence[Change]) -> Review:
        """Judge the workloads ``changes`` touched, as they are in ``workspace`` now."""
        refs = list(dict.fromkeys(c.ref for c in changes if c.ref and c.ref.kind in WORKLOADS))
        reasons: list[str] = []
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
                    if conv.says not in reasons:
                        reasons.append(conv.says)
                else:
                    fixes.extend(found)
        if reasons:
            return Review("rejected", " ".join(reasons), (), tuple(dict.fromkeys(violated)))
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
