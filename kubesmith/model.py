"""The core vocabulary: resources, edit operations, change sets, findings and proposals.

Everything here is a frozen dataclass with a JSON round trip (``to_json``/``from_json`` helpers),
because these values cross every boundary: planners emit them, the workspace applies them,
validators return them, forges and the feedback store persist them.

Field paths are strings with a small, documented syntax (``docs/paths.md``)::

    spec.replicas
    spec.template.spec.containers[name=web].resources.limits.memory
    metadata.labels["app.kubernetes.io/name"]
    spec.ports[0].port

``[name=web]`` selects the list item whose ``name`` is ``web``; setting a path through a selector
that matches nothing appends a new item carrying that key (an upsert), which is what "add env var
FOO" means to a person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Protocol, TypeAlias, TypeVar, runtime_checkable

from pydantic import Field, TypeAdapter

from kubesmith.errors import UsageError

JSON: TypeAlias = Any
"""A JSON-compatible value (dict, list, str, int, float, bool, None)."""

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


# --------------------------------------------------------------------------- resources


@dataclass(frozen=True, order=True)
class ResourceRef:
    """Identifies one Kubernetes object: ``apiVersion``, ``kind``, ``namespace``, ``name``.

    ``namespace`` is ``None`` for cluster-scoped objects and for namespaced objects whose namespace
    is left to the cluster (or to a Kustomize overlay) to decide.
    """

    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    @property
    def group(self) -> str:
        """The API group (``""`` for the core group)."""
        return self.api_version.rpartition("/")[0]

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{ns}{self.name}"

    @classmethod
    def from_object(cls, obj: Mapping[str, Any], namespace: str | None = None) -> ResourceRef:
        """Build a ref from a manifest; ``namespace`` is the fallback (e.g. a kustomization's)."""
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace") if isinstance(meta, Mapping) else None
        name = meta.get("name") if isinstance(meta, Mapping) else None
        return cls(
            api_version=str(obj.get("apiVersion", "")),
            kind=str(obj.get("kind", "")),
            name=str(name or ""),
            namespace=str(ns) if ns else namespace,
        )


@runtime_checkable
class Manifest(Protocol):
    """One loaded Kubernetes document, as validators see it.

    Implemented by :class:`kubesmith.workspace.Document`; validators depend only on this.
    """

    @property
    def file(self) -> str:
        """Repository-relative path of the file holding the document."""
        ...

    @property
    def obj(self) -> dict[str, Any]:
        """The parsed document."""
        ...

    @property
    def ref(self) -> ResourceRef:
        """The object's identity."""
        ...

    @property
    def line(self) -> int:
        """1-based line where the document starts."""
        ...

    def line_of(self, path: str | Sequence[PathSegment]) -> int:
        """1-based line of the node at ``path``, or of its closest existing ancestor."""
        ...


# --------------------------------------------------------------------------- field paths


@dataclass(frozen=True)
class Match:
    """A path segment selecting the list item whose ``key`` equals ``value``."""

    key: str
    value: str

    def __str__(self) -> str:
        return f"[{self.key}={self.value}]"


PathSegment: TypeAlias = str | int | Match

_TOKEN = re.compile(
    r"""
    (?P<key>[^.\[\]"]+)
  | \[(?P<index>-?\d+)\]
  | \["(?P<quoted>(?:[^"\\]|\\.)*)"\]
  | \[(?P<mkey>[^=\]]+)=(?P<mval>[^\]]*)\]
  | (?P<dot>\.)
    """,
    re.VERBOSE,
)


def parse_path(path: str | Sequence[PathSegment]) -> tuple[PathSegment, ...]:
    """Parse a field path string into segments; sequences pass through unchanged.

    Raises:
        UsageError: when the string is not a valid path.
    """
    if not isinstance(path, str):
        return tuple(path)
    segments: list[PathSegment] = []
    pos = 0
    expect_key = True
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None:
            raise UsageError(f"invalid field path {path!r} at character {pos + 1}")
        if m.group("dot") is not None:
            if expect_key:
                raise UsageError(f"invalid field path {path!r}: empty segment")
            expect_key = True
        elif m.group("key") is not None:
            if not expect_key:
                raise UsageError(f"invalid field path {path!r}: missing '.' before {m.group()!r}")
            segments.append(m.group("key"))
            expect_key = False
        elif m.group("index") is not None:
            segments.append(int(m.group("index")))
            expect_key = False
        elif m.group("quoted") is not None:
            segments.append(re.sub(r"\\(.)", r"\1", m.group("quoted")))
            expect_key = False
        else:
            segments.append(Match(m.group("mkey").strip(), m.group("mval").strip()))
            expect_key = False
        pos = m.end()
    if not segments or (expect_key and path.endswith(".")):
        raise UsageError(f"invalid field path {path!r}")
    return tuple(segments)


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-/$]+$")


def format_path(segments: Sequence[PathSegment]) -> str:
    """The inverse of :func:`parse_path`."""
    out = ""
    for seg in segments:
        if isinstance(seg, Match):
            out += str(seg)
        elif isinstance(seg, int):
            out += f"[{seg}]"
        elif _PLAIN_KEY.match(seg):
            out += f".{seg}" if out else seg
        else:
            escaped = seg.replace("\\", "\\\\").replace('"', '\\"')
            out += f'["{escaped}"]'
    return out


# --------------------------------------------------------------------------- edits


@dataclass(frozen=True)
class SetField:
    """Set the value at ``path`` in the resource ``ref``, creating missing parents."""

    ref: ResourceRef
    path: str
    value: JSON
    file: str | None = None
    op: Literal["set"] = "set"


@dataclass(frozen=True)
class RemoveField:
    """Remove the key or list item at ``path``; removing something absent is a no-op."""

    ref: ResourceRef
    path: str
    file: str | None = None
    op: Literal["remove"] = "remove"


@dataclass(frozen=True)
class MergePatch:
    """Apply an RFC 7386 JSON merge patch to the resource (``None`` values delete keys)."""

    ref: ResourceRef
    patch: dict[str, JSON]
    file: str | None = None
    op: Literal["merge"] = "merge"


@dataclass(frozen=True)
class AddResource:
    """Append a new document to ``file`` (created when missing)."""

    file: str
    manifest: dict[str, JSON]
    op: Literal["add"] = "add"

    @property
    def ref(self) -> ResourceRef:
        """The new object's identity."""
        return ResourceRef.from_object(self.manifest)


@dataclass(frozen=True)
class DeleteResource:
    """Remove the document of ``ref`` from its file (the file is deleted when it empties)."""

    ref: ResourceRef
    file: str | None = None
    op: Literal["delete"] = "delete"


Edit: TypeAlias = Annotated[
    SetField | RemoveField | MergePatch | AddResource | DeleteResource, Field(discriminator="op")
]
"""Any edit operation. ``file`` (where present) pins the document when a ref appears in several
files, e.g. a Kustomize base and an overlay's patch."""


@dataclass(frozen=True)
class Usage:
    """What planning cost: model calls, tokens, latency and an estimated price."""

    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0
    cost_usd: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            tokens_in=self.tokens_in + other.tokens_in,
            tokens_out=self.tokens_out + other.tokens_out,
            latency_s=self.latency_s + other.latency_s,
            cost_usd=self.cost_usd + other.cost_usd,
        )


@dataclass(frozen=True)
class ChangeSet:
    """What a planner proposes: the intent, the edits, and why."""

    intent: str
    edits: tuple[Edit, ...]
    rationale: str = ""
    planner: str = ""
    questions: tuple[str, ...] = ()
    usage: Usage = field(default_factory=Usage)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Finding:
    """One validator verdict about one place in the repository."""

    validator: str
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    ref: ResourceRef | None = None
    path: str | None = None
    rule: str | None = None
    preexisting: bool = False
    """True when the base already had this finding: the change did not cause it."""

    def location(self) -> str:
        """``file:line`` (or what of it is known)."""
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or (str(self.ref) if self.ref else "")


@dataclass(frozen=True)
class Change:
    """One applied edit, as a reviewer reads it: where, what, before and after."""

    file: str
    ref: ResourceRef | None
    operation: str
    path: str | None = None
    old: JSON = None
    new: JSON = None


PRStatus = Literal["open", "accepted", "rejected", "closed"]


@dataclass(frozen=True)
class PullRequest:
    """A proposal's review request on a forge."""

    forge: str
    id: str
    url: str
    status: PRStatus = "open"
    title: str = ""
    repository: str = ""
    """Where ``id`` is unique on the forge: ``owner/name`` on GitHub (numbers restart in every
    repository); empty for the local forge."""
    branch: str = ""
    commit: str = ""
    """The branch and commit the pull request proposes, when the forge chose others than the
    proposal's (GitHub reuses an earlier branch that holds the very same change); else empty."""


@dataclass(frozen=True)
class Proposal:
    """The result of one intent: the branch and commit made, what changed, and its verdicts."""

    id: str
    intent: str
    planner: str
    base: str
    branch: str | None
    commit: str | None
    changes: tuple[Change, ...]
    diff: str
    findings: tuple[Finding, ...] = ()
    pr: PullRequest | None = None
    usage: Usage = field(default_factory=Usage)
    rationale: str = ""
    iterations: int = 1
    questions: tuple[str, ...] = ()
    """What the planner wants a person to confirm (e.g. a PDB that would block node drains)."""
    live_diff: str = ""
    """Server-side dry-run result against the live objects, per resource (Secret data masked)."""
    rendered_diff: str = ""
    """What changes in the deployed objects (each overlay rendered, plain files as written), per
    environment: one ``# environment`` heading, then one line per changed field."""
    fingerprint: str = ""
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def blocked(self) -> bool:
        """True when an error finding stands: such a proposal must not become a PR."""
        return any(f.severity == "error" for f in self.findings)


OutcomeStatus = Literal["accepted", "rejected", "closed", "open"]


@dataclass(frozen=True)
class ReviewComment:
    """A reviewer's comment on a pull request."""

    author: str
    body: str
    file: str | None = None
    line: int | None = None
    verdict: Literal["approved", "changes_requested", "commented"] | None = None


@dataclass(frozen=True)
class Outcome:
    """What reviewers did with a proposal: the verdict, why, what they said and changed."""

    proposal_id: str
    pr: PullRequest
    status: OutcomeStatus
    reason: str = ""
    comments: tuple[ReviewComment, ...] = ()
    follow_up_diff: str = ""
    """The diff between what kubesmith proposed and what was merged (reviewers' own edits)."""


# --------------------------------------------------------------------------- JSON


T = TypeVar("T")
_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(tp: type[Any]) -> TypeAdapter[Any]:
    if tp not in _ADAPTERS:
        _ADAPTERS[tp] = TypeAdapter(tp)
    return _ADAPTERS[tp]


def to_json(value: Any) -> JSON:
    """Convert a model value (or a list of them) to plain JSON data."""
    return _adapter(type(value)).dump_python(value, mode="json")


def from_json(tp: type[T], data: JSON) -> T:
    """Rebuild a model value of type ``tp`` from :func:`to_json` output.

    Raises:
        UsageError: when the data does not fit the type.
    """
    from pydantic import ValidationError

    try:
        result: T = _adapter(tp).validate_python(data)
    except ValidationError as e:
        raise UsageError(f"invalid {tp.__name__}: {e}") from e
    return result
