"""The one small interface every validator implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from kubesmith.model import Finding, Manifest


@runtime_checkable
class Validator(Protocol):
    """Checks manifests and says what is wrong with them.

    A validator never raises for a problem in the manifests: it returns findings. A failure of the
    validator itself (a crashed tool, an unreachable server) is also a finding, never a silent pass.

    A validator may also define ``prepare(workspace)``: the agent calls it once per proposal with
    the whole workspace before validating, e.g. so that the schema validator learns the
    repository's CustomResourceDefinitions.
    """

    name: str

    def validate(self, manifests: Sequence[Manifest]) -> list[Finding]:
        """Return the findings for ``manifests`` (empty when all is well)."""
        ...
