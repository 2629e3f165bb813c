"""The store's learning half: rejected fingerprints, similar intents, rules, export and forget.

A mixin of :class:`~kubesmith.store.store.Store`, kept apart so each module stays small. The
methods use the same short transactions as the rest of the store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from kubesmith.errors import UsageError
from kubesmith.model import Outcome, Proposal, from_json, to_json
from kubesmith.store import bm25
from kubesmith.store._orm import OutcomeRow, ProposalRow, PullRequestRow, RuleRow
from kubesmith.store.records import RULE_STATUSES, Evidence, Rule, SimilarCase

EXPORT_FORMAT = "kubesmith-feedback/1"
PYTHON_BM25_WINDOW = 5000
"""How many recent proposals the Python BM25 fallback ranks."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class LearningMixin:
    """Learning queries over the proposals and outcomes the core store keeps."""

    @property
    def dialect(self) -> str:
        raise NotImplementedError  # provided by Store

    def _session(self, *, write: bool = False) -> AbstractContextManager[Session]:
        raise NotImplementedError  # provided by Store

    def get_proposal(self, id_or_prefix: str) -> Proposal:
        raise NotImplementedError  # provided by Store

    # ------------------------------------------------------------------ full-text index

    _fts: bool | None = None

    def _has_fts(self, session: Session) -> bool:
        if self._fts is None:
            self._fts = self.dialect == "sqlite" and bool(
                session.execute(
                    text(
                        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='proposal_search'"
                    )
                ).first()
            )
        return self._fts

    def _after_save_proposal(self, session: Session, proposal: Proposal) -> None:
        """Keep the FTS5 index of intents in step with the proposals table."""
        if self._has_fts(session):
            session.execute(
                text("DELETE FROM proposal_search WHERE proposal_id = :id"), {"id": proposal.id}
            )
            session.execute(
                text("INSERT INTO proposal_search (proposal_id, intent) VALUES (:id, :intent)"),
                {"id": proposal.id, "intent": proposal.intent},
            )

    # ------------------------------------------------------------------ rejected changes

    def rejected_fingerprint(self, fp: str) -> Outcome | None:
        """The rejection standing against change fingerprint ``fp``, or None.

        A rejection stands unless a later proposal with the same fingerprint was accepted (a
        human who forced it through and merged it changed their mind).
        """
        if not fp:
            return None
        with self._session() as s:
            rows = (
                s.execute(
                    select(OutcomeRow)
                    .join(ProposalRow, ProposalRow.id == OutcomeRow.proposal_id)
                    .where(
                        ProposalRow.fingerprint == fp,
                        OutcomeRow.status.in_(("accepted", "rejected")),
                    )
                    .order_by(OutcomeRow.recorded_at, OutcomeRow.pk)
                )
                .scalars()
                .all()
            )
            if not rows or rows[-1].status != "rejected":
                return None
            return from_json(Outcome, json.loads(rows[-1].data))

    # ------------------------------------------------------------------ similar intents

    def similar(self, intent: str, k: int = 5) -> list[SimilarCase]:
        """The ``k`` past proposals whose intents are most like ``intent``, best first.

        SQLite ranks with FTS5's BM25; PostgreSQL (or SQLite without FTS5) with a Python BM25
        over the most recent proposals. Each case carries its review outcome and reason.
        """
        if k <= 0 or not bm25.tokens(intent):
            return []
        with self._session() as s:
            if self._has_fts(s):
                ranked = self._fts_rank(s, intent, k)
            else:
                docs = s.execute(
                    select(ProposalRow.id, ProposalRow.intent)
                    .order_by(ProposalRow.created_at.desc())
                    .limit(PYTHON_BM25_WINDOW)
                ).all()
                ranked = bm25.rank(intent, [(r[0], r[1]) for r in docs], k)
            if not ranked:
                return []
            ids = [pid for pid, _ in ranked]
            intents = dict(
                s.execute(
                    select(ProposalRow.id, ProposalRow.intent).where(ProposalRow.id.in_(ids))
                ).all()
            )
            outcomes: dict[str, Outcome] = {}
            for row in s.scalars(
                select(OutcomeRow).where(OutcomeRow.proposal_id.in_(ids)).order_by(OutcomeRow.pk)
            ):
                outcomes[row.proposal_id] = from_json(Outcome, json.loads(row.data))
        cases = []
        for pid, score in ranked:
            o = outcomes.get(pid)
            cases.append(
                SimilarCase(
                    proposal_id=pid,
                    intent=str(intents.get(pid, "")),
                    status=o.status if o else "none",
                    reason=o.reason if o else "",
                    score=round(score, 4),
                    comments=tuple(c.body for c in o.comments) if o else (),
                )
            )
        return cases

    def _fts_rank(self, s: Session, intent: str, k: int) -> list[tuple[str, float]]:
        words = sorted(set(re.findall(r"[A-Za-z0-9]+", intent.lower())) - bm25.STOP_WORDS)
        if not words:
            return []
        query = " OR ".join(f'"{w}"' for w in words)
        rows = s.execute(
            text(
                "SELECT proposal_id, bm25(proposal_search) AS r FROM proposal_search "
                "WHERE proposal_search MATCH :q ORDER BY r LIMIT :k"
            ),
            {"q": query, "k": k},
        ).all()
        return [(str(r[0]), -float(r[1])) for r in rows]

    # ------------------------------------------------------------------ rules

    def save_rules(self, rules: list[Rule]) -> None:
        """Insert new candidate rules and refresh the evidence of known ones.

        A rule's status is never changed here: a human's approve/reject decision stands however
        the evidence grows.
        """
        now = _now()
        with self._session(write=True) as s:
            for rule in rules:
                row = s.get(RuleRow, rule.id)
                if row is None:
                    row = RuleRow(id=rule.id, kind=rule.kind, status=rule.status, created_at=now)
                    s.add(row)
                row.description = rule.description
                row.params = json.dumps(rule.params, sort_keys=True)
                row.evidence = json.dumps(to_json(list(rule.evidence)))
                row.updated_at = now

    def import_rules(self, rules: list[Rule]) -> None:
        """Store rules as given, statuses included (used by ``feedback import``)."""
        self.save_rules(rules)
        with self._session(write=True) as s:
            for rule in rules:
                row = s.get(RuleRow, rule.id)
                if row is not None:
                    row.status = rule.status

    def list_rules(self, status: str | None = None) -> list[Rule]:
        """Rules, most supported first."""
        if status is not None and status not in RULE_STATUSES:
            raise UsageError(f"unknown rule status {status!r}; one of {', '.join(RULE_STATUSES)}")
        with self._session() as s:
            q = select(RuleRow).order_by(RuleRow.id)
            if status is not None:
                q = q.where(RuleRow.status == status)
            rules = [_rule(r) for r in s.scalars(q)]
        return sorted(rules, key=lambda r: (-r.support, r.kind, r.id))

    def get_rule(self, id_or_prefix: str) -> Rule:
        """A rule by id or unique id prefix.

        Raises:
            UsageError: when nothing or several rules match.
        """
        matches = (
            [r for r in self.list_rules() if r.id.startswith(id_or_prefix)] if id_or_prefix else []
        )
        exact = [r for r in matches if r.id == id_or_prefix]
        if exact:
            return exact[0]
        if not matches:
            raise UsageError(f"no rule {id_or_prefix!r}; see `kubesmith rules list`")
        if len(matches) > 1:
            raise UsageError(
                f"rule id {id_or_prefix!r} is ambiguous: {', '.join(r.id for r in matches)}"
            )
        return matches[0]

    def set_rule_status(self, rule_id: str, status: str) -> Rule:
        """Approve or reject (or return to candidate) a rule; returns the updated rule."""
        if status not in RULE_STATUSES:
            raise UsageError(f"unknown rule status {status!r}; one of {', '.join(RULE_STATUSES)}")
        rule = self.get_rule(rule_id)
        with self._session(write=True) as s:
            row = s.get(RuleRow, rule.id)
            assert row is not None
            row.status = status
            row.updated_at = _now()
            return _rule(row)

    # ------------------------------------------------------------------ export / import / forget

    def export_feedback(self) -> dict[str, Any]:
        """Everything the store learned from, as one JSON-ready document (already redacted)."""
        with self._session() as s:
            proposals = [
                json.loads(r.data)
                for r in s.scalars(select(ProposalRow).order_by(ProposalRow.created_at))
            ]
            prs = [
                {
                    "proposal_id": r.proposal_id,
                    "pr": {
                        "forge": r.forge,
                        "repository": r.repository,
                        "id": r.pr_id,
                        "url": r.url,
                        "status": r.status,
                        "title": r.title,
                    },
                    "title": r.title,
                    "body": r.body,
                    "base": r.base,
                    "branch": r.branch,
                    "reason": r.reason,
                }
                for r in s.scalars(select(PullRequestRow).order_by(PullRequestRow.pk))
            ]
            outcomes = [
                json.loads(r.data) for r in s.scalars(select(OutcomeRow).order_by(OutcomeRow.pk))
            ]
            rules = [to_json(_rule(r)) for r in s.scalars(select(RuleRow).order_by(RuleRow.id))]
        return {
            "format": EXPORT_FORMAT,
            "proposals": proposals,
            "pull_requests": prs,
            "outcomes": outcomes,
            "rules": rules,
        }

    def forget(self, proposal_id: str | None = None, *, everything: bool = False) -> dict[str, int]:
        """Delete one proposal (id or unique prefix) with its pull requests and outcomes, or all.

        Returns how many rows of each kind were deleted. Learned rules are kept unless
        ``everything`` is set; their evidence may then name forgotten proposals.
        """
        if not everything and not proposal_id:
            raise UsageError("name a proposal id to forget, or forget everything explicitly")
        ids: list[str] | None = None
        if not everything:
            assert proposal_id is not None
            ids = [self.get_proposal(proposal_id).id]
        counts: dict[str, int] = {}
        with self._session(write=True) as s:
            for name, table, column in (
                ("outcomes", OutcomeRow, OutcomeRow.proposal_id),
                ("pull_requests", PullRequestRow, PullRequestRow.proposal_id),
                ("proposals", ProposalRow, ProposalRow.id),
            ):
                stmt = delete(table)
                if ids is not None:
                    stmt = stmt.where(column.in_(ids))
                counts[name] = int(s.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
            if everything:
                counts["rules"] = int(s.execute(delete(RuleRow)).rowcount or 0)  # type: ignore[attr-defined]
            if self._has_fts(s):
                if ids is None:
                    s.execute(text("DELETE FROM proposal_search"))
                else:
                    for pid in ids:
                        s.execute(
                            text("DELETE FROM proposal_search WHERE proposal_id = :id"), {"id": pid}
                        )
        return counts


def _rule(row: RuleRow) -> Rule:
    evidence = tuple(from_json(Evidence, e) for e in json.loads(row.evidence))
    return Rule(
        id=row.id,
        kind=row.kind,
        params=json.loads(row.params),
        description=row.description,
        status=row.status,  # type: ignore[arg-type]  # checked on the way in
        evidence=evidence,
    )


def iter_import(document: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Validate an export document and yield ``(kind, value)`` pairs to store, in order.

    Raises:
        UsageError: when the document is not a kubesmith feedback export.
    """
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise UsageError(f"not a kubesmith feedback export (expected format {EXPORT_FORMAT!r})")
    for p in document.get("proposals") or []:
        yield "proposal", from_json(Proposal, p)
    for pr in document.get("pull_requests") or []:
        yield "pull_request", pr
    for o in document.get("outcomes") or []:
        yield "outcome", from_json(Outcome, o)
    for r in document.get("rules") or []:
        yield "rule", from_json(Rule, r)
