"""What the offline planner says when it does not understand: what it does, and the way out."""

from __future__ import annotations

EXAMPLES = (
    "scale checkout to 3",
    "increase cart replicas by 2",
    "set checkout image tag to 1.5.0 in prod",
    "set cart memory limit to 256Mi and its cpu request to 100m",
    "set env LOG_LEVEL=debug on checkout",
    "add env API_KEY from secret payments-secrets key provider-api-key to checkout",
    "add label team=payments to all backend deployments",
    "add a readiness probe on /healthz port 8080 to catalog",
    "expose payments on port 9100",
    "autoscale checkout from 2 to 10 at 70% cpu",
    "add a pdb for checkout with minAvailable 1",
    "set imagePullPolicy to Always on catalog",
    "harden payments",
)

LLM_HINT = (
    "For anything else use the LLM planner: --planner llm (or auto) with KUBESMITH_MODEL set "
    "(e.g. gpt-4o-mini) and OPENAI_API_KEY, or OPENAI_BASE_URL for any OpenAI-compatible server "
    "(docs/llm.md)."
)


def not_understood(text: str, hint: str = "") -> str:
    """The message of ``IntentNotUnderstood`` for the words ``text``."""
    missing = f" (missing: {hint})" if hint else ""
    examples = "\n".join(f"  - {e}" for e in EXAMPLES)
    return (
        f"the offline planner did not understand {text!r}{missing}.\n"
        f"It understands requests like:\n{examples}\n"
        f"(every phrasing: docs/intents.md). {LLM_HINT}"
    )
