"""LLMPlanner: a LangChain chat model that plans through typed tools.

One ``plan()`` is a bounded conversation: kubesmith's fixed system prompt, the change request
with a relevance-chosen slice of the repository (redacted and fenced as untrusted data), then
rounds of tool calls until the model calls ``finish`` or ``answer``. Validation is not the
model's business: the agent loop validates what ``plan()`` returns and comes back with the
findings as a repair request.

Models whose tool calling is unreliable get the JSON fallback (``llm.tool_calling: json``, or
automatically after repeated malformed tool calls): one reply holding the whole ChangeSet.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from kubesmith.agent.llm import chat
from kubesmith.agent.llm.context import Budget, RepoView, estimate_tokens
from kubesmith.agent.llm.edit_tools import ToolBox, describe_edits, tool_specs
from kubesmith.agent.llm.safety import PathGuard, Redactor, defuse, delimit
from kubesmith.agent.llm.usage import Meter
from kubesmith.agent.planner import PlanContext
from kubesmith.agent.steps import report
from kubesmith.config import ModelSettings
from kubesmith.errors import RunError
from kubesmith.model import ChangeSet, Finding, Usage
from kubesmith.prompts import load_prompt, render_prompt

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage

    from kubesmith.workspace import Workspace

ToolCalling = Literal["auto", "tools", "json"]
MAX_MODEL_CALLS = 16
"""Model calls in one plan(): enough for reading a few resources and a handful of edits."""
MALFORMED_ROUNDS_BEFORE_JSON = 2
CONTEXT_LIMIT_TOKENS = 48_000
"""The conversation is trimmed (oldest tool results first) to stay under this estimate."""
_TRIMMED = "[trimmed by kubesmith to fit the context window; call the tool again if needed]"
_OP_TOOL = {
    "set": "set_field",
    "remove": "remove_field",
    "merge": "merge_patch",
    "add": "add_resource",
    "delete": "delete_resource",
}


class LLMPlanner:
    """Plans edits with a chat model bound to kubesmith's tools.

    Args:
        settings: model, base URL, temperature, budget and prices (``llm`` in settings).
        model: a ready chat model (tests pass a ``ScriptedChatModel``); built from ``settings``
            when omitted.
        tool_calling: ``auto`` (tools, JSON after malformed calls), ``tools`` or ``json``;
            default ``llm.tool_calling``.
        budget: sizes of the first prompt's repository section.
        retry_backoff_s: first pause between retries of a transient failure (doubles each time).
        sleep: how to pause (tests pass a no-op).
    """

    name = "llm"

    def __init__(
        self,
        settings: ModelSettings,
        model: BaseChatModel | None = None,
        *,
        tool_calling: ToolCalling | None = None,
        budget: Budget | None = None,
        retry_backoff_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.model = model if model is not None else chat.build_chat_model(settings)
        self.tool_calling: ToolCalling = tool_calling or settings.tool_calling
        self.rounds = 0
        self.budget = budget or Budget()
        self.meter = Meter(settings)
        self.retry_backoff_s = retry_backoff_s
        self.sleep = sleep
        self.json_fallback = self.tool_calling == "json"

    # ------------------------------------------------------------------ public

    def plan(
        self,
        intent: str,
        workspace: Workspace,
        *,
        findings: Sequence[Finding] = (),
        previous: ChangeSet | None = None,
        context: PlanContext | None = None,
    ) -> ChangeSet:
        """Plan ``intent`` (or repair ``previous`` given its error ``findings``).

        Raises:
            BudgetExceeded: the intent's token or cost budget is spent.
            ConfigError: the endpoint refused the credentials or the model name.
            RunError: the endpoint kept failing, or the model never finished.
        """
        if previous is None:
            self.meter.reset()
            self.rounds = 0
        self.rounds += 1
        start = self.meter.spent
        if workspace.modified_files():
            workspace.reset()  # plan against the base, not the previous round's edits
        redactor = Redactor()
        view = RepoView(workspace, redactor, self.budget)
        box = ToolBox(workspace, view, PathGuard(workspace.settings, intent), redactor, intent)
        prompt = self._first_prompt(intent, view, findings, previous, context)
        if self.json_fallback:
            self._json_conversation(prompt, box)
        else:
            self._tool_conversation(prompt, box)
        spent = self.meter.spent
        return ChangeSet(
            intent=intent,
            edits=tuple(box.edits),
            rationale=box.rationale or "\n".join(box.questions),
            planner=self.name,
            questions=tuple(box.questions),
            usage=Usage(
                calls=spent.calls - start.calls,
                tokens_in=spent.tokens_in - start.tokens_in,
                tokens_out=spent.tokens_out - start.tokens_out,
                latency_s=round(spent.latency_s - start.latency_s, 4),
                cost_usd=spent.cost_usd - start.cost_usd,
            ),
        )

    # ------------------------------------------------------------------ prompts

    def _first_prompt(
        self,
        intent: str,
        view: RepoView,
        findings: Sequence[Finding],
        previous: ChangeSet | None,
        context: PlanContext | None,
    ) -> str:
        conventions = ""
        if context is not None and (context.rules or context.examples):
            conventions = render_prompt(
                "conventions",
                rules="\n".join(f"- {r}" for r in context.rules) or "(none)",
                examples=delimit("\n".join(context.examples), "past reviews")
                if context.examples
                else "(none)",
            )
        text = render_prompt(
            "task",
            intent=defuse(intent),
            conventions=conventions,
            summary=view.summary(),
            context=view.context(intent),
        )
        if previous is not None:
            errors = [f for f in findings if f.severity == "error"] or list(findings)
            listed = "\n".join(
                f"- {f.validator} {f.location()}"
                + (f" {f.ref}" if f.ref else "")
                + (f" at {f.path}" if f.path else "")
                + f": {f.message}"
                + (f" [{f.rule}]" if f.rule else "")
                for f in errors
            )
            text += "\n\n" + render_prompt(
                "repair",
                round=str(self.rounds),
                previous=delimit(describe_edits(previous.edits, view.redactor), "previous edits"),
                findings=delimit(view.redactor.text(listed or "(no details)"), "validators"),
            )
        return text

    def _start(self, prompt: str) -> list[BaseMessage]:
        from langchain_core.messages import HumanMessage, SystemMessage

        return [SystemMessage(load_prompt("system")), HumanMessage(prompt)]

    # ------------------------------------------------------------------ conversations

    def _call(self, runnable: Any, messages: list[BaseMessage]) -> AIMessage:
        self.meter.check()
        _fit(messages)
        sent = "".join(str(m.content) for m in messages)
        started = time.perf_counter()
        reply = chat.invoke(runnable, messages, backoff_s=self.retry_backoff_s, sleep=self.sleep)
        self.meter.record(reply, sent, started)
        return reply

    def _tool_conversation(self, prompt: str, box: ToolBox) -> None:
        from langchain_core.messages import HumanMessage, ToolMessage

        bound = self.model.bind_tools(tool_specs())
        messages = self._start(prompt)
        nudged = False
        malformed_rounds = 0
        for _ in range(MAX_MODEL_CALLS):
            reply = self._call(bound, messages)
            messages.append(reply)
            _report(reply)
            refusal = reply.additional_kwargs.get("refusal")
            if refusal:
                box.questions.append(f"The model declined: {refusal}")
                return
            calls = list(reply.tool_calls)
            invalid = list(reply.invalid_tool_calls)
            if not calls and not invalid:
                if nudged:
                    text = str(reply.content).strip() or "the model made no edit"
                    box.questions.append(text)
                    return
                nudged = True
                messages.append(
                    HumanMessage("Reply through the tools only: edit, then call finish or answer.")
                )
                continue
            for bad in invalid:
                box.errors += 1
                messages.append(
                    ToolMessage(
                        f"ERROR: the arguments of {bad.get('name')!r} are not valid JSON "
                        f"({bad.get('error') or 'unparsable'}); send the call again",
                        tool_call_id=bad.get("id") or "",
                    )
                )
            bad_args = 0
            for call in calls:
                result = box.call(call["name"], call["args"])
                bad_args += result.startswith("ERROR: invalid arguments") or result.startswith(
                    "ERROR: there is no tool"
                )
                messages.append(ToolMessage(result, tool_call_id=call.get("id") or ""))
            malformed_rounds = malformed_rounds + 1 if (invalid or bad_args) else 0
            if box.finished:
                return
            if self.tool_calling == "auto" and malformed_rounds >= MALFORMED_ROUNDS_BEFORE_JSON:
                self.json_fallback = True  # for the rest of this planner's life
                box.edits.clear()
                self._json_conversation(prompt, box)
                return
        if not box.edits:
            raise RunError(f"the model did not finish within {MAX_MODEL_CALLS} calls")
        box.rationale = f"(the model did not call finish within {MAX_MODEL_CALLS} calls)"

    def _json_conversation(self, prompt: str, box: ToolBox) -> None:
        from langchain_core.messages import HumanMessage

        messages = self._start(prompt + "\n\n" + load_prompt("json_mode"))
        for _ in range(3):
            reply = self._call(self.model, messages)
            messages.append(reply)
            errors = self._apply_json(str(reply.content), box)
            if not errors:
                return
            box.edits.clear()
            messages.append(
                HumanMessage(
                    "Your reply could not be used:\n" + "\n".join(errors) + "\nReply again."
                )
            )
        raise RunError("the model's JSON replies could not be used after 3 attempts")

    def _apply_json(self, content: str, box: ToolBox) -> list[str]:
        match = re.search(r"\{.*\}", content, re.DOTALL)
        try:
            data = json.loads(match.group(0) if match else content)
        except json.JSONDecodeError as e:
            return [f"ERROR: not one JSON object ({e})"]
        if not isinstance(data, dict) or not isinstance(data.get("edits", []), list):
            return ["ERROR: expected an object with an 'edits' list"]
        errors = []
        for i, raw in enumerate(data.get("edits", [])):
            args = dict(raw) if isinstance(raw, dict) else {}
            tool = _OP_TOOL.get(str(args.pop("op", "")))
            if tool is None:
                errors.append(f"edit {i}: 'op' must be one of {', '.join(_OP_TOOL)}")
                continue
            args = {k: v for k, v in args.items() if v is not None or k == "value"}
            result = box.call(tool, args)
            if result.startswith("ERROR"):
                errors.append(f"edit {i}: {result}")
        if not errors:
            box.rationale = str(data.get("rationale") or "")
            box.questions.extend(str(q) for q in data.get("questions") or [])
        return errors


def _report(reply: AIMessage) -> None:
    text = str(reply.content).strip()
    if text:
        report(text)
    for call in reply.tool_calls:
        args = ", ".join(f"{k}={v!r}" for k, v in call["args"].items())
        report(f"→ {call['name']}({args[:160]})")


def _fit(messages: list[BaseMessage]) -> None:
    """Trim the oldest tool results until the conversation fits :data:`CONTEXT_LIMIT_TOKENS`."""
    total = sum(estimate_tokens(str(m.content)) for m in messages)
    if total <= CONTEXT_LIMIT_TOKENS:
        return
    for m in messages[2:-2]:
        if m.type == "tool" and m.content != _TRIMMED:
            total -= estimate_tokens(str(m.content)) - estimate_tokens(_TRIMMED)
            m.content = _TRIMMED
            if total <= CONTEXT_LIMIT_TOKENS:
                return
