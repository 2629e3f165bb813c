"""Feedback store throughput and retrieval latency (SQLite, the default store).

Measures: saving proposals one transaction each (what the CLI does), concurrent writers from
threads, ``similar()`` latency over N proposals with FTS5 and with the Python BM25 fallback (the
PostgreSQL path, forced here on SQLite), and the ``feedback`` suite's wall time.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

from kubesmith.model import Change, Proposal, ResourceRef
from kubesmith.store import Store

_WORDS = ("scale", "memory", "limit", "image", "label", "cpu", "request", "env", "probe", "tag")
_NAMES = ("checkout", "cart", "catalog", "payments", "frontend", "redis", "search", "auth")


def _proposal(i: int) -> Proposal:
    name = _NAMES[i % len(_NAMES)]
    intent = f"{_WORDS[i % 10]} {name} {_WORDS[(i * 7) % 10]} to {i % 9 + 1}"
    ref = ResourceRef("apps/v1", "Deployment", name)
    change = Change(f"base/{name}.yaml", ref, "set", "spec.replicas", 1, i % 9 + 1)
    return Proposal(f"p{i:07d}", intent, "offline", "main", None, None, (change,), "")


def _similar_ms(store: Store, queries: int = 50) -> float:
    times = []
    for q in range(queries):
        started = time.perf_counter()
        store.similar(f"{_WORDS[q % 10]} {_NAMES[q % 8]} limit", k=5)
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def run(n: int = 5000) -> dict[str, object]:
    """Figures for ``n`` stored proposals."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        started = time.perf_counter()
        for i in range(n):
            store.save_proposal(_proposal(i))
        save_s = time.perf_counter() - started

        errors: list[BaseException] = []

        def writer(t: int) -> None:
            try:
                for i in range(250):
                    store.save_proposal(_proposal(n + t * 1000 + i))
            except BaseException as e:  # reported in the figures
                errors.append(e)

        threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        threaded_s = time.perf_counter() - started

        fts_ms = _similar_ms(store)
        store._fts = False  # force the Python BM25 path PostgreSQL stores use
        python_ms = _similar_ms(store)
        store.close()

    from kubesmith.evals.feedback_suite import run_feedback_suite

    started = time.perf_counter()
    suite = run_feedback_suite(control=False)
    return {
        "proposals": n,
        "save_per_s": round(n / save_s, 1),
        "threaded_4x250_saves_per_s": round(1000 / threaded_s, 1),
        "threaded_errors": len(errors),
        "similar_fts5_median_ms": fts_ms,
        "similar_python_bm25_median_ms": python_ms,
        "feedback_suite_s": round(time.perf_counter() - started, 2),
        "feedback_first10": suite["first10_acceptance"],
        "feedback_last10": suite["last10_acceptance"],
        "feedback_events": suite["feedback_events"],
    }


if __name__ == "__main__":
    print(run())
