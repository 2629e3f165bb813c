"""GitHubForge: push the proposal branch, open (or update) its pull request, read outcomes.

Idempotent by construction. Before opening anything it looks for the proposal's pull request:

1. in the local store, by branch (a pull request this machine opened);
2. on GitHub, by head branch, keeping pull requests whose hidden metadata block names the
   proposal (never by title);
3. for the *same change* proposed again (a re-run makes a new proposal id and branch): a remote
   ``kubesmith/<same-slug>-*`` branch whose tip kubesmith made with the same parent and the same
   tree. That branch is reused — nothing new is pushed — and its pull request (if any) updated.

So a run that pushed and then failed before the pull request existed is completed by the next
run, without a second branch or pull request; and running a proposal again updates its pull
request. A 422 "A pull request already exists" from GitHub (a race with another run) is answered
by updating the existing one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubesmith.errors import ForgeError
from kubesmith.model import Outcome, Proposal, PullRequest
from kubesmith.tools.forges.body import METADATA_RE, read_metadata
from kubesmith.tools.forges.github.client import GitHubClient, client_from_settings, pr_number
from kubesmith.tools.forges.github.http import GitHubAPIError
from kubesmith.tools.forges.github.push import Pusher
from kubesmith.tools.git import TRAILER, GitRepo

if TYPE_CHECKING:
    from kubesmith.config import Settings
    from kubesmith.store import PullRequestRecord, Store

log = logging.getLogger(__name__)

FORGE = "github"


class GitHubForge:
    """Pull requests on GitHub (or GitHub Enterprise) for one repository."""

    name = FORGE

    def __init__(
        self,
        repo: Path,
        store: Store,
        client: GitHubClient,
        *,
        remote: str = "origin",
        labels: Sequence[str] = ("kubesmith",),
        draft: bool = False,
        reviewers: Sequence[str] = (),
    ) -> None:
        self.git = GitRepo(repo)
        self.store = store
        self.client = client
        self.remote = remote
        self.labels = tuple(labels)
        self.draft = draft
        self.reviewers = tuple(reviewers)
        self._pusher: Pusher | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, repo: Path, store: Store, **options: Any
    ) -> GitHubForge:
        """The forge the settings and environment describe.

        ``options`` go to :func:`~.client.client_from_settings` (``env``, ``slug``, and the HTTP
        options ``client``, ``sleep``, ``clock`` ...).
        """
        client = client_from_settings(settings, repo, **options)
        f = settings.forge
        return cls(repo, store, client, labels=f.labels, draft=f.draft, reviewers=f.reviewers)

    @property
    def repository(self) -> str:
        """``owner/name``: pull request numbers are unique only within it."""
        return str(self.client.slug)

    @property
    def pusher(self) -> Pusher:
        """The git side, created on first use (it needs the token)."""
        if self._pusher is None:
            self._pusher = Pusher(self.git, self.remote, self.client.token())
        return self._pusher

    # ------------------------------------------------------------------ open

    def open_pr(self, proposal: Proposal, *, title: str, body: str) -> PullRequest:
        """Push the proposal's commit and open its pull request, or update the existing one.

        The pull request is returned, not recorded: the caller (the agent's loop) records the
        proposal and its pull request once. When an earlier branch holding the same change was
        reused, the returned pull request names that branch and commit.

        Raises:
            ForgeError: a branch kubesmith may not push, a rejected push, GitHub refusing, or the
                same change already closed or merged on GitHub (it is not reopened).
        """
        if not proposal.branch or not proposal.commit:
            raise ForgeError("the proposal has no branch and commit to push")
        info = self.client.repository()
        protected = {str(info.get("default_branch") or ""), proposal.base} - {""}
        branch, commit = proposal.branch, proposal.commit
        pull = self._find_pull(proposal, branch)
        if pull is None:
            adopted = self._same_change_branch(proposal)
            if adopted is not None:
                branch, commit = adopted
                log.info("reusing %s: it holds the same change (%s)", branch, commit[:12])
                body = _with_branch(body, branch)
                pull = self._newest(self.client.find_pulls(branch))
        if pull is not None and pull.get("state") != "open":
            verdict = "merged" if pull.get("merged_at") else "closed"
            raise ForgeError(
                f"this change was already proposed as pull request #{pull['number']}, which was "
                f"{verdict} ({pull.get('html_url', '')}); kubesmith does not reopen it"
            )
        if branch == proposal.branch:
            self._check_base(proposal)
            result = self.pusher.push(
                branch, proposal.commit, proposal_id=proposal.id, protected=protected
            )
            log.info("push %s: %s", branch, result.action)
        if pull is None:
            pull = self._create(proposal, branch, title, body)
        else:
            pull = self.client.update_pull(int(pull["number"]), title=title, body=body)
        number = int(pull["number"])
        self.client.add_labels(number, self.labels)
        self._request_reviewers(number)
        pr = PullRequest(
            forge=self.name,
            id=str(number),
            url=str(pull.get("html_url", "")),
            title=title,
            repository=self.repository,
        )
        if branch != proposal.branch:
            pr = replace(pr, branch=branch, commit=commit)
        return pr

    def _check_base(self, proposal: Proposal) -> None:
        """Refuse to publish commits of the local base branch that its remote does not have.

        The proposal is committed on the *local* base; if that is ahead of the remote's, the pull
        request would silently carry the user's unpushed commits too.
        """
        assert proposal.commit is not None
        parent = self._parent_and_tree(proposal.commit)[0]
        if self.pusher.remote_tip(proposal.base) is None:
            raise ForgeError(
                f"the base branch {proposal.base!r} does not exist on {self.remote}; push it first "
                "or set forge.base_branch"
            )
        remote_base = self.pusher.fetch(proposal.base)
        if parent and not self.pusher.contains(remote_base, parent):
            raise ForgeError(
                f"the local {proposal.base} has commits that {self.remote}/{proposal.base} does "
                f"not have; the pull request would carry them too. Push {proposal.base} (or reset "
                "it to the remote) and propose again; nothing was pushed"
            )

    def _create(self, proposal: Proposal, branch: str, title: str, body: str) -> dict[str, Any]:
        draft = self.draft or proposal.blocked
        try:
            return self.client.create_pull(
                title=title, head=branch, base=proposal.base, body=body, draft=draft
            )
        except GitHubAPIError as e:
            if e.status != 422 or not e.mentions("already exists"):
                raise
            existing = self._newest(self.client.find_pulls(branch, state="open"))
            if existing is None:
                raise ForgeError(
                    f"GitHub says a pull request for {branch} already exists but none is open: {e}"
                ) from e
            return self.client.update_pull(int(existing["number"]), title=title, body=body)

    def _request_reviewers(self, number: int) -> None:
        try:
            self.client.request_reviewers(number, self.reviewers)
        except GitHubAPIError as e:
            if e.status != 422:
                raise
            # A reviewer who is not a collaborator (or is the author) must not fail the proposal.
            log.warning("could not request reviewers %s on #%s: %s", self.reviewers, number, e)

    def _find_pull(self, proposal: Proposal, branch: str) -> dict[str, Any] | None:
        """The proposal's pull request: from the store, else on GitHub by head and metadata."""
        record = self.store.find_pull_request(branch, self.name, self.repository)
        if record is not None:
            try:
                return self.client.pull(pr_number(record.pr.id))
            except GitHubAPIError as e:
                if e.status != 404:
                    raise
        ours = [
            p
            for p in self.client.find_pulls(branch)
            if (read_metadata(str(p.get("body") or "")) or {}).get("proposal") == proposal.id
        ]
        return self._newest(ours)

    @staticmethod
    def _newest(pulls: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The open pull request when there is one, else the most recent."""
        if not pulls:
            return None
        return max(pulls, key=lambda p: (p.get("state") == "open", int(p.get("number", 0))))

    def _same_change_branch(self, proposal: Proposal) -> tuple[str, str] | None:
        """A remote branch kubesmith made earlier for exactly this change, and that commit.

        The commit is kubesmith's (it has a ``Kubesmith-Proposal:`` trailer) with our parent and
        our tree; it may be the tip, or lie under commits reviewers pushed on top of it.
        """
        if not proposal.branch or not proposal.commit:
            return None
        prefix = proposal.branch.rsplit("-", 1)[0] + "-"
        ours = self._parent_and_tree(proposal.commit)
        for name in sorted(self.pusher.remote_branches(prefix)):
            if name == proposal.branch:
                continue
            tip = self.pusher.fetch(name)
            log_format = f"%H %P %T %(trailers:key={TRAILER},valueonly,separator=%x2C)"
            history = self.git.run(
                "log", "--first-parent", "--max-count=50", f"--format={log_format}", tip
            )
            for line in history.splitlines():
                fields = line.split()
                if len(fields) >= 4 and (fields[1], fields[2]) == ours:
                    return name, fields[0]
        return None

    def _parent_and_tree(self, commit: str) -> tuple[str, str]:
        out = self.git.run("log", "-1", "--format=%P %T", commit).split()
        return (out[0] if len(out) > 1 else "", out[-1])

    # ------------------------------------------------------------------ comment, outcomes

    def comment(self, pr_id: str, body: str) -> None:
        """Add a conversation comment to pull request ``pr_id`` (its number)."""
        self.client.create_comment(pr_number(pr_id), body)

    def outcomes(self) -> list[Outcome]:
        """Read every open pull request's state from GitHub into the store; return the outcomes."""
        from kubesmith.tools.forges.github.sync import sync_outcomes

        return sync_outcomes(self)

    def list(self, status: str | None = None) -> list[PullRequestRecord]:
        """This forge's pull requests as the store knows them, newest first."""
        return self.store.list_pull_requests(status=status, forge=self.name)


def _with_branch(body: str, branch: str) -> str:
    """``body`` with the metadata block's branch replaced (when the branch was reused)."""
    m = METADATA_RE.search(body)
    if not m:
        return body
    meta = json.loads(m.group(1))
    meta["branch"] = branch
    block = f"<!-- kubesmith-metadata {json.dumps(meta, sort_keys=True)} -->"
    return body[: m.start()] + block + body[m.end() :]
