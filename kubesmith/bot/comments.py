"""What the bot writes on a pull request: the ONE validation comment, replies, the status line.

Each comment carries a hidden marker (``<!-- kubesmith:... -->``) so the bot finds and updates
its own comment instead of adding another — also after a crash and a retry.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubesmith.agent.validation.report import rule_id, summary
from kubesmith.model import Finding

VALIDATION_MARKER = "validation"
MAX_ROWS = 100
_ICON = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}
_ORDER = {"error": 0, "warning": 1, "info": 2}


def reply_marker(comment_id: int) -> str:
    """The marker of the bot's reply to one ``/kubesmith`` comment."""
    return f"reply-{comment_id}"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def counts_line(findings: Sequence[Finding]) -> str:
    """``1 error, 2 warnings`` (or ``no problems``)."""
    s = summary(findings)
    if not s["errors"] and not s["warnings"]:
        return "no problems"
    return f"{s['errors']} error(s), {s['warnings']} warning(s)"


def status_of(findings: Sequence[Finding], files: int) -> tuple[str, str]:
    """The commit status (``success``/``failure``) and its description for ``findings``."""
    state = "failure" if any(f.severity == "error" for f in findings) else "success"
    first = next((f for f in findings if f.severity == "error"), None)
    detail = f": {first.location()}" if first is not None and first.location() else ""
    return state, f"{counts_line(findings)} in {files} changed manifest file(s){detail}"


def validation_comment(
    findings: Sequence[Finding],
    files: Sequence[str],
    *,
    head_sha: str,
    blob_url: str = "",
    validators: Sequence[str] = (),
) -> str:
    """The consolidated comment: a verdict line, then one row per finding with ``file:line``.

    Args:
        findings: what the validators found in the changed files.
        files: the changed manifest files that were checked.
        head_sha: the commit checked.
        blob_url: ``https://host/owner/repo/blob/<sha>``, to link each ``file:line``.
        validators: the validators that ran.
    """
    shown = sorted(
        (f for f in findings if f.severity != "info"),
        key=lambda f: (_ORDER[f.severity], f.file or "", f.line or 0),
    )
    verdict = "❌" if any(f.severity == "error" for f in shown) else "✅"
    ran = ", ".join(validators) or "none"
    out = [
        f"### {verdict} kubesmith: {counts_line(findings)}",
        "",
        f"Checked {len(files)} changed manifest file(s) at `{head_sha[:12]}` (validators: {ran}).",
    ]
    if shown:
        out += ["", "| | where | finding | rule |", "|---|---|---|---|"]
        for f in shown[:MAX_ROWS]:
            where = f.location() or "-"
            if blob_url and f.file:
                anchor = f"#L{f.line}" if f.line else ""
                where = f"[`{where}`]({blob_url}/{f.file}{anchor})"
            else:
                where = f"`{where}`"
            what = f"`{f.path}`: {f.message}" if f.path else f.message
            pre = " (already on the base branch)" if f.preexisting else ""
            out.append(
                f"| {_ICON[f.severity]} {f.severity} | {where} | {_cell(what)}{pre} | "
                f"`{_cell(rule_id(f))}` |"
            )
        if len(shown) > MAX_ROWS:
            out.append(f"\n…and {len(shown) - MAX_ROWS} more.")
    out += [
        "",
        "<sub>Updated on every push. Comment `/kubesmith help` for commands.</sub>",
    ]
    return "\n".join(out)


def failure_comment(what: str, error: BaseException) -> str:
    """What the bot says when a job failed for good (after its retries)."""
    return (
        f"### ⚠️ kubesmith could not {what}\n\n"
        f"```\n{str(error)[:1500]}\n```\n\n"
        "It retried with backoff and gave up; push again or comment `/kubesmith validate` to retry."
    )


HELP = """\
### kubesmith commands

| comment | what it does |
|---|---|
| `/kubesmith <intent>` | propose a change, e.g. `/kubesmith give checkout a 256Mi memory limit`: \
validated, then opened as a pull request into this branch (pushed as a commit when this is \
kubesmith's own pull request) |
| `/kubesmith validate` | validate the manifests this pull request changes again |
| `/kubesmith explain` | explain kubesmith's proposal (on its pull requests) or each finding |
| `/kubesmith help` | this list |

Only people with write access to the repository can run commands. The configuration comes from \
`.kubesmith.yaml` on the base branch."""


def refusal(login: str, permission: str) -> str:
    """The polite answer to someone without write access."""
    return (
        f"Sorry @{login}, `/kubesmith` commands need write access to this repository "
        f"(you have `{permission}`). A maintainer can run the command for you."
    )
