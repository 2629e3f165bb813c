"""The loop every planner shares, as named steps: context, plan, learned rules, rejected-change
check, apply and validate, repair, publish.

Each step is one method of :class:`Agent`, defined once. ``propose`` runs them in order; the chat
session (:mod:`kubesmith.agent.session`) and the feedback eval run the same methods, so a change
planned in chat or measured by the eval goes through exactly what ``propose`` does. The loop, not
the planner, decides when validation runs, so no planner (and no model) can skip it. A proposal
with error findings after the last repair round becomes no pull request unless the caller forces
it, and then its title says it fails validation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from kubesmith.agent.attempt import Attempt, merge_edits
from kubesmith.agent.effect import prove as prove_effect
from kubesmith.agent.learning import apply_rules, check_not_rejected, open_twin, plan_context
from kubesmith.agent.planner import PlanContext, Planner
from kubesmith.agent.rollback import is_rollback, plan_rollback
from kubesmith.agent.validation import validate_change
from kubesmith.config import Settings, load_settings
from kubesmith.errors import EditRejected, UsageError
from kubesmith.model import Change, ChangeSet, Edit, Finding, Proposal, Usage
from kubesmith.store.fingerprint import fingerprint
from kubesmith.store.redact import redact_proposal
from kubesmith.tools.forges.base import Forge
from kubesmith.tools.forges.body import pr_body, pr_title
from kubesmith.tools.git import BRANCH_PREFIX, GitRepo, slugify
from kubesmith.tools.validator import ReportsLiveDiffs, Validator
from kubesmith.workspace import GitTreeSource, Workspace

if TYPE_CHECKING:
    from kubesmith.store import Store

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Base:
    """The state a proposal starts from: the base branch, its commit, and its manifests."""

    git: GitRepo
    name: str
    sha: str
    workspace: Workspace


def _quiet(_: str) -> None:
    return None


def tidy_intent(intent: str) -> str:
    """``intent`` with spaces tidied within each line and blank lines dropped; lines stay apart,
    since each is its own request (``""`` when nothing is said)."""
    return "\n".join(" ".join(line.split()) for line in intent.splitlines() if line.strip())


@dataclass
class Agent:
    """Turns intents into proposals for one repository.

    Attributes:
        repo: the repository's git working tree (never modified by ``propose``).
        settings: the repository's settings.
        planner: the planner that turns intents into edits.
        validators: run on every change before it may become a pull request.
        forge: where pull requests are opened (None: branches only).
        progress: called with a short message at each step, for progress display.
    """

    repo: Path
    settings: Settings
    planner: Planner
    validators: Sequence[Validator] = ()
    forge: Forge | None = None
    progress: Progress = field(default=_quiet)
    context: PlanContext | None = None
    """What the planner is told when there is no store (with a store, it is read from there)."""
    store: Store | None = None
    """The feedback store: past outcomes and approved rules shape the plan; a change reviewers
    rejected is not proposed again unless forced."""
    recorder: Store | None = None
    """Where proposals and their pull requests are recorded (the loop is the one writer; forges
    only open pull requests); default: ``store``. Set it without ``store`` to record without
    learning (the feedback suite's control arm)."""

    def propose(self, intent: str, *, open_pr: bool = True, force: bool = False) -> Proposal:
        """Plan, apply, validate and (unless blocked) commit ``intent`` as a proposal branch.

        Args:
            intent: what to change, in plain words.
            open_pr: open a pull request on the forge when validation passes.
            force: open the pull request even when validation fails (its title says so).

        Raises:
            UsageError: empty intent, an unknown or ambiguous reference, nothing to change.
            RunError: git or a tool failed; nothing is left behind.
        """
        intent = tidy_intent(intent)
        if not intent:
            raise UsageError("the intent is empty; say what to change, e.g. 'scale checkout to 3'")
        base = self.load_base()
        attempt = self.plan_and_repair(
            intent, base, context=self.gather_context(intent), force=force
        )
        return self.publish(
            base, intent, attempt.changeset, attempt.changes, attempt.findings,
            iterations=attempt.rounds, open_pr=open_pr, force=force,
        )  # fmt: skip

    def load_base(self) -> Base:
        """The base branch's manifests, read from git objects (the checkout is not consulted)."""
        git = GitRepo(self.repo)
        name = self.settings.forge.base_branch or git.current_branch()
        if name is None:
            raise UsageError(
                "HEAD is detached; check out a branch or set forge.base_branch in .kubesmith.yaml"
            )
        sha = git.resolve(name)
        self.progress(f"loading manifests at {name} ({sha[:7]})")
        if git.current_branch() == name and git.is_dirty():
            self.progress(f"uncommitted changes are not part of the proposal (made from {name})")
        ws = Workspace.load(
            git.root,
            self.settings,
            GitTreeSource(git.root, sha),
            cache_dir=git.git_dir / "kubesmith",
        )
        for error in ws.errors:  # a broken file is left out; say so rather than fail to find it
            self.progress(f"left out {error} (fix the file to change it)")
        return Base(git, name, sha, ws)

    def check(self, base: Base, changeset: ChangeSet) -> tuple[list[Change], list[Finding]]:
        """Apply ``changeset`` to the base workspace (replacing earlier ones) and validate it.

        Raises:
            EditRejected: when an edit cannot be applied (nothing is applied then).
        """
        ws = base.workspace
        ws.reset()
        changes = ws.apply(changeset)
        self.progress(f"validating {len(changes)} change(s)")
        # The one validation path (as `kubesmith validate` and the bot): findings the base
        # already had are marked pre-existing and do not block.
        findings = validate_change(ws, changes, self.validators)
        # Effect proof: the change shows in what is deployed, and nothing else changes there.
        self.progress("rendering what is deployed, before and after")
        return changes, [*findings, *prove_effect(ws, changes).findings]

    def publish(
        self,
        base: Base,
        intent: str,
        changeset: ChangeSet,
        changes: Sequence[Change],
        findings: Sequence[Finding],
        *,
        iterations: int = 1,
        open_pr: bool = True,
        force: bool = False,
    ) -> Proposal:
        """Commit the applied ``changes`` to a new branch and open its pull request.

        Nothing is committed when there is nothing to change, or when error findings stand and
        ``force`` is not set; a forge failure removes the branch again.
        """
        proposal_id = uuid.uuid4().hex[:12]
        proposal = Proposal(
            id=proposal_id,
            intent=intent,
            planner=changeset.planner,
            base=base.name,
            branch=None,
            commit=None,
            changes=tuple(changes),
            diff=base.workspace.diff() if changes else "",
            findings=tuple(findings),
            usage=changeset.usage,
            rationale=changeset.rationale,
            iterations=iterations,
            questions=changeset.questions,
            live_diff=_live_diffs(self.validators) if changes else "",
            rendered_diff=prove_effect(base.workspace, changes).rendered_diff if changes else "",
        )
        if not changes:
            return replace(proposal, rationale=changeset.rationale or "Already as asked.")
        fp = self.refuse_rejected(changes, force=force)
        twin = open_twin(self.store, fp, base.name) if self.store is not None else None
        proposal = replace(proposal, fingerprint=fp)
        if twin is not None and self.store is not None and not force:
            # Idempotent: the same change proposed again is the pull request already open.
            record = self.store.get_pull_request(twin)
            earlier = self.store.get_proposal(record.proposal_id)
            self.progress(f"pull request {twin} (open) already proposes this exact change")
            return replace(
                proposal, id=earlier.id, branch=record.branch, commit=earlier.commit, pr=record.pr
            )
        if proposal.blocked and not force:
            if self._sink is not None:
                self._sink.save_proposal(proposal)
            self.progress("validation failed: no branch or pull request made")
            return proposal
        forge = self.forge if open_pr else None
        if forge is not None and self.store is not None and not force:
            for dead in self.store.stale_claims():  # runs killed mid-publication: their branches
                for name in base.git.proposal_branches(dead):
                    base.git.delete_branch(name)
                self.store.release_claim(dead)
            holder = self.store.claim_change(
                proposal.id, forge=forge.name, repository=forge.repository, base=base.name,
                fingerprint=fp,
            )  # fmt: skip
            if holder is not None:  # an identical proposal, started at the same time, publishes
                theirs = self.store.wait_for_pull_request(holder)
                self.progress(f"proposal {holder} is already proposing this exact change")
                return replace(proposal, id=holder, pr=theirs.pr if theirs else None,
                               branch=theirs.branch if theirs else None)  # fmt: skip
        try:
            return self._commit_and_open(base, proposal, forge)
        except BaseException:
            if self.store is not None:
                self.store.release_claim(proposal.id)
            raise

    @property
    def _sink(self) -> Store | None:
        return self.recorder if self.recorder is not None else self.store

    def _commit_and_open(self, base: Base, proposal: Proposal, forge: Forge | None) -> Proposal:
        """Commit the proposal's branch, open its pull request, record both once.

        Everything that leaves this process — branch name, commit message, title, body — is made
        from the redacted proposal; a forge failure removes the branch again.
        """
        public = redact_proposal(proposal)
        branch = f"{BRANCH_PREFIX}{slugify(public.intent)}-{proposal.id[:7]}"
        self.progress(f"committing to {branch}")
        files = base.workspace.modified_files()
        commit = base.git.commit_files(base.sha, files, _commit_message(public), branch)
        proposal = replace(proposal, branch=branch, commit=commit)
        if forge is None:
            if self._sink is not None:
                self._sink.save_proposal(proposal)
            return proposal
        public = replace(public, branch=branch, commit=commit)
        title, body = pr_title(public), pr_body(public, tuple(v.name for v in self.validators))
        try:
            self.progress(f"opening a pull request on the {forge.name} forge")
            pr = forge.open_pr(proposal, title=title, body=body)
            if self._sink is not None:  # with the branch and commit the pull request proposes
                published = replace(proposal, pr=pr, branch=pr.branch or branch,
                                    commit=pr.commit or commit)  # fmt: skip
                self._sink.record_published(published, title=title, body=body)
        except BaseException:
            base.git.delete_branch(branch)
            raise
        return replace(proposal, pr=pr)

    # ------------------------------------------------------------------ the named steps

    def gather_context(self, intent: str) -> PlanContext | None:
        """Step *context*: similar past outcomes and approved conventions from the store, for the
        planner (the ``context`` given at construction when there is no store)."""
        if self.store is None:
            return self.context
        return plan_context(self.store, intent)

    def plan(
        self,
        intent: str,
        base: Base,
        *,
        findings: Sequence[Finding] = (),
        previous: ChangeSet | None = None,
        context: PlanContext | None = None,
    ) -> ChangeSet:
        """Step *plan*: the planner's edits for ``intent`` (a repair round passes the previous
        attempt and its findings). A rollback intent ("revert PR 42", "put checkout back as it
        was at v1.2") is planned from git history first (:mod:`kubesmith.agent.rollback`)."""
        if is_rollback(intent):
            rollback = plan_rollback(intent, base.git.root, base.sha, base.workspace, self.store)
            if rollback is not None:
                return rollback
        return self.planner.plan(
            intent, base.workspace, findings=findings, previous=previous, context=context
        )

    def apply_learned_rules(self, changeset: ChangeSet, base: Base) -> ChangeSet:
        """Step *learned rules*: ``changeset`` plus the edits the approved rules require on what
        it touches (unchanged without a store)."""
        if self.store is None:
            return changeset
        return apply_rules(changeset, base.workspace, self.store.list_rules(status="approved"))

    def refuse_rejected(self, changes: ChangeSet | Sequence[Change], *, force: bool = False) -> str:
        """Step *rejected-change check*: the change's fingerprint, unless reviewers rejected this
        exact change before.

        Raises:
            PreviouslyRejected: the same change was rejected and ``force`` is not set.
        """
        if self.store is None:
            return fingerprint(changes)
        return check_not_rejected(self.store, changes, force=force)

    def plan_and_repair(
        self,
        intent: str,
        base: Base,
        *,
        context: PlanContext | None = None,
        pending: Sequence[Edit] = (),
        also_try: Sequence[str] = (),
        force: bool = False,
    ) -> Attempt:
        """Step *repair*: plan, apply learned rules, refuse a rejected change, apply and validate;
        while error findings stand, feed them back to the planner, for at most
        ``llm.max_iterations`` rounds.

        Args:
            intent: what to change.
            base: the base branch's manifests (left holding the returned change, applied).
            context: what the planner should know (see :meth:`gather_context`).
            pending: edits already agreed (a chat's earlier turns); each round's plan is merged
                into them, an edit to the same target replacing the pending one.
            also_try: rewordings of ``intent`` to plan, in order, when the planner cannot place
                it (a follow-up that names no resource); the first error stands if none works.
            force: do not refuse a change reviewers rejected.

        Raises:
            UsageError: the planner cannot place the intent (nothing is applied).
            PreviouslyRejected: the planned change was rejected before and ``force`` is not set.
        """
        max_rounds = max(1, self.settings.llm.max_iterations)
        previous: ChangeSet | None = None
        checked: ChangeSet | None = None
        changes: list[Change] = []
        findings: list[Finding] = []
        usage = Usage()
        rounds = 0
        for round_no in range(1, max_rounds + 1):
            self.progress(f"planning with the {self.planner.name} planner (round {round_no})")
            if previous is None:
                planned, intent = self._first_plan(intent, base, context, also_try)
            else:
                planned = self.plan(
                    intent, base, findings=findings, previous=previous, context=context
                )
            usage = usage + planned.usage
            if previous is not None and (not planned.edits or planned.edits == previous.edits):
                # The planner cannot repair further (or gave up): the last attempt, with its
                # findings, is the result.
                break
            previous, rounds = planned, round_no
            merged = replace(planned, edits=merge_edits(pending, planned.edits))
            checked = self.apply_learned_rules(merged, base)
            self.refuse_rejected(checked, force=force)
            try:
                changes, findings = self.check(base, checked)
            except EditRejected as e:
                base.workspace.reset()
                changes, findings = [], [Finding("apply", "error", str(e))]
                continue
            if not any(f.severity == "error" for f in findings):
                return Attempt(
                    replace(checked, usage=usage), tuple(changes), tuple(findings), round_no
                )
        # The base workspace holds the last checked change applied (nothing when it could not
        # apply): it is the result, with its findings.
        assert checked is not None
        return Attempt(replace(checked, usage=usage), tuple(changes), tuple(findings), rounds)

    def _first_plan(
        self, intent: str, base: Base, context: PlanContext | None, also_try: Sequence[str]
    ) -> tuple[ChangeSet, str]:
        """The first round's plan and the wording that produced it."""
        try:
            return self.plan(intent, base, context=context), intent
        except UsageError:
            for wording in also_try:
                try:
                    return self.plan(wording, base, context=context), wording
                except UsageError:
                    continue
            raise

    def validate(self, ws: Workspace, changes: Sequence[Change]) -> list[Finding]:
        """Run every validator on the files ``changes`` touched and the builds using them
        (no baseline: every finding counts)."""
        return validate_change(ws, changes, self.validators, baseline=False)


def _live_diffs(validators: Sequence[Validator]) -> str:
    """The live diffs of the validators that record them (the dry-run), as one text."""
    parts = []
    for v in validators:
        if isinstance(v, ReportsLiveDiffs):
            parts += [f"# {ref}\n{text}" for ref, text in sorted(v.diffs.items()) if text]
    return "\n".join(parts)


def _commit_message(p: Proposal) -> str:
    subject = p.intent if len(p.intent) <= 72 else p.intent[:71] + "…"
    lines = [subject, ""]
    for c in p.changes:
        where = f" {c.path}" if c.path else ""
        lines.append(f"- {c.operation} {c.ref}{where} ({c.file})")
    errors = sum(f.severity == "error" for f in p.findings)
    warnings = sum(f.severity == "warning" for f in p.findings)
    lines += ["", f"Validation: {errors} error(s), {warnings} warning(s).", ""]
    lines.append(f"Kubesmith-Proposal: {p.id}")
    return "\n".join(lines) + "\n"


def open_agent(
    repo: Path,
    *,
    planner: str | None = None,
    settings: Settings | None = None,
    progress: Progress = _quiet,
    validators: Sequence[Validator] | None = None,
) -> Agent:
    """An Agent for ``repo`` with the planner, validators and forge its settings name.

    Pass ``validators`` (e.g. from :func:`kubesmith.agent.factory.open_validators`, which adds the
    dry-run) to override the settings' choice.
    """
    from kubesmith.agent.factory import build_forge, build_planner, build_validators
    from kubesmith.store import Store

    settings = settings if settings is not None else load_settings(repo)
    GitRepo(repo)  # a clear error for a folder that is not a git repository, before anything else
    store = Store.open(settings.store_url, repo)
    return Agent(
        repo=repo,
        settings=settings,
        planner=build_planner(planner or settings.effective_planner, settings),
        validators=list(validators) if validators is not None else build_validators(settings, repo),
        forge=build_forge(settings, repo, store),
        progress=progress,
        store=store,
    )


def propose(
    intent: str,
    repo: Path | str = ".",
    *,
    planner: str | None = None,
    open_pr: bool = True,
    force: bool = False,
) -> Proposal:
    """Propose ``intent`` on the repository at ``repo`` with its configured agent.

    The one-call form of ``open_agent(repo).propose(intent)``.
    """
    return open_agent(Path(repo), planner=planner).propose(intent, open_pr=open_pr, force=force)
