"""Asking the user before ``open_pr`` writes anything, through MCP elicitation.

A coding agent calls tools on its own; a pull request is the one thing this server does that
others see, so the user (not the agent) must say yes. The question goes to the client as a form
elicitation, which the client shows to its user. A client that cannot ask (it declared no
elicitation capability) is refused, unless the user started the server with
``--allow-pr-without-confirmation`` and so said yes for every proposal in advance.

The question is asked by an SDK resolver, before the tool body runs, so it works on both the
handshake-era protocol (a server-to-client request mid-call) and the newer one (an input-required
result the client answers by retrying).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from mcp.server.mcpserver import Context, Elicit
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from kubesmith.errors import KubesmithError
from kubesmith.mcp.tools import Planned, Workbench


class Confirmation(BaseModel):
    """The user's answer to "open this pull request?"."""

    confirm: bool = Field(description="Open the pull request (commit to a new branch).")


def question(planned: Planned) -> str:
    """What the user is asked: the intent, the files and the base branch (no values)."""
    files = sorted({c.file for c in planned.attempt.changes})
    shown = ", ".join(files[:10]) + (f" and {len(files) - 10} more" if len(files) > 10 else "")
    return (
        f"kubesmith: open a pull request on {planned.base.name} for "
        f"{planned.intent!r}? It commits {len(planned.attempt.changes)} change(s) in {shown} "
        "to a new branch; nothing is applied to a cluster."
    )


ConfirmResolver = Callable[[str, Context], Awaitable[Elicit[Confirmation] | Confirmation]]


def confirmer(workbench: Workbench, *, allow_without_confirmation: bool) -> ConfirmResolver:
    """The resolver that fills ``open_pr``'s answer: a question for the user, or a refusal.

    Raises (from the resolver):
        ToolError: unknown or blocked proposal, or a client that cannot ask its user.
    """

    async def confirm(proposal_id: str, ctx: Context) -> Elicit[Confirmation] | Confirmation:
        try:
            planned = workbench.planned(proposal_id)
        except KubesmithError as e:
            raise ToolError(str(e)) from None
        caps = ctx.client_capabilities
        if caps is None or caps.elicitation is None:
            if allow_without_confirmation:
                return Confirmation(confirm=True)
            raise ToolError(
                "this MCP client cannot ask its user to confirm (no elicitation capability), so "
                "no pull request was opened; use a client that supports elicitation, run "
                "`kubesmith propose` yourself, or start the server with "
                "--allow-pr-without-confirmation"
            )
        return Elicit(question(planned), Confirmation)

    return confirm
