"""What one run of the loop's plan-and-repair step produced, and how edits merge into a pending
change (a chat's earlier turns, or nothing for ``propose``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kubesmith.model import AddResource, Change, ChangeSet, Edit, Finding


@dataclass(frozen=True)
class Attempt:
    """What planning and its repair rounds produced: the change to publish and its verdicts.

    Attributes:
        changeset: the change checked last — the pending edits merged with the planner's, learned
            rules applied; its usage is summed over every round.
        changes: what applying it changed (the base workspace holds it applied).
        findings: the validators' verdicts on it.
        rounds: how many planning rounds ran (1 when no repair was needed).
    """

    changeset: ChangeSet
    changes: tuple[Change, ...]
    findings: tuple[Finding, ...]
    rounds: int


def _edit_key(edit: Edit) -> tuple[Any, ...]:
    if isinstance(edit, AddResource):
        return ("object", edit.ref.kind, edit.ref.name)
    path = getattr(edit, "path", None)
    return ("field", edit.ref.kind, edit.ref.name, edit.file, path, edit.op if not path else "")


def merge_edits(pending: Sequence[Edit], new: Sequence[Edit]) -> tuple[Edit, ...]:
    """Pending edits with ``new`` ones added; a new edit replaces one to the same target."""
    replaced = {_edit_key(e) for e in new}
    return tuple(e for e in pending if _edit_key(e) not in replaced) + tuple(new)
