"""Several ``kubesmith validate`` processes share one verdict cache (pre-commit runs hooks in
parallel): a process writing must never stop another from reading its verdicts."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from kubesmith.tools.schema.verdict_cache import VerdictCache


def _writer(path: str, started: multiprocessing.synchronize.Event, release: multiprocessing.synchronize.Event) -> None:  # fmt: skip
    """Another process in the middle of a write: it holds SQLite's write lock until released."""
    db = sqlite3.connect(path)
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT OR REPLACE INTO verdicts VALUES ('other', '[]', 0)")
    started.set()
    release.wait(60)
    db.commit()
    db.close()


@pytest.mark.slow
def test_reads_go_on_while_another_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "verdicts.sqlite3"
    cache = VerdictCache(path)
    cache.put_many({"a": {"status": "valid"}, "b": []})
    cache.put_stamps({"/repo/x.yaml": (10, 1, "digest", False)})

    ctx = multiprocessing.get_context("spawn")
    started, release = ctx.Event(), ctx.Event()
    writer = ctx.Process(target=_writer, args=(str(path), started, release))
    writer.start()
    try:
        assert started.wait(60)
        # WAL: readers see the last committed state without waiting for the writer
        reader = VerdictCache(path)
        assert reader.get_many(["a", "b", "missing"]) == {"a": {"status": "valid"}, "b": []}
        assert reader._broken is False
    finally:
        release.set()
        writer.join(60)
    assert writer.exitcode == 0
    assert VerdictCache(path).get_many(["other"]) == {"other": []}
