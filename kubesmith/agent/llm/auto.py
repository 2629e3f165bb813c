"""AutoPlanner: the offline planner when it understands the intent, the model otherwise.

Intents the offline grammar covers cost nothing and give the same edits every time; only the
rest reach the model. The ChangeSet's ``planner`` says which one handled it, and repair rounds
stay with that planner so one proposal is never a mix of both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kubesmith.agent.planner import PlanContext, Planner
from kubesmith.errors import ConfigError, IntentNotUnderstood
from kubesmith.model import ChangeSet, Finding

if TYPE_CHECKING:
    from kubesmith.workspace import Workspace


class AutoPlanner:
    """Tries ``offline`` first; on :class:`IntentNotUnderstood` asks ``llm``.

    Args:
        offline: the deterministic planner.
        llm: builds the model planner on first need, so an intent the offline planner handles
            never needs a model, a key or the llm extra.
    """

    name = "auto"

    def __init__(self, offline: Planner, llm: Callable[[], Planner]) -> None:
        self.offline = offline
        self._make_llm = llm
        self._llm: Planner | None = None

    @property
    def llm(self) -> Planner:
        """The model planner (built on first use)."""
        if self._llm is None:
            self._llm = self._make_llm()
        return self._llm

    def plan(
        self,
        intent: str,
        workspace: Workspace,
        *,
        findings: Sequence[Finding] = (),
        previous: ChangeSet | None = None,
        context: PlanContext | None = None,
    ) -> ChangeSet:
        """Plan with the offline planner, or the model when the offline grammar does not fit."""

        def run(planner: Planner) -> ChangeSet:
            return planner.plan(
                intent, workspace, findings=findings, previous=previous, context=context
            )

        if previous is not None and previous.planner != self.offline.name:
            return run(self.llm)
        try:
            return run(self.offline)
        except IntentNotUnderstood as e:
            if previous is not None:
                raise
            try:
                planner = self.llm
            except ConfigError as ce:
                raise IntentNotUnderstood(f"{e}\n(the LLM planner could take it, but: {ce})") from e
            return run(planner)
