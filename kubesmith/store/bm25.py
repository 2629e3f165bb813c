"""A small Okapi BM25 ranker: the portable fallback when the database has no full-text index.

SQLite stores use FTS5's own ``bm25()``; PostgreSQL stores (and SQLite builds without FTS5) rank
here, over the most recent intents. Intents are one sentence each, so this stays fast for the
few thousand proposals a team accumulates.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"[a-z0-9]+")
STOP_WORDS = frozenset(
    {"a", "an", "and", "the", "to", "of", "in", "on", "for", "with", "by", "from", "is", "it"}
    | {"its", "be", "as", "at", "or", "set", "make", "give", "please"}
)
"""Words too common in intents to tell them apart."""


def tokens(text: str) -> list[str]:
    """Lower-case word stems (a crude suffix strip, enough to match 'replicas' with 'replica')."""
    out = []
    for word in _WORD.findall(text.lower()):
        if word in STOP_WORDS:
            continue
        stem = word
        for suffix in ("ing", "es", "ed", "s"):
            if len(word) > len(suffix) + 2 and word.endswith(suffix):
                stem = word[: -len(suffix)]
                break
        out.append(stem)
    return out


def rank(
    query: str, documents: Sequence[tuple[str, str]], k: int, k1: float = 1.2, b: float = 0.75
) -> list[tuple[str, float]]:
    """The ``k`` best ``(id, score)`` of ``documents`` (``(id, text)`` pairs) for ``query``.

    Only documents sharing at least one term with the query are returned; higher is better.
    """
    q = set(tokens(query))
    if not q or not documents:
        return []
    docs = [(doc_id, Counter(tokens(text))) for doc_id, text in documents]
    n = len(docs)
    avg_len = sum(sum(tf.values()) for _, tf in docs) / n or 1.0
    df = Counter(t for _, tf in docs for t in q if t in tf)
    scored: list[tuple[str, float]] = []
    for doc_id, tf in docs:
        length = sum(tf.values())
        score = 0.0
        for t in q:
            f = tf.get(t, 0)
            if not f:
                continue
            idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            score += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * length / avg_len))
        if score > 0:
            scored.append((doc_id, score))
    scored.sort(key=lambda x: (-x[1], x[0]))
    return scored[:k]
