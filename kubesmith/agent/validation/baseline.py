""" "Already there": a finding's identity, and marking what a change did not cause.

A finding is the same finding before and after a change when the same validator says the same
rule about the same field of the same resource. Lines are not part of it (inserting or deleting
a document moves every line below it), and neither is the file for a finding about a resource
(a resource may move between files). The message stands in for the rule when there is none,
and the file for the resource when there is none (a file that does not parse).

The bot, ``kubesmith validate --base`` and the agent loop all use this one identity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from kubesmith.model import Finding, ResourceRef

Identity = tuple[str, ResourceRef | str | None, str | None, str]


def identity(f: Finding) -> Identity:
    """What makes ``f`` the same finding before and after a change (never its line)."""
    where: ResourceRef | str | None = f.ref if f.ref is not None else f.file
    return (f.validator, where, f.path, f.rule if f.rule else f"message:{f.message}")


def mark_preexisting(findings: Sequence[Finding], before: Iterable[Finding]) -> list[Finding]:
    """``findings`` with those the base already had flagged; errors among them no longer block
    (the change did not cause them), so they become warnings."""
    known = {identity(f) for f in before}
    out = []
    for f in findings:
        if identity(f) in known:
            severity = "warning" if f.severity == "error" else f.severity
            f = replace(f, severity=severity, preexisting=True)  # noqa: PLW2901
        out.append(f)
    return out


def unique(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` without repeats at the same place (two builds of one base say the same)."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for f in findings:
        key = (f.validator, f.severity, f.file, f.line, f.path, f.message, f.rule)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
