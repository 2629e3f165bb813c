"""A conversation that shapes one pending change over several turns, then opens it as a PR.

Each turn runs the agent's own steps (:mod:`kubesmith.agent.loop`): planner context, planning
against the base branch, the approved rules reviewers taught, the refusal of a change reviewers
rejected, apply and validate, and the bounded repair round when validation fails — exactly as
``propose`` does. The turn's edits are merged into the pending change set: an edit to the same
field (or the same new object) replaces the earlier one, so "scale checkout to 3" followed by
"actually 4" ends as one edit. Every turn re-applies the whole pending set to the base and
validates it, so the diff and the verdicts shown are always those of the change that ``/pr``
would open, and ``/pr`` publishes it through the agent's publish step. Nothing touches the
repository until ``/pr``.

This module knows nothing of terminals; ``kubesmith chat`` drives it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubesmith.agent.attempt import Attempt, merge_edits
from kubesmith.agent.learning import PreviouslyRejected
from kubesmith.agent.loop import Agent, Base
from kubesmith.errors import EditRejected, UsageError
from kubesmith.model import Change, ChangeSet, Edit, Finding, Proposal, ResourceRef, Usage

__all__ = ["COMMANDS", "ChatSession", "TurnResult", "merge_edits", "parse_command"]

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
    rounds: int = 1
    """Planning rounds the turn took (more than 1: validation failed and the planner repaired)."""


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
    insisted: set[str] = field(default_factory=set)
    """Fingerprints of rejected changes the user chose to keep (``turn(..., force=True)``)."""

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

    def turn(self, intent: str, *, force: bool = False) -> TurnResult:
        """Plan ``intent`` with the agent's steps, merge it into the pending change, validate.

        Args:
            intent: what to change, in plain words.
            force: keep the change even if reviewers rejected this exact change before.

        Raises:
            UsageError: the intent is empty, not understood, or names nothing.
            PreviouslyRejected: the pending change would become one reviewers rejected.
            EditRejected: the merged change cannot be applied.
            In every case the pending change is unchanged.
        """
        intent = " ".join(intent.split())
        if not intent:
            raise UsageError("say what to change, or /help")
        pending = self.edits
        focus = self.focus
        # A follow-up such as "also give it a PDB" names no resource: the planner is asked again
        # about the resource the conversation is about.
        also = (f"{intent} for {focus.kind.lower()} {focus.name}",) if focus else ()
        try:
            attempt = self.agent.plan_and_repair(
                intent,
                self.base,
                context=self.agent.gather_context(intent),
                pending=pending,
                also_try=also,
                force=force,
            )
            if not attempt.changes and any(f.validator == "apply" for f in attempt.findings):
                raise EditRejected(next(f.message for f in attempt.findings))
        except (UsageError, EditRejected):
            self._refresh()  # a repair round may have applied an attempt: back to the pending
            raise
        if force:
            self._remember_insisted(attempt)
        return self._keep(intent, pending, attempt)

    def _keep(self, intent: str, pending: tuple[Edit, ...], attempt: Attempt) -> TurnResult:
        """Record the turn: its edits are those of the attempt that were not pending already."""
        changeset = attempt.changeset
        added = tuple(e for e in changeset.edits if e not in pending)
        self.usage = self.usage + changeset.usage
        self.turns.append((intent, added, changeset.rationale))
        self.changes, self.findings = list(attempt.changes), list(attempt.findings)
        return TurnResult(
            intent,
            added,
            self.changes,
            self.findings,
            self.diff(),
            changeset.rationale,
            changeset.questions,
            attempt.rounds,
        )

    def _remember_insisted(self, attempt: Attempt) -> None:
        try:
            self.agent.refuse_rejected(attempt.changeset)
        except PreviouslyRejected as e:
            self.insisted.add(e.fingerprint)

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
        # A rejected change the user chose to keep in a turn is published without asking again.
        force = force or self.agent.refuse_rejected(self.changes, force=True) in self.insisted
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
        return proposal
