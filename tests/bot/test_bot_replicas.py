"""Two bot replicas sharing one PostgreSQL queue: every delivery runs once, wherever it lands."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesmith.store import Store
from tests.bot.conftest import BotServer, payload, seed_kubesmith_pull

BODY = (
    "**Intent:** scale checkout to 3\n\n"
    '<!-- kubesmith-metadata {"branch": "kubesmith/scale-checkout-to-3-4f1c2a9", '
    '"fingerprint": "", "proposal": "4f1c2a9b7d3e"} -->'
)


@pytest.mark.integration
def test_replicas_share_the_queue_and_the_replay_memory(tmp_path: Path, pg_url: str) -> None:
    replicas = [
        BotServer(tmp_path / f"replica-{i}", overrides={"store_url": pg_url}) for i in range(2)
    ]
    try:
        for r in replicas:
            r.start(concurrency=2)
        seed_kubesmith_pull(pg_url)
        for i in range(20):
            review = payload(
                "pull_request_review", state="commented", body=f"note {i}", number=12,
                pr_body=BODY, head_sha="1" * 40, base_sha="2" * 40,
            )  # fmt: skip
            first = replicas[i % 2].post("pull_request_review", review, delivery=f"r-{i}")
            again = replicas[(i + 1) % 2].post("pull_request_review", review, delivery=f"r-{i}")
            assert first.status_code == 202
            assert again.status_code == 200
            assert again.json()["duplicate"] is True
        jobs = replicas[0].wait_for("done", 20)
        assert len(jobs) == 20
        assert all(j["attempts"] == 1 for j in jobs)
    finally:
        for r in replicas:
            r.stop()
    with Store.open(pg_url) as store:
        (outcome,) = store.outcomes(proposal_id="4f1c2a9b7d3e")
    assert sorted(c.body for c in outcome.comments) == sorted(f"note {i}" for i in range(20))
