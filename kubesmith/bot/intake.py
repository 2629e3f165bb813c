"""Reading a webhook delivery without trusting it: bounded body, signature, bounded JSON.

Anyone on the internet can POST to the bot, so nothing about a request is believed before it is
checked, and nothing is allowed to cost more than a legitimate delivery could:

* a request that declares (``Content-Length``) more than :data:`MAX_BODY` bytes, or that carries
  no ``sha256=`` signature at all, is answered before a byte of its body is read;
* the body is read in chunks into a buffer that stops at :data:`MAX_BODY` (a chunked or lying
  request is cut off there), while the HMAC is computed on the way;
* the JSON is parsed only once the signature matched, and a payload nested deeper than
  :data:`MAX_DEPTH` levels is refused (GitHub's payloads are about ten levels deep; a deeper one
  would only exhaust the recursion limits of the parser, pydantic or ``json.dumps`` later).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

from kubesmith.bot.signature import PREFIX

MAX_BODY = 25 * 1024 * 1024
"""GitHub caps webhook payloads at 25 MB; nothing larger is read."""
MAX_DEPTH = 64
"""Deepest JSON nesting accepted (arrays and objects)."""


class Refusal(Exception):
    """The delivery is refused: the HTTP status, the metrics label and the message."""

    def __init__(self, status: int, result: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.result = result
        self.message = message


def precheck(secret: str, content_length: str | None, signature: str | None) -> None:
    """Refuse what can be refused from the headers alone, before the body is read.

    Raises:
        Refusal: 413 for a declared body over :data:`MAX_BODY`; 401 without a signature.
    """
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise Refusal(400, "malformed", "invalid Content-Length") from None
        if declared > MAX_BODY:
            raise Refusal(413, "too-large", "payload too large")
    if not secret or not signature or not signature.strip().startswith(PREFIX):
        raise Refusal(401, "unauthorized", "missing or invalid signature")


async def read_signed(
    secret: str, chunks: AsyncIterator[bytes], signature: str, limit: int = MAX_BODY
) -> bytes:
    """The body from ``chunks``, at most ``limit`` bytes, checked against ``signature``.

    Raises:
        Refusal: 413 as soon as the body passes ``limit`` (the rest is never read); 401 when the
            signature does not match.
    """
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha256)
    body = bytearray()
    async for chunk in chunks:
        if len(body) + len(chunk) > limit:
            raise Refusal(413, "too-large", "payload too large")
        mac.update(chunk)
        body += chunk
    expected = (PREFIX + mac.hexdigest()).encode()
    if not hmac.compare_digest(expected, signature.strip().encode()):
        raise Refusal(401, "unauthorized", "missing or invalid signature")
    return bytes(body)


def parse_json(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """The payload, refusing invalid and too deeply nested JSON with a 400.

    Raises:
        Refusal: 400 for JSON that does not parse or nests deeper than ``max_depth``.
    """
    try:
        payload = json.loads(body)
    except RecursionError:
        raise Refusal(400, "malformed", "malformed payload: nested too deeply") from None
    except ValueError as e:
        raise Refusal(400, "malformed", f"malformed payload: {e}") from None
    if depth_exceeds(payload, max_depth):
        raise Refusal(400, "malformed", f"malformed payload: nested deeper than {max_depth}")
    return payload


def depth_exceeds(value: Any, max_depth: int) -> bool:
    """True when ``value`` nests lists/dicts deeper than ``max_depth`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False
