"""The pull request's face: title and body, shared by every forge.

The body is what a reviewer acts on: the intent, the resources changed, the verdict of each
validator, what planning cost, and a hidden metadata block later runs and the bot read back.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from kubesmith.model import Proposal

METADATA_RE = re.compile(r"<!-- kubesmith-metadata (\{.*?\}) -->", re.DOTALL)


def pr_title(proposal: Proposal, limit: int = 72) -> str:
    """The intent as a one-line title (prefixed when validation failed)."""
    title = " ".join(proposal.intent.split())
    if len(title) > limit:
        title = title[: limit - 1].rstrip() + "…"
    if any(f.validator == "effect" and f.severity == "error" for f in proposal.findings):
        return f"[unproven effect] {title}"
    return f"[failing validation] {title}" if proposal.blocked else title


def diff_stat(diff: str) -> dict[str, tuple[int, int]]:
    """Lines added and removed per file in a unified diff."""
    stats: dict[str, tuple[int, int]] = {}
    current = None
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            current = line.split(" b/", 1)[-1]
            stats[current] = (0, 0)
        elif current and line.startswith("+") and not line.startswith("+++"):
            a, r = stats[current]
            stats[current] = (a + 1, r)
        elif current and line.startswith("-") and not line.startswith("---"):
            a, r = stats[current]
            stats[current] = (a, r + 1)
    return stats


def validation_summary(proposal: Proposal, validators: tuple[str, ...] = ()) -> list[str]:
    """One line per validator: passed, or how many errors and warnings."""
    by_validator: dict[str, Counter[str]] = {v: Counter() for v in validators}
    for f in proposal.findings:
        by_validator.setdefault(f.validator, Counter())[f.severity] += 1
    lines = []
    for name, counts in by_validator.items():
        if counts["error"]:
            verdict = f"❌ {counts['error']} error(s)"
        elif counts["warning"]:
            verdict = f"⚠️ {counts['warning']} warning(s)"
        else:
            verdict = "✅ passed"
        lines.append(f"| {name} | {verdict} |")
    return lines


def pr_body(proposal: Proposal, validators: tuple[str, ...] = ()) -> str:
    """Markdown body for the proposal's pull request."""
    out = [f"**Intent:** {proposal.intent}", ""]
    if proposal.rationale:
        out += [proposal.rationale, ""]
    out += ["### Resources changed", "", "| resource | file | change |", "|---|---|---|"]
    for c in proposal.changes:
        what = c.operation + (f" `{c.path}`" if c.path else "")
        if c.operation == "set":
            what += f": `{_short(c.old)}` → `{_short(c.new)}`"
        out.append(f"| {c.ref or '-'} | `{c.file}` | {what} |")
    stats = diff_stat(proposal.diff)
    if stats:
        out += ["", "### Diff stat", ""]
        out += [f"- `{f}`: +{a} −{r}" for f, (a, r) in stats.items()]
    if proposal.rendered_diff:  # next to the source diff: what the deployed objects become
        out += ["", "### What changes in the deployed objects", ""]
        out += ["```", proposal.rendered_diff.rstrip(), "```"]
    summary = validation_summary(proposal, validators)
    if summary:
        out += ["", "### Validation", "", "| validator | result |", "|---|---|", *summary]
    if proposal.questions:
        out += ["", "### Questions for the reviewer", ""]
        out += [f"- {q}" for q in proposal.questions]
    if proposal.live_diff:
        out += ["", "<details><summary>Live diff (server-side dry-run)</summary>", ""]
        out += ["```diff", proposal.live_diff.rstrip(), "```", "", "</details>"]
    problems = [f for f in proposal.findings if f.severity != "info"]
    if problems:
        out += ["", "<details><summary>Findings</summary>", ""]
        for f in problems:
            out.append(f"- **{f.severity}** {f.validator} `{f.location()}`: {f.message}")
        out += ["", "</details>"]
    u = proposal.usage
    out += [
        "",
        f"_Planner: {proposal.planner}; iterations: {proposal.iterations}; model calls: "
        f"{u.calls}; tokens: {u.tokens_in} in / {u.tokens_out} out; est. cost: ${u.cost_usd:.4f}._",
    ]
    meta = {"proposal": proposal.id, "fingerprint": proposal.fingerprint, "branch": proposal.branch}
    out += ["", f"<!-- kubesmith-metadata {json.dumps(meta, sort_keys=True)} -->", ""]
    return "\n".join(out)


def read_metadata(body: str) -> dict[str, str] | None:
    """The metadata block of a body written by :func:`pr_body`, or None."""
    m = METADATA_RE.search(body or "")
    if not m:
        return None
    try:
        data = json.loads(m.group(1))
    except json.JSONDecodeError:
        return None
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None


def _short(value: object, limit: int = 40) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"
