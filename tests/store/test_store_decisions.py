"""One decision per pull request and one pull request per change, under real concurrency.

Pull requests are keyed by forge + repository + number; a decision is a compare-and-set; the
right to open a pull request for a change is a claim guarded by a unique constraint. Each test
runs against a SQLite file and a PostgreSQL server (tests/store/conftest.py).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from kubesmith.errors import UsageError
from kubesmith.model import Outcome, PullRequest
from kubesmith.store import Store
from kubesmith.store.engine import make_engine, migrate
from tests.store.test_store import proposal


def gh(number: str, repository: str, status: str = "open") -> PullRequest:
    return PullRequest(
        "github", number, f"https://gh/{repository}/pull/{number}", status, "t", repository
    )  # type: ignore[arg-type]


def test_two_repositories_pull_request_101_are_two_records(
    open_store: Callable[[], Store],
) -> None:
    store = open_store()
    for pid, repo in (("aaaa1111", "acme/shop"), ("bbbb2222", "acme/infra")):
        store.save_proposal(proposal(pid))
        store.save_pull_request(
            pid, gh("101", repo), title=repo, body="", base="main", branch=f"kubesmith/{pid}"
        )
    assert len(store.list_pull_requests(forge="github")) == 2
    merged = gh("101", "acme/shop", "accepted")
    store.record_outcome(Outcome("aaaa1111", merged, "accepted"))
    shop = store.get_pull_request("101", "github", "acme/shop")
    infra = store.get_pull_request("101", "github", "acme/infra")
    assert (shop.pr.status, shop.proposal_id) == ("accepted", "aaaa1111")
    assert (infra.pr.status, infra.proposal_id) == ("open", "bbbb2222")
    assert infra.title == "acme/infra"
    with pytest.raises(UsageError, match="ambiguous"):
        store.get_pull_request("101", "github")


def test_a_decision_is_compare_and_set(open_store: Callable[[], Store]) -> None:
    store = open_store()
    store.save_proposal(proposal())
    store.save_pull_request("a1b2c3d4", PullRequest("local", "a1b2c3d4", "u"), title="t",
                            body="", base="main", branch="b")  # fmt: skip
    store.set_pull_request_status("a1b2c3d4", "local", "rejected", "no", expect="open")
    with pytest.raises(UsageError, match="already rejected"):
        store.set_pull_request_status("a1b2c3d4", "local", "accepted", expect="open")
    record = store.get_pull_request("a1b2c3d4")
    assert (record.pr.status, record.reason) == ("rejected", "no")


def _decide(
    store: Store, pid: str, status: str, barrier: threading.Barrier, won: list[str]
) -> None:
    barrier.wait()
    try:
        store.set_pull_request_status(pid, "local", status, f"why {status}", expect="open")
        won.append(status)
    except UsageError:
        pass


def test_concurrent_decisions_one_wins(open_store: Callable[[], Store]) -> None:
    """Twelve rounds of accept and reject racing on separate connections: exactly one decides."""
    stores = [open_store(), open_store()]
    for round_no in range(12):
        pid = f"race{round_no:04d}"
        stores[0].save_proposal(proposal(pid))
        stores[0].save_pull_request(pid, PullRequest("local", pid, "u"), title="t", body="",
                                    base="main", branch=pid)  # fmt: skip
        barrier = threading.Barrier(2)
        won: list[str] = []
        threads = [
            threading.Thread(target=_decide, args=(store, pid, status, barrier, won))
            for store, status in zip(stores, ("accepted", "rejected"), strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(won) == 1, won
        record = stores[0].get_pull_request(pid)
        assert (record.pr.status, record.reason) == (won[0], f"why {won[0]}")


CLAIM = (
    "import sys\nfrom kubesmith.store import Store\n"
    "s = Store.open(sys.argv[1])\n"
    "h = s.claim_change(sys.argv[2], forge='local', repository='', base='main', fingerprint='fp1')\n"
    "print('won' if h is None else 'lost:' + h)\n"
)


@pytest.mark.slow  # four processes
def test_identical_proposals_at_once_one_claim(store_url: str) -> None:
    """Four processes claim the same change at once: one wins, three name the winner."""
    Store.open(store_url).close()  # migrate first, so the race is on the claim only
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM, store_url, f"prop{i}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    winners = [f"prop{i}" for i, o in enumerate(outs) if o == "won"]
    assert len(winners) == 1, outs
    assert sorted(outs) == [f"lost:{winners[0]}"] * 3 + ["won"]


def test_a_claim_is_released_by_the_decision_and_by_failure(
    open_store: Callable[[], Store],
) -> None:
    store = open_store()
    key = {"forge": "local", "repository": "", "base": "main", "fingerprint": "fp1"}
    assert store.claim_change("p1", **key) is None
    assert store.claim_change("p1", **key) is None  # the holder may ask again
    assert store.claim_change("p2", **key) == "p1"
    store.release_claim("p1")  # e.g. the forge refused
    assert store.claim_change("p2", **key) is None
    store.save_proposal(proposal("p2"))
    store.save_pull_request("p2", PullRequest("local", "p2", "u"), title="t", body="",
                            base="main", branch="b")  # fmt: skip
    assert store.claim_change("p3", **key) == "p2"
    store.set_pull_request_status("p2", "local", "rejected", "no", expect="open")
    assert store.claim_change("p3", **key) is None


def test_a_dead_runs_claim_is_taken_over(open_store: Callable[[], Store]) -> None:
    store = open_store()
    key = {"forge": "local", "repository": "", "base": "main", "fingerprint": "fp1"}
    assert store.claim_change("dead", **key) is None
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE change_claims SET created_at = '2020-01-01T00:00:00'"))
    assert store.stale_claims() == ["dead"]
    assert store.claim_change("alive", **key) is None
    assert store.stale_claims() == []


def test_upgrade_from_0003_keeps_pull_requests(tmp_path: Path) -> None:
    """A store made before pull requests had a repository upgrades in place."""
    from alembic import command
    from alembic.config import Config

    import kubesmith.store.engine as eng

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(Path(eng.__file__).parent / "migrations"))
    with engine.connect() as conn:
        conn.info[eng.WRITE_FLAG] = True
        with conn.begin():
            config.attributes["connection"] = conn
            command.upgrade(config, "0003")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO pull_requests (forge, pr_id, proposal_id, url, status, title, body,"
                " base, branch, reason, created_at, updated_at) VALUES ('github', '101', 'p',"
                " 'u', 'open', 'old', '', 'main', 'b', '', 'x', 'x')"
            )
        )
    migrate(engine)
    engine.dispose()
    with Store.open(url) as store:
        record = store.get_pull_request("101", "github")
        assert (record.title, record.pr.repository) == ("old", "")
        store.save_pull_request("q", gh("101", "acme/other"), title="new", body="", base="main",
                                branch="c")  # fmt: skip
        assert len(store.list_pull_requests()) == 2
