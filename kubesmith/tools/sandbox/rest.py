"""A minimal HTTPS JSON client for the sandbox's own bookkeeping (readiness, CRDs, namespaces).

The sandbox must not pay the kubernetes client's import time (about a second) just to poll
``/readyz`` and post a few CRDs, so it speaks plain HTTP with the standard library.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Response:
    """Status code and decoded body (``None`` when the body is not JSON)."""

    status: int
    body: Any
    text: str
    warnings: tuple[str, ...] = ()
    """The server's ``Warning`` headers (e.g. admission policies with ``Warn`` actions)."""


class Rest:
    """Talks to one API server as the sandbox admin (client certificate authentication)."""

    def __init__(self, server: str, ca: Path, cert: Path, key: Path, timeout: float = 5.0) -> None:
        self.server = server.rstrip("/")
        self.timeout = timeout
        self._ctx = ssl.create_default_context(cafile=str(ca))
        self._ctx.load_cert_chain(str(cert), str(key))

    def request(self, method: str, path: str, body: Any = None) -> Response:
        """Send one request; HTTP errors come back as a :class:`Response`, never raise.

        Raises:
            OSError: when the server cannot be reached (refused, reset, timed out).
        """
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self._ctx) as resp:
                return _response(resp.status, resp.read(), resp.headers.get_all("Warning"))
        except urllib.error.HTTPError as e:
            return _response(e.code, e.read(), e.headers.get_all("Warning"))

    def get(self, path: str) -> Response:
        """``GET path``."""
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> Response:
        """``POST path`` with a JSON body."""
        return self.request("POST", path, body)


def _response(status: int, raw: bytes, warnings: list[str] | None = None) -> Response:
    text = raw.decode("utf-8", errors="replace")
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    return Response(status, body, text, tuple(_warning_text(w) for w in warnings or ()))


def _warning_text(header: str) -> str:
    """``299 - "text"`` → ``text`` (RFC 7234 warning syntax, as the API server sends it)."""
    code, _, rest = header.partition(" ")
    _agent, _, quoted = rest.partition(" ")
    if code.isdigit() and quoted.startswith('"') and quoted.endswith('"'):
        return quoted[1:-1].replace('\\"', '"')
    return header
