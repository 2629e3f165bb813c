"""A chat model that replays a script: for tests of code that drives the LLM planner.

Use it through :mod:`kubesmith.testing`::

    from kubesmith.testing import ScriptedChatModel, scripted_reply

    model = ScriptedChatModel(script=[
        scripted_reply(("set_field", {"kind": "Deployment", "name": "web",
                                      "path": "spec.replicas", "value": 3})),
        scripted_reply(("finish", {"rationale": "three replicas"})),
    ])
    planner = LLMPlanner(settings.llm, model=model)
    ...
    model.requests[0].messages   # what kubesmith sent on the first call

It is a real LangChain ``BaseChatModel``: ``bind_tools`` binds OpenAI-format tool specs, and each
call returns the next scripted ``AIMessage`` (or the result of a callable given the messages),
with usage metadata estimated from what was sent when the script gives none.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import PrivateAttr

from kubesmith.agent.llm.context import estimate_tokens

Step = AIMessage | Callable[[Sequence[BaseMessage]], AIMessage]


class ScriptExhausted(AssertionError):
    """The code under test made more model calls than the script has replies."""


@dataclass(frozen=True)
class ScriptedRequest:
    """One call the model received: the messages (copied as sent) and the bound tool specs."""

    messages: tuple[BaseMessage, ...]
    tools: tuple[dict[str, Any], ...]

    @property
    def text(self) -> str:
        """Every message's content and tool-call arguments, joined: handy for ``in`` checks."""
        parts = []
        for m in self.messages:
            parts.append(str(m.content))
            parts.extend(json.dumps(c.get("args")) for c in getattr(m, "tool_calls", []) or [])
        return "\n".join(parts)


def scripted_reply(*calls: tuple[str, dict[str, Any]], content: str = "") -> AIMessage:
    """An assistant message making the tool ``calls`` (name, arguments), with fresh call ids."""
    return AIMessage(
        content=content,
        tool_calls=[
            {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
            for name, args in calls
        ],
    )


class ScriptedChatModel(BaseChatModel):
    """Replays ``script`` one step per call and records every request in ``requests``."""

    script: list[Any]
    """AIMessages, or callables that take the sent messages and return one."""

    _requests: list[ScriptedRequest] = PrivateAttr(default_factory=list)

    @property
    def requests(self) -> list[ScriptedRequest]:
        """Every call received so far, oldest first."""
        return self._requests

    @property
    def _llm_type(self) -> str:
        return "kubesmith-scripted"

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[Any, AIMessage]:
        """Bind tool specs (any form LangChain converts) so requests record them."""
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        del stop, run_manager
        tools = tuple(kwargs.get("tools") or ())
        request = ScriptedRequest(tuple(m.model_copy(deep=True) for m in messages), tools)
        self._requests.append(request)
        if len(self._requests) > len(self.script):
            raise ScriptExhausted(
                f"the script has {len(self.script)} replies; call {len(self._requests)} has none"
            )
        step = self.script[len(self._requests) - 1]
        reply: AIMessage = step(messages) if callable(step) else step
        if reply.usage_metadata is None:
            sent = request.text + json.dumps(list(tools))
            out = str(reply.content) + json.dumps([c["args"] for c in reply.tool_calls])
            tokens_in, tokens_out = estimate_tokens(sent), estimate_tokens(out)
            reply = reply.model_copy(
                update={
                    "usage_metadata": {
                        "input_tokens": tokens_in,
                        "output_tokens": tokens_out,
                        "total_tokens": tokens_in + tokens_out,
                    }
                }
            )
        return ChatResult(generations=[ChatGeneration(message=reply)])
