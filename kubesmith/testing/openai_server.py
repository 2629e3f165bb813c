"""A tiny OpenAI-compatible Chat Completions server on 127.0.0.1 that serves scripted replies.

Where no model can be reached (CI, this project's own development machine), the LLM planner is
still exercised through its real client code: the openai client and langchain-openai talk HTTP
to this server exactly as they would to a hosted model or a local vLLM/Ollama server. The reply
bodies follow the Chat Completions API reference (``chat.completion`` objects whose
``choices[].message.tool_calls[].function.arguments`` is a JSON *string*, ``finish_reason`` and
``usage``).

Used by the eval harness's replay mode (:mod:`kubesmith.evals.replay`) and by the LLM planner's
end-to-end tests and cassette recordings.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "gpt-4o-mini-2024-07-18"
_ids = itertools.count(1)


@dataclass
class Reply:
    """One scripted HTTP reply."""

    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Step = Reply | Callable[[dict[str, Any]], Reply]
"""A scripted step: a fixed reply, or a function of the request body returning one."""


def _completion(message: dict[str, Any], finish: str, usage: tuple[int, int]) -> Reply:
    n = next(_ids)
    return Reply(
        {
            "id": f"chatcmpl-kubesmith{n:04d}",
            "object": "chat.completion",
            "created": 1764230400 + n,
            "model": MODEL,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            ],
            "usage": {
                "prompt_tokens": usage[0],
                "completion_tokens": usage[1],
                "total_tokens": usage[0] + usage[1],
            },
            "system_fingerprint": "fp_kubesmith",
        }
    )


def tool_calls(
    *calls: tuple[str, dict[str, Any] | str], usage: tuple[int, int] = (900, 40)
) -> Reply:
    """An assistant turn calling tools; a ``str`` argument is sent verbatim (malformed JSON)."""
    return _completion(
        {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "tool_calls": [
                {
                    "id": f"call_k{next(_ids):05d}",
                    "type": "function",
                    "function": {
                        "name": name,
                        "arguments": args if isinstance(args, str) else json.dumps(args),
                    },
                }
                for name, args in calls
            ],
        },
        "tool_calls",
        usage,
    )


def text(content: str, usage: tuple[int, int] = (900, 12)) -> Reply:
    """A plain assistant message (no tool call)."""
    return _completion({"role": "assistant", "content": content, "refusal": None}, "stop", usage)


def refusal(message: str, usage: tuple[int, int] = (900, 12)) -> Reply:
    """The model declines (the ``refusal`` field of the assistant message)."""
    return _completion({"role": "assistant", "content": None, "refusal": message}, "stop", usage)


def error(status: int, message: str) -> Reply:
    """An API error body as the API reference shows it, with an immediate retry hint."""
    kind = "rate_limit_exceeded" if status == 429 else "server_error"
    return Reply(
        {"error": {"message": message, "type": kind, "param": None, "code": kind}},
        status,
        {"retry-after-ms": "10"},
    )


def _exhausted(_: dict[str, Any]) -> Reply:
    return error(500, "no reply left")


class ScriptedOpenAI:
    """Serves ``replies`` in order to ``POST /v1/chat/completions`` and records the requests.

    Args:
        replies: the script; a callable step is called with the request body.
        when_exhausted: the reply once the script is used up (default: an HTTP 500 error).
    """

    def __init__(
        self,
        replies: list[Step] | list[Reply],
        when_exhausted: Callable[[dict[str, Any]], Reply] = _exhausted,
    ) -> None:
        self.replies: list[Step] = list(replies)
        self.when_exhausted = when_exhausted
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(body)
                    server.headers.append(dict(self.headers))
                    step = server.replies.pop(0) if server.replies else server.when_exhausted
                reply = step if isinstance(step, Reply) else step(body)
                if not self.path.endswith("/chat/completions"):
                    reply = error(404, f"unknown path {self.path}")
                data = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def base_url(self) -> str:
        """The ``/v1`` root to give the client as its base URL."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @contextmanager
    def running(self) -> Iterator[ScriptedOpenAI]:
        """Serve in a background thread for the duration of the ``with`` block."""
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()
            thread.join(timeout=5)
