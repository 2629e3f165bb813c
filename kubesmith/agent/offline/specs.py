"""What one clause of an intent asks for, independent of which resource it names.

Each intent kind has a frozen dataclass. The grammar produces them from text; the builders turn
them, together with the resolved resources, into edits. Keeping the two apart lets the same spec
be applied to one resource, to all resources matching a label, or to a Kustomize overlay.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeAlias


@dataclass(frozen=True)
class Scale:
    """Set the replica count, add to it (``amount`` may be negative) or multiply it."""

    mode: Literal["set", "add", "mul"]
    amount: float
    expected: int | None = None
    """The count the person said is there now ("from 3 to 5"); a different one is asked about."""


@dataclass(frozen=True)
class Image:
    """A new image (``image``, with or without tag) or only a new ``tag`` (or ``@digest``)."""

    image: str | None = None
    tag: str | None = None


ResourceItem: TypeAlias = tuple[
    Literal["requests", "limits"], Literal["cpu", "memory"] | None, str | None
]
"""(section, resource or ``None`` for the whole section, quantity or ``None`` to remove)."""


@dataclass(frozen=True)
class Resources:
    """Set or remove CPU/memory requests and limits."""

    items: tuple[ResourceItem, ...]


@dataclass(frozen=True)
class EnvVar:
    """Set an environment variable from a literal, a ConfigMap key or a Secret key; or remove it."""

    name: str
    source: Literal["value", "configMap", "secret", "remove"]
    value: str | None = None
    source_name: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Meta:
    """Add or remove labels or annotations, on the object or (``pod``) on its pod template."""

    field: Literal["labels", "annotations"]
    set: tuple[tuple[str, str], ...] = ()
    remove: tuple[str, ...] = ()
    pod: bool = False


@dataclass(frozen=True)
class Probe:
    """Add (or replace) or remove readiness/liveness/startup probes."""

    kinds: tuple[Literal["readiness", "liveness", "startup"], ...]
    remove: bool = False
    handler: Literal["http", "tcp", "grpc"] | None = None
    path: str | None = None
    port: str | int | None = None
    period: int | None = None
    delay: int | None = None


@dataclass(frozen=True)
class Expose:
    """Expose a workload: a port on its Service (created when there is none)."""

    port: int | None = None
    target: str | int | None = None
    type: str | None = None


@dataclass(frozen=True)
class Autoscale:
    """Create or update a HorizontalPodAutoscaler (autoscaling/v2), or remove it."""

    min: int | None = None
    max: int | None = None
    cpu: int | None = None
    memory: int | None = None
    remove: bool = False


@dataclass(frozen=True)
class Budget:
    """Create or update a PodDisruptionBudget (policy/v1), or remove it."""

    min_available: int | str | None = None
    max_unavailable: int | str | None = None
    remove: bool = False


@dataclass(frozen=True)
class PullPolicy:
    """Set ``imagePullPolicy`` (Always, IfNotPresent or Never)."""

    policy: str


SECURITY_SETTINGS = (
    "runAsNonRoot",
    "readOnlyRootFilesystem",
    "allowPrivilegeEscalation",
    "dropCapabilities",
    "seccomp",
)


@dataclass(frozen=True)
class Security:
    """Apply securityContext hardening settings (names from ``SECURITY_SETTINGS``)."""

    settings: tuple[str, ...] = SECURITY_SETTINGS


@dataclass(frozen=True)
class Delete:
    """Delete the named resource."""


@dataclass(frozen=True)
class FieldSet:
    """Set (or remove) an explicit field path: the escape hatch for everything else."""

    path: str
    value: object = None
    remove: bool = False


Spec: TypeAlias = (
    Scale
    | Image
    | Resources
    | EnvVar
    | Meta
    | Probe
    | Expose
    | Autoscale
    | Budget
    | PullPolicy
    | Security
    | Delete
    | FieldSet
)


@dataclass(frozen=True)
class Clause:
    """One understood request: what to do (``spec``) and the words naming its target.

    Attributes:
        spec: what to do.
        subject: the words left after the request itself was recognised; they name the target
            ("the checkout deployment", "all backend deployments"). Empty means "the same as the
            previous clause" ("... and its memory limit to 256Mi").
        container: a container named in the clause, ``"*"`` for all containers, else ``None``.
        namespace: a namespace named in the clause.
        envs: the environments (Kustomize overlays) the clause applies to; empty for the base.
        text: the clause as written.
    """

    spec: Spec
    subject: str
    container: str | None = None
    namespace: str | None = None
    envs: tuple[str, ...] = ()
    text: str = ""

    @property
    def env(self) -> str | None:
        """The (first) environment, or ``None``."""
        return self.envs[0] if self.envs else None


@dataclass
class Scan:
    """A clause being parsed: regex helpers that remember which characters they consumed.

    Whatever no handler consumed is the clause's subject, so the target may appear anywhere
    ("set the memory limit of checkout to 256Mi", "give checkout a 256Mi memory limit").
    """

    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)

    def find(self, pattern: str) -> re.Match[str] | None:
        """Search without consuming."""
        return next(self._matches(pattern), None)

    def take(self, pattern: str) -> re.Match[str] | None:
        """Search and consume the first match not overlapping text already consumed."""
        for m in self._matches(pattern):
            if not self._overlaps(m.span()):
                self.spans.append(m.span())
                return m
        return None

    def take_all(self, pattern: str) -> list[re.Match[str]]:
        """Consume every non-overlapping match."""
        found = []
        for m in self._matches(pattern):
            if not self._overlaps(m.span()):
                self.spans.append(m.span())
                found.append(m)
        return found

    def _matches(self, pattern: str) -> Iterator[re.Match[str]]:
        """Matches that are not part of a longer name: ``scale`` never matches in
        ``scale-test``, ``base/scale.yaml`` or ``add-capabilities``."""
        text = self.text
        for m in re.finditer(pattern, text, re.IGNORECASE):
            start, end = m.span()
            if start == end:
                continue
            if start > 0 and text[start].isalnum() and _joins(text, start - 1):
                continue
            if end < len(text) and text[end - 1].isalnum() and _joins(text, end):
                continue
            yield m

    def _overlaps(self, span: tuple[int, int]) -> bool:
        return any(span[0] < end and start < span[1] for start, end in self.spans)

    def leftover(self) -> str:
        """The text with consumed spans blanked out."""
        chars = list(self.text)
        for start, end in self.spans:
            for i in range(start, end):
                chars[i] = " "
        return "".join(chars)


def _joins(text: str, i: int) -> bool:
    """True when ``text[i]`` glues two parts of one name (``-``, ``/``, ``.`` in ``a.yaml``)."""
    if text[i] in "-/_":
        return True
    return (
        text[i] == "." and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
    )
