"""The planner interface: an intent and a workspace in, a ChangeSet out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kubesmith.model import ChangeSet, Finding

if TYPE_CHECKING:
    from kubesmith.workspace import Workspace


@dataclass(frozen=True)
class PlanContext:
    """What the loop knows beyond the intent: past outcomes and learned conventions.

    Attributes:
        examples: short texts describing similar past intents and how reviewers answered them.
        rules: human-approved conventions, as sentences the planner must honour.
    """

    examples: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()


@runtime_checkable
class Planner(Protocol):
    """Turns an intent into edits. Planners never write files and never run validation.

    On a repair round the loop passes the previous ChangeSet and the error findings it produced; a
    planner that cannot repair returns the previous ChangeSet unchanged (the loop then stops).
    """

    name: str

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
        ...
