"""LLM planner tests: model requests are blocked unless a test serves them itself.

Every test here runs with (1) no model configuration from the developer's environment, and (2) a
socket guard that refuses connections to anything but loopback, so a test can only talk to a
cassette (vcrpy intercepts before any socket) or to a server it started on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest

CASSETTES = Path(__file__).parent / "cassettes"
_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "KUBESMITH_MODEL",
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


@pytest.fixture(autouse=True)
def _block_model_requests(monkeypatch: pytest.MonkeyPatch) -> None:
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


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """Playback only; credentials never stored (see cassettes/README.md for re-recording)."""
    return {
        "record_mode": "none",
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
