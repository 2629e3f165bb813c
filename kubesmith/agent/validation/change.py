"""Validating a proposal's change: its tree written out, checked like a pull request.

The agent loop edits a workspace in memory; here the edited tree and the base tree are written
to temporary folders and handed to :func:`~kubesmith.agent.validation.validate.validate`, the
same function ``kubesmith validate`` and the bot call, with the changed files as ``only`` and
the base as ``base``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kubesmith.agent.validation.tree import written
from kubesmith.agent.validation.validate import validate
from kubesmith.model import Change, Finding
from kubesmith.tools.validator import Validator

if TYPE_CHECKING:
    from kubesmith.workspace import Workspace


def changed_files(changes: Sequence[Change]) -> set[str]:
    """The files ``changes`` touch (deleted ones included: they select the builds using them)."""
    return {c.file for c in changes}


def validate_change(
    ws: Workspace,
    changes: Sequence[Change],
    validators: Sequence[Validator],
    *,
    baseline: bool = True,
) -> list[Finding]:
    """Validate the files ``changes`` touch in ``ws`` (edits applied), as the bot would.

    With ``baseline``, findings the workspace had before its edits are marked pre-existing.
    """
    files = changed_files(changes)
    if not files:
        return []
    with written(ws) as head:
        if not baseline:
            return list(validate(head, validators, ws.settings, only=files).findings)
        with written(ws, proposed=False) as before:
            report = validate(head, validators, ws.settings, only=files, base=before)
    return list(report.findings)
