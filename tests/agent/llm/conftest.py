"""LLM planner tests: model requests are blocked unless a test serves them itself.

Every test here runs with (1) no model configuration from the developer's environment, and (2) a
socket guard that refuses connections to anything but loopback, so a test can only talk to a
cassette (vcrpy intercepts before any socket) or to a server it started on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from pathlib import Path
from typing import Any

import pytest

CASSETTES = Path(__file__).parent / "cassettes"
_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "KUBESMITH_MODEL",
    "LANGSMITH_TRACING",
    "LANGCHAIN_TRACING_V2",
    "LANGSMITH_API_KEY",
    "KUBESMITH_PLANNER",
    "OPENAI_ORG_ID",
)


class ModelRequestBlocked(RuntimeError):
    """A test tried to reach a host other than loopback."""


def _loopback(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # unix sockets
    host = str(address[0])
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


RECORD_REAL = os.environ.get("KUBESMITH_RECORD_REAL") == "1"
"""Re-recording against the real API: keep the key and let requests out (README)."""


@pytest.fixture(autouse=True)
def _block_model_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    if RECORD_REAL:
        return
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        if not _loopback(address):
            raise ModelRequestBlocked(f"network access to {address!r} is blocked in tests")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _loopback(address):
            raise ModelRequestBlocked(f"network access to {address!r} is blocked in tests")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


_LOOPBACK_V1 = re.compile(r"^http://127\.0\.0\.1:\d+/v1")


def _as_openai(request: Any) -> Any:
    """File a request made to the scripted loopback server under the real API's address."""
    request.uri = _LOOPBACK_V1.sub("https://api.openai.com/v1", request.uri)
    return request


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """Credentials are never stored; a loopback recording is filed under the OpenAI host.

    Playback (``record_mode`` none) is pytest-recording's default; see cassettes/README.md for
    how the cassettes were made and how to re-record them.
    """
    return {
        "before_record_request": _as_openai,
        "filter_headers": [
            "authorization",
            "api-key",
            "openai-organization",
            "openai-project",
            "cookie",
            "set-cookie",
        ],
        "match_on": ["method", "scheme", "host", "port", "path", "query"],
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)
