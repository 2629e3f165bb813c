"""A conversation that shapes one pending change over several turns, then opens it as a PR.

Each turn's intent is planned against the base branch and merged into the pending change set:
an edit to the same field (or the same new object) replaces the earlier one, so "scale checkout
to 3" followed by "actually 4" ends as one edit. Every turn re-applies the whole pending set to
the base and validates it, so the diff and the verdicts shown are always those of the change
that ``/pr`` would open. Nothing touches the repository until ``/pr``.

This module knows nothing of terminals; ``kubesmith chat`` drives it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from kubesmith.agent.loop import Agent, Base
from kubesmith.errors import EditRejected, UsageError
from kubesmith.model import (
    AddResource,
    Change,
    ChangeSet,
    Edit,
    Finding,
    Proposal,
    ResourceRef,
    Usage,
)

COMMANDS: dict[str, str] = {
    "/diff": "show the pending change's diff",
    "/validate": "validate the pending change again and list every finding",
    "/undo": "drop the last turn's edits",
    "/reset": "drop every pending edit",
    "/pr": "open the pending change as a pull request (asks first): /pr [title]",
    "/explain": "say what the pending change does and why",
    "/cost": "model calls, tokens and estimated cost so far",
    "/feedback": "record a note about the last turn for learning: /feedback TEXT",
    "/help": "list these commands",
    "/quit": "leave (the pending change is discarded)",
}


def parse_command(line: str) -> tuple[str, str] | None:
    """``("/pr", "title")`` for a slash command, None for an intent.

    Raises:
        UsageError: for an unknown slash command (with the list of known ones).
    """
    text = line.strip()
    if not text.startswith("/"):
        return None
    name, _, arg = text.partition(" ")
    name = name.lower()
    if name in ("/exit", "/q"):
        name = "/quit"
    if name == "/?":
        name = "/help"
    if name not in COMMANDS:
        known = ", ".join(COMMANDS)
        raise UsageError(f"unknown command {name}; known commands: {known}")
    return name, arg.strip()


def _edit_key(edit: Edit) -> tuple[Any, ...]:
    if isinstance(edit, AddResource):
        return ("object", edit.ref.kind, edit.ref.name)
    path = getattr(edit, "path", None)
    return ("field", edit.ref.kind, edit.ref.name, edit.file, path, edit.op if not path else "")


def merge_edits(pending: tuple[Edit, ...], new: tuple[Edit, ...]) -> tuple[Edit, ...]:
    """Pending edits with ``new`` ones added; a new edit replaces one to the same target."""
    replaced = {_edit_key(e) for e in new}
    return tuple(e for e in pending if _edit_key(e) not in replaced) + new


@dataclass
class TurnResult:
    """What one turn did: the edits it added and the pending change's new state."""

    intent: str
    added: tuple[Edit, ...]
    changes: list[Change]
    findings: list[Finding]
    diff: str
    rationale: str = ""
    questions: tuple[str, ...] = ()


@dataclass
class ChatSession:
    """One pending change, refined turn by turn.

    Attributes:
        agent: plans, validates and publishes.
        base: the base branch's manifests, loaded once per session.
        turns: the intents and edits of every turn so far (for /undo and the PR's intent).
    """

    agent: Agent
    base: Base = field(init=False)
    turns: list[tuple[str, tuple[Edit, ...], str]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.base = self.agent.load_base()

    @property
    def edits(self) -> tuple[Edit, ...]:
        """The pending edits, all turns merged."""
        merged: tuple[Edit, ...] = ()
        for _, edits, _ in self.turns:
            merged = merge_edits(merged, edits)
        return merged

    @property
    def intent(self) -> str:
        """The turns' intents, joined: the PR's intent."""
        return "; ".join(t[0] for t in self.turns)

    @property
    def focus(self) -> ResourceRef | None:
        """The resource the last turn changed, for follow-ups that do not name one."""
        for _, edits, _ in reversed(self.turns):
            for e in edits:
                return e.ref
        return None

    def turn(self, intent: str) -> TurnResult:
        """Plan ``intent``, merge it into the pending change, re-apply and validate.

        Raises:
            UsageError: the intent is empty, not understood, or names nothing (pending change
                unchanged).
            EditRejected: the merged change cannot be applied (pending change unchanged).
        """
        intent = " ".join(intent.split())
        if not intent:
            raise UsageError("say what to change, or /help")
        changeset = self._plan(intent)
        self.usage = self.usage + changeset.usage
        self.turns.append((intent, changeset.edits, changeset.rationale))
        try:
            self._refresh()
        except EditRejected:
            self.turns.pop()
            self._refresh()
            raise
        return TurnResult(
            intent,
            changeset.edits,
            self.changes,
            self.findings,
            self.diff(),
            changeset.rationale,
            changeset.questions,
        )

    def _plan(self, intent: str) -> ChangeSet:
        # Each turn is a new intent (not a repair round), so no ``previous`` is passed.
        ws = self.base.workspace
        try:
            return self.agent.planner.plan(intent, ws, context=self.agent.context)
        except UsageError:
            focus = self.focus
            if focus is None:
                raise
            # A follow-up such as "also give it a PDB" names no resource: retry about the
            # resource the conversation is about; if that fails too, the first error stands.
            try:
                return self.agent.planner.plan(
                    f"{intent} for {focus.kind.lower()} {focus.name}",
                    ws,
                    context=self.agent.context,
                )
            except UsageError:
                pass
            raise

    def _refresh(self) -> None:
        if not self.turns:
            self.base.workspace.reset()
            self.changes, self.findings = [], []
            return
        self.changes, self.findings = self.agent.check(
            self.base, ChangeSet(self.intent, self.edits)
        )

    def diff(self) -> str:
        """The pending change's diff against the base."""
        return self.base.workspace.diff()

    def undo(self) -> bool:
        """Drop the last turn; False when there was none."""
        if not self.turns:
            return False
        self.turns.pop()
        self._refresh()
        return True

    def reset(self) -> None:
        """Drop every pending edit."""
        self.turns.clear()
        self._refresh()

    def validate(self) -> list[Finding]:
        """Validate the pending change again."""
        self._refresh()
        return self.findings

    def explain(self) -> list[str]:
        """One line per turn: the intent and the planner's rationale."""
        return [f"{intent}: {why or 'no rationale given'}" for intent, _, why in self.turns]

    def open_pr(self, title: str = "", *, force: bool = False) -> Proposal:
        """Commit the pending change to a new branch and open its pull request.

        Raises:
            UsageError: nothing is pending.
        """
        if not self.turns or not self.changes:
            raise UsageError("nothing to propose yet; describe a change first")
        intent = title.strip() or self.intent
        changeset = ChangeSet(
            intent,
            self.edits,
            rationale=" ".join(why for _, _, why in self.turns if why),
            planner=self.agent.planner.name,
            usage=self.usage,
        )
        proposal = self.agent.publish(
            self.base,
            intent,
            changeset,
            self.changes,
            self.findings,
            iterations=len(self.turns),
            force=force,
        )
        if proposal.branch:
            self.turns.clear()
            self.base = self.agent.load_base()
            self.changes, self.findings = [], []
        return replace(proposal)
