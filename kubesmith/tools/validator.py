"""The one small interface every validator implements, and the optional capabilities.

A validator only has to ``validate(manifests)``. A few do more, and say so by implementing one
of the small protocols below (checked with ``isinstance``, never by probing attributes):

- :class:`PreparesWorkspace`: learns repository-wide facts once (the schema validator reads the
  repository's CustomResourceDefinitions) before the documents of one change are validated;
- :class:`ValidatesFiles`: validates whole files on disk faster than parsed documents (the
  schema validator hands them to kubeconform as they are);
- :class:`ReportsLiveDiffs`: records, per resource, how the live object would change (the
  server-side dry-run), for the pull request body.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from kubesmith.model import Finding, Manifest


@runtime_checkable
class Validator(Protocol):
    """Checks manifests and says what is wrong with them.

    A validator never raises for a problem in the manifests: it returns findings. A failure of the
    validator itself (a crashed tool, an unreachable server) is also a finding, never a silent pass.
    """

    name: str

    def validate(self, manifests: Sequence[Manifest]) -> list[Finding]:
        """Return the findings for ``manifests`` (empty when all is well)."""
        ...


@runtime_checkable
class PreparesWorkspace(Protocol):
    """A validator that learns from the whole repository before validating part of it."""

    def prepare(self, workspace: Any) -> None:
        """Learn what is needed from ``workspace`` (anything with ``documents``: manifests)."""
        ...


@runtime_checkable
class ValidatesFiles(Protocol):
    """A validator with a fast path for whole files on disk."""

    def validate_files(self, files: Sequence[tuple[str, Path, bool]]) -> list[Finding]:
        """Findings for (name as findings show it, path on disk, is a Kustomize patch) files."""
        ...


@runtime_checkable
class ReportsLiveDiffs(Protocol):
    """A validator that records the live object's diff per resource (``str(ref)`` → diff)."""

    diffs: dict[str, str]
