"""Learning queries of the store: fingerprints, rejections, similar intents, rules, export."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from kubesmith.errors import UsageError
from kubesmith.model import (
    Change,
    ChangeSet,
    MergePatch,
    Outcome,
    Proposal,
    PullRequest,
    ResourceRef,
    ReviewComment,
    SetField,
    to_json,
)
from kubesmith.store import Store
from kubesmith.store.bm25 import rank, tokens
from kubesmith.store.fingerprint import fingerprint
from kubesmith.store.records import Evidence, Rule

WEB = ResourceRef("apps/v1", "Deployment", "web", "shop")
CART = ResourceRef("apps/v1", "Deployment", "cart", "shop")


def prop(pid: str, intent: str, changes: tuple[Change, ...] = (), created: str = "") -> Proposal:
    extra = {"created_at": created} if created else {}
    return Proposal(
        id=pid,
        intent=intent,
        planner="offline",
        base="main",
        branch=f"kubesmith/{pid}",
        commit=None,
        changes=changes,
        diff="",
        **extra,  # type: ignore[arg-type]
    )


def decide(store: Store, pid: str, status: str, reason: str = "") -> None:
    pr = PullRequest("local", pid, "", status)  # type: ignore[arg-type]
    store.record_outcome(Outcome(pid, pr, status, reason))  # type: ignore[arg-type]


# ---------------------------------------------------------------- fingerprints


def test_fingerprint_same_change_in_every_form() -> None:
    edits = ChangeSet(
        intent="scale web to 3 and give it an owner",
        edits=(
            SetField(WEB, "spec.replicas", 3),
            SetField(WEB, 'metadata.labels["owner"]', "team-a"),
        ),
    )
    reordered = ChangeSet(intent="other words", edits=tuple(reversed(edits.edits)))
    applied = [
        Change("base/web.yaml", WEB, "set", "spec.replicas", 1, 3),
        Change("base/web.yaml", WEB, "set", "metadata.labels.owner", None, "team-a"),
    ]
    merged = [
        MergePatch(WEB, {"spec": {"replicas": 3}, "metadata": {"labels": {"owner": "team-a"}}})
    ]
    fp = fingerprint(edits)
    assert len(fp) == 16
    assert fp == fingerprint(reordered) == fingerprint(applied) == fingerprint(merged)
    assert fingerprint([Change("x.yaml", WEB, "set", "spec.replicas", 1, 4)]) != fp
    assert fingerprint([Change("x.yaml", CART, "set", "spec.replicas", 1, 3)]) != fingerprint(
        [Change("x.yaml", WEB, "set", "spec.replicas", 1, 3)]
    )
    assert fingerprint([]) == ""


def test_rejected_fingerprint_and_later_acceptance(open_store: Callable[[], Store]) -> None:
    store = open_store()
    change = (Change("web.yaml", WEB, "set", "spec.replicas", 1, 10),)
    store.save_proposal(prop("p1", "scale web to 10", change))
    fp = store.get_proposal("p1").fingerprint
    assert fp == fingerprint(change)
    assert store.rejected_fingerprint(fp) is None  # not reviewed yet
    decide(store, "p1", "rejected", "10 replicas is too many for web")
    found = store.rejected_fingerprint(fp)
    assert found is not None
    assert (found.proposal_id, found.reason) == ("p1", "10 replicas is too many for web")
    assert store.rejected_fingerprint("0" * 16) is None
    store.save_proposal(prop("p2", "web to ten replicas", change))
    decide(store, "p2", "accepted")
    assert store.rejected_fingerprint(fp) is None


# ---------------------------------------------------------------- similar intents


def test_similar_intents_with_outcomes(open_store: Callable[[], Store]) -> None:
    store = open_store()
    store.save_proposal(prop("a", "set the memory limit of checkout to 512Mi"))
    store.save_proposal(prop("b", "scale checkout to 3 replicas"))
    store.save_proposal(prop("c", "add label team=payments to all backend deployments"))
    store.save_proposal(prop("d", "set image of cart to docker.io/library/cart:2"))
    decide(store, "a", "rejected", "memory limit must equal the request")
    store.record_outcome(
        Outcome(
            "d",
            PullRequest("local", "d", "", "rejected"),
            "rejected",
            "no images from docker.io",
            (ReviewComment("bob", "use registry.internal"),),
        )
    )
    cases = store.similar("give checkout a memory limit of 1Gi", k=2)
    assert cases[0].proposal_id == "a"
    assert (cases[0].status, cases[0].reason) == ("rejected", "memory limit must equal the request")
    assert cases[0].score > 0
    assert len(cases) <= 2
    image = store.similar("change the cart image to docker.io/cart:3")
    assert image[0].proposal_id == "d"
    assert image[0].comments == ("use registry.internal",)
    assert store.similar("zzz qqq") == []
    assert store.similar("the and of") == []
    # the index follows re-saved intents and forgotten proposals
    store.save_proposal(prop("b", "rename the checkout service port"))
    assert all(c.proposal_id != "b" for c in store.similar("replicas"))
    store.forget("a")
    assert all(c.proposal_id != "a" for c in store.similar("memory limit"))


def test_python_bm25_ranks_like_a_search_engine() -> None:
    assert tokens("Scaling the replicas") == ["scal", "replica"]
    docs = [("1", "scale web to 3 replicas"), ("2", "add a label"), ("3", "web web web image")]
    ranked = rank("web replicas", docs, k=5)
    assert [d for d, _ in ranked] == ["1", "3"]
    assert rank("nothing matches", docs, k=5) == []


# ---------------------------------------------------------------- rules


def rule(kind: str, rid: str, *pids: str, status: str = "candidate") -> Rule:
    return Rule(
        id=rid,
        kind=kind,
        params={"key": "owner"},
        description=f"{kind} rule",
        status=status,  # type: ignore[arg-type]
        evidence=tuple(Evidence(p, "rejection", "needs an owner label") for p in pids),
    )


def test_rules_keep_human_decisions(open_store: Callable[[], Store]) -> None:
    store = open_store()
    store.save_rules(
        [rule("required_label", "r-00000001", "p1"), rule("min_replicas", "r-00000002", "p1", "p2")]
    )
    assert [r.id for r in store.list_rules()] == ["r-00000002", "r-00000001"]  # most support first
    approved = store.set_rule_status("r-00000001", "approved")
    assert approved.status == "approved"
    # new evidence from mining never resets a decision
    store.save_rules([rule("required_label", "r-00000001", "p1", "p3", "p4")])
    got = store.get_rule("r-00000001")
    assert (got.status, got.support) == ("approved", 3)
    assert [r.id for r in store.list_rules(status="approved")] == ["r-00000001"]
    with pytest.raises(UsageError, match="ambiguous"):
        store.get_rule("r-0000000")
    with pytest.raises(UsageError, match="no rule"):
        store.get_rule("r-9")
    with pytest.raises(UsageError, match="unknown rule status"):
        store.set_rule_status("r-00000001", "maybe")


# ---------------------------------------------------------------- export, import, forget


def test_export_import_round_trip_between_stores(
    open_store: Callable[[], Store], tmp_path: Path
) -> None:
    source = open_store()
    source.save_proposal(
        prop("p1", "scale web to 10", (Change("w.yaml", WEB, "set", "spec.replicas", 1, 10),))
    )
    source.save_pull_request(
        "p1",
        PullRequest("local", "p1", "u"),
        title="t",
        body="b",
        base="main",
        branch="kubesmith/p1",
    )
    decide(source, "p1", "rejected", "too many")
    source.save_rules([rule("required_label", "r-00000001", "p1", status="approved")])
    source.set_rule_status("r-00000001", "approved")
    exported = source.export_feedback()
    with Store.open(f"sqlite:///{tmp_path / 'copy.db'}") as target:
        counts = target.import_feedback(exported)
        assert counts == {"proposals": 1, "pull_requests": 1, "outcomes": 1, "rules": 1}
        target.import_feedback(exported)  # idempotent
        assert target.export_feedback() == exported
        assert (
            target.rejected_fingerprint(fingerprint(source.get_proposal("p1").changes)) is not None
        )
        assert target.get_pull_request("p1").reason == "too many"
        assert target.get_rule("r-00000001").status == "approved"
    with pytest.raises(UsageError, match="not a kubesmith feedback export"):
        source.import_feedback({"format": "something else"})


def test_forget_one_or_everything(open_store: Callable[[], Store]) -> None:
    store = open_store()
    for pid in ("p1", "p2"):
        store.save_proposal(prop(pid, f"scale {pid}"))
        store.save_pull_request(
            pid, PullRequest("local", pid, ""), title="", body="", base="main", branch=pid
        )
        decide(store, pid, "rejected", "no")
    store.save_rules([rule("required_label", "r-00000001", "p1")])
    assert store.forget("p1") == {"outcomes": 1, "pull_requests": 1, "proposals": 1}
    assert [p.id for p in store.list_proposals()] == ["p2"]
    assert len(store.list_rules()) == 1
    with pytest.raises(UsageError):
        store.forget()
    assert store.forget(everything=True) == {
        "outcomes": 1,
        "pull_requests": 1,
        "proposals": 1,
        "rules": 1,
    }
    assert store.export_feedback()["proposals"] == []


def test_upgrade_from_revision_0001_indexes_existing_intents(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    import kubesmith.store.engine as eng

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = eng.make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(Path(eng.__file__).parent / "migrations"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        old = prop("old1", "raise the cpu limit of search", created="2026-01-01T00:00:00+00:00")
        row = {"id": old.id, "intent": old.intent, "created": old.created_at}
        conn.execute(
            sa.text(
                "INSERT INTO proposals (id, intent, planner, base, branch, fingerprint,"
                " created_at, data) VALUES (:id, :intent, 'offline', 'main', NULL, '', :created,"
                " :data)"
            ),
            {**row, "data": json.dumps(to_json(old))},
        )
    engine.dispose()
    with Store.open(url) as store:
        assert [c.proposal_id for c in store.similar("cpu limit")] == ["old1"]
        assert store.list_rules() == []
