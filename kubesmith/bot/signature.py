"""Webhook signatures: GitHub's ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body).

The comparison is constant-time (:func:`hmac.compare_digest`), so a forger learns nothing from
how long a refusal takes.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header value GitHub sends for ``body`` (what tests and the benchmark sign with)."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` is the signature of ``body`` under ``secret``.

    A missing header, another algorithm (``sha1=``) or an empty secret is never valid.
    """
    if not secret or not header or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())
