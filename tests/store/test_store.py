"""The store against real SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from kubesmith.errors import UsageError
from kubesmith.model import (
    Change,
    Finding,
    Outcome,
    Proposal,
    PullRequest,
    ResourceRef,
    ReviewComment,
    Usage,
)
from kubesmith.store import PullRequestRecord, Store
from tests.conftest import git

DEPLOY = ResourceRef("apps/v1", "Deployment", "checkout", "shop")


def proposal(pid: str = "a1b2c3d4", intent: str = "scale checkout to 3", **kw: object) -> Proposal:
    fields: dict[str, object] = {
        "id": pid,
        "intent": intent,
        "planner": "offline",
        "base": "main",
        "branch": f"kubesmith/scale-checkout-{pid[:6]}",
        "commit": "0" * 40,
        "changes": (Change("apps/checkout.yaml", DEPLOY, "set", "spec.replicas", 2, 3),),
        "diff": "-  replicas: 2\n+  replicas: 3\n",
        "findings": (Finding("schema", "warning", "no probes", "apps/checkout.yaml", 7, DEPLOY),),
        "usage": Usage(calls=1, tokens_in=10),
        "fingerprint": "f" * 16,
    }
    fields.update(kw)
    return Proposal(**fields)  # type: ignore[arg-type]


def pr(pr_id: str = "1", forge: str = "local", status: str = "open") -> PullRequest:
    return PullRequest(forge=forge, id=pr_id, url=f"{forge}://{pr_id}", status=status)  # type: ignore[arg-type]


# ---------------------------------------------------------------- proposals


def test_proposal_round_trip_and_upsert(open_store: Callable[[], Store]) -> None:
    store = open_store()
    p = proposal()
    store.save_proposal(p)
    assert store.get_proposal(p.id) == p
    changed = proposal(rationale="because")
    store.save_proposal(changed)
    assert store.get_proposal(p.id).rationale == "because"
    assert [x.id for x in store.list_proposals()] == [p.id]


def test_get_proposal_by_unique_prefix(open_store: Callable[[], Store]) -> None:
    store = open_store()
    store.save_proposal(proposal("abc111"))
    store.save_proposal(proposal("abd222"))
    assert store.get_proposal("abc").id == "abc111"
    with pytest.raises(UsageError, match="ambiguous: abc111, abd222"):
        store.get_proposal("ab")
    with pytest.raises(UsageError, match="no proposal"):
        store.get_proposal("zzz")
    with pytest.raises(UsageError, match="no proposal"):
        store.get_proposal("a%")  # LIKE wildcards in an id are literal


def test_list_proposals_newest_first_with_limit(open_store: Callable[[], Store]) -> None:
    store = open_store()
    for i in range(5):
        store.save_proposal(proposal(f"p{i}", created_at=f"2026-01-0{i + 1}T00:00:00+00:00"))
    assert [p.id for p in store.list_proposals(limit=3)] == ["p4", "p3", "p2"]
    assert len(store.list_proposals(limit=None)) == 5


# ---------------------------------------------------------------- pull requests


def test_pull_request_lifecycle(open_store: Callable[[], Store]) -> None:
    store = open_store()
    store.save_pull_request(
        "a1b2c3d4", pr("7"), title="Scale", body="body", base="main", branch="kubesmith/x"
    )
    rec = store.get_pull_request("7")
    assert isinstance(rec, PullRequestRecord)
    assert (rec.pr.status, rec.title, rec.body, rec.base, rec.branch, rec.reason) == (
        "open",
        "Scale",
        "body",
        "main",
        "kubesmith/x",
        "",
    )
    assert store.find_pull_request("kubesmith/x", "local") == rec
    assert store.find_pull_request("kubesmith/x", "github") is None

    store.set_pull_request_status("7", "local", "rejected", reason="too many replicas")
    after = store.get_pull_request("7", forge="local")
    assert (after.pr.status, after.reason) == ("rejected", "too many replicas")
    assert after.created_at == rec.created_at
    assert after.updated_at >= rec.updated_at
    assert [r.pr.id for r in store.list_pull_requests(status="rejected")] == ["7"]
    assert store.list_pull_requests(status="open") == []

    # upsert by (forge, id): same id again updates, the same id on another forge is another PR
    store.save_pull_request("a1b2c3d4", pr("7"), title="Scale v2", body="", base="main", branch="b")
    store.save_pull_request(
        "a1b2c3d4", pr("7", "github"), title="GH", body="", base="main", branch="b"
    )
    assert store.get_pull_request("7", forge="local").title == "Scale v2"
    assert {r.pr.forge for r in store.list_pull_requests()} == {"local", "github"}
    assert [r.pr.forge for r in store.list_pull_requests(forge="github")] == ["github"]
    with pytest.raises(UsageError, match="ambiguous"):
        store.get_pull_request("7")


def test_pull_request_prefix_and_errors(open_store: Callable[[], Store]) -> None:
    store = open_store()
    store.save_pull_request("p", pr("k-1234"), title="t", body="", base="main", branch="b1")
    store.save_pull_request("p", pr("k-1299"), title="t", body="", base="main", branch="b2")
    assert store.get_pull_request("k-123").pr.id == "k-1234"
    with pytest.raises(UsageError, match="ambiguous"):
        store.get_pull_request("k-12")
    with pytest.raises(UsageError, match="no pull request"):
        store.get_pull_request("nope")
    with pytest.raises(UsageError, match="no pull request"):
        store.set_pull_request_status("nope", "local", "accepted")
    with pytest.raises(UsageError, match="unknown status"):
        store.set_pull_request_status("k-1234", "local", "merged")


# ---------------------------------------------------------------- outcomes


def test_record_outcome_is_idempotent_and_updates_the_pr(open_store: Callable[[], Store]) -> None:
    store = open_store()
    store.save_proposal(proposal())
    store.save_pull_request("a1b2c3d4", pr("9"), title="t", body="", base="main", branch="b")
    comment = ReviewComment("alice", "needs an owner label", "apps/checkout.yaml", 4, "commented")
    outcome = Outcome("a1b2c3d4", pr("9", status="rejected"), "rejected", "no owner", (comment,))
    store.record_outcome(outcome)
    store.record_outcome(outcome)
    assert store.outcomes() == [outcome]
    rec = store.get_pull_request("9")
    assert (rec.pr.status, rec.reason) == ("rejected", "no owner")

    accepted = Outcome("other", pr("10"), "accepted")
    store.record_outcome(accepted)
    assert store.outcomes(status="accepted") == [accepted]
    assert store.outcomes(proposal_id="a1b2c3d4") == [outcome]
    assert len(store.outcomes(limit=1)) == 1


# ---------------------------------------------------------------- secrets never stored


SECRET = ResourceRef("v1", "Secret", "db", "shop")


def test_secret_values_are_redacted_everywhere(
    open_store: Callable[[], Store], store_url: str
) -> None:
    store = open_store()
    diff = (
        "diff --git a/secrets.yaml b/secrets.yaml\n--- a/secrets.yaml\n+++ b/secrets.yaml\n"
        "@@ -5,3 +5,3 @@ stringData:\n-  password: old-pass-1\n+  password: s3cr3t-value\n"
        "   user: app\n"
        "diff --git a/apps/checkout.yaml b/apps/checkout.yaml\n"
        "--- a/apps/checkout.yaml\n+++ b/apps/checkout.yaml\n@@ -20,2 +20,4 @@\n"
        "         - name: API_TOKEN\n-          value: tok-old-999\n+          value: tok-new-777\n"
        "+        - name: LOG_LEVEL\n+          value: debug\n"
    )
    p = proposal(
        intent="set the db password to s3cr3t-value and API_TOKEN to tok-new-777",
        changes=(
            Change(
                "secrets.yaml", SECRET, "set", "stringData.password", "old-pass-1", "s3cr3t-value"
            ),
            Change("secrets.yaml", SECRET, "set", "data.key", None, "aHVudGVyMjI="),
            Change(
                "apps/checkout.yaml",
                DEPLOY,
                "set",
                "spec.template.spec.containers[name=web].env[name=API_TOKEN].value",
                "tok-old-999",
                "tok-new-777",
            ),
            Change(
                "apps/checkout.yaml",
                DEPLOY,
                "set",
                "spec.template.spec.containers[name=web].env[name=LOG_LEVEL]",
                None,
                {"name": "LOG_LEVEL", "value": "debug"},
            ),
        ),
        diff=diff,
        findings=(Finding("policy", "info", "value s3cr3t-value is weak"),),
    )
    store.save_proposal(p)
    got = store.get_proposal(p.id)
    assert got.changes[0].old == got.changes[0].new == "<redacted>"
    assert got.changes[1].new == "<redacted>"
    assert got.changes[2].new == "<redacted>"
    assert got.changes[3].new == {"name": "LOG_LEVEL", "value": "debug"}  # not a credential
    assert "+          value: debug" in got.diff
    assert "user: app" not in got.diff  # even an unchanged line of a Secret is masked
    assert "   user: <redacted>" in got.diff
    assert "<redacted>" in got.intent
    # Nothing secret reached the database file or tables at all, in any form.
    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        dump = " ".join(str(r) for r in conn.execute(sa.text("SELECT * FROM proposals")))
    engine.dispose()
    for value in (
        "s3cr3t-value",
        "old-pass-1",
        "tok-old-999",
        "tok-new-777",
        "aHVudGVyMjI=",
        "hunter22",
    ):
        assert value not in dump


def test_new_secret_manifest_and_follow_up_diff_are_redacted(
    open_store: Callable[[], Store],
) -> None:
    store = open_store()
    manifest = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "type": "Opaque",
        "stringData": {"password": "pw-0123456"},
    }
    store.save_proposal(proposal(changes=(Change("s.yaml", SECRET, "add", None, None, manifest),)))
    stored = store.get_proposal("a1b2")
    assert stored.changes[0].new["stringData"] == {"password": "<redacted>"}
    assert stored.changes[0].new["metadata"] == {"name": "db"}
    follow_up = (
        "--- a/s.yaml\n+++ b/s.yaml\n@@ -1,4 +1,4 @@\n kind: Secret\n metadata:\n"
        "-  name: db\n+  name: db2\n data:\n-  password: cHctMDEyMzQ1Ng==\n+  password: bmV3\n"
    )
    store.record_outcome(Outcome("a1b2c3d4", pr(), "accepted", follow_up_diff=follow_up))
    (outcome,) = store.outcomes()
    assert "cHctMDEyMzQ1Ng==" not in outcome.follow_up_diff
    assert "bmV3" not in outcome.follow_up_diff
    assert "+  name: db2" in outcome.follow_up_diff


# ---------------------------------------------------------------- opening, migrations, concurrency


def test_default_store_lives_in_the_common_git_dir(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"a.yaml": "a: 1\n"})
    with Store.open(repo=repo) as store:
        store.save_proposal(proposal())
    assert (repo / ".git" / "kubesmith" / "store.db").is_file()
    assert "store.db" not in git(repo, "status", "--porcelain", "--ignored")
    worktree = repo.parent / "wt"
    git(repo, "worktree", "add", "-q", str(worktree), "-b", "other")
    with Store.open(repo=worktree) as store:
        assert store.get_proposal("a1b2").id == "a1b2c3d4"


def test_store_url_from_environment_and_settings(
    make_repo: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(files={".kubesmith.yaml": f"store_url: sqlite:///{tmp_path / 'cfg.db'}\n"})
    monkeypatch.delenv("KUBESMITH_STORE_URL", raising=False)
    with Store.open(repo=repo) as store:
        assert store.url.endswith("cfg.db")
    monkeypatch.setenv("KUBESMITH_STORE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    with Store.open(repo=repo) as store:
        assert store.url.endswith("env.db")
    with Store.open() as store:
        assert store.url.endswith("env.db")


def test_not_a_git_repository_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBESMITH_STORE_URL", raising=False)
    with pytest.raises(UsageError, match="not a git repository"):
        Store.open(repo=tmp_path)


def test_reopening_keeps_data_and_schema_is_at_head(
    open_store: Callable[[], Store], store_url: str
) -> None:
    from alembic.script import ScriptDirectory

    import kubesmith.store.engine as eng

    open_store().save_proposal(proposal())
    second = open_store()
    assert second.get_proposal("a1b2c3d4").intent == "scale checkout to 3"
    script = ScriptDirectory(str(Path(eng.__file__).parent / "migrations"))
    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        version = conn.execute(
            sa.text("SELECT version_num FROM kubesmith_alembic_version")
        ).scalar()
    engine.dispose()
    assert version == script.get_current_head()


def test_concurrent_writers_in_threads(open_store: Callable[[], Store]) -> None:
    store = open_store()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                pid = f"t{n}-{i}"
                store.save_proposal(proposal(pid))
                store.save_pull_request(pid, pr(pid), title=pid, body="", base="main", branch=pid)
                store.set_pull_request_status(pid, "local", "accepted")
        except BaseException as e:  # collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.list_proposals(limit=None)) == 40
    assert len(store.list_pull_requests(status="accepted")) == 40


@pytest.mark.slow
def test_processes_creating_the_store_at_once(store_url: str) -> None:
    code = (
        "import sys\nfrom kubesmith.store import Store\nfrom kubesmith.model import *\n"
        "s = Store.open(sys.argv[1])\n"
        "for i in range(5):\n"
        "    s.save_proposal(Proposal(id=f'{sys.argv[2]}-{i}', intent='x', planner='p', base='m',"
        " branch=None, commit=None, changes=(), diff=''))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, store_url, f"w{n}"], stderr=subprocess.PIPE)
        for n in range(3)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    with Store.open(store_url) as store:
        assert len(store.list_proposals(limit=None)) == 15


def test_outcome_events_merge_per_pull_request(open_store: Callable[[], Store]) -> None:
    store = open_store()
    store.save_pull_request("p", pr("5"), title="t", body="", base="main", branch="b")
    first = ReviewComment("ann", "why 3?")
    second = ReviewComment("bob", "ok then")
    store.record_outcome(Outcome("p", pr("5"), "open", comments=(first,)))
    store.record_outcome(Outcome("p", pr("5"), "open", comments=(first, second)))
    store.record_outcome(Outcome("p", pr("5", status="rejected"), "rejected", "not now"))
    store.record_outcome(Outcome("p", pr("5"), "open", comments=(ReviewComment("cy", "late"),)))
    (merged,) = store.outcomes()
    assert merged.status == "rejected"
    assert merged.pr.status == "rejected"
    assert merged.reason == "not now"
    assert [c.author for c in merged.comments] == ["ann", "bob", "cy"]
    assert store.get_pull_request("5").pr.status == "rejected"  # a late comment never reopens
    store.record_outcome(
        Outcome("p", pr("5", status="accepted"), "accepted", follow_up_diff="+x\n")
    )
    (merged,) = store.outcomes()
    assert (merged.status, merged.reason, merged.follow_up_diff) == ("accepted", "", "+x\n")


def test_in_memory_store_is_one_database_for_every_thread() -> None:
    with Store.open("sqlite://") as store:
        store.save_proposal(proposal())
        seen: list[str] = []
        t = threading.Thread(target=lambda: seen.append(store.get_proposal("a1b2").id))
        t.start()
        t.join()
        assert seen == ["a1b2c3d4"]
