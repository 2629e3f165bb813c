"""Running one job: validate a pull request, run a ``/kubesmith`` command, record an outcome.

Every handler is safe to run twice (a crash mid-job, a retry): comments are upserted by marker,
the commit status is simply set again, pull requests are found by branch, outcomes merge.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubesmith.bot import comments
from kubesmith.bot.commands import run_command
from kubesmith.bot.config import BotConfig
from kubesmith.bot.events import IssueCommentEvent, PullRequestEvent, parse
from kubesmith.bot.pulls import validate_pull
from kubesmith.bot.queue import Job
from kubesmith.bot.validation import PullTarget
from kubesmith.config import Settings

if TYPE_CHECKING:
    from kubesmith.store import Store
    from kubesmith.tools.forges.github import GitHubClient

log = logging.getLogger(__name__)

ClientFactory = Callable[[str, "int | None"], "GitHubClient"]


def default_client_factory(config: BotConfig) -> ClientFactory:
    """GitHub clients built like the forge's: ``GITHUB_API_URL``, token or App, from ``env``."""

    def make(repo: str, installation: int | None) -> GitHubClient:
        from kubesmith.tools.forges.github import client_from_settings, parse_slug

        return client_from_settings(
            Settings(), env=config.env, slug=parse_slug(repo), installation_id=installation
        )

    return make


@dataclass
class JobContext:
    """What handlers share: the bot's configuration, the feedback store, GitHub clients."""

    config: BotConfig
    store_factory: Callable[[], Store]
    clients: ClientFactory

    _store: Store | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def store(self) -> Store:
        """The feedback store (opened on first use, once for every worker thread)."""
        with self._lock:
            if self._store is None:
                self._store = self.store_factory()
            return self._store


def handle(ctx: JobContext, job: Job) -> None:
    """Run ``job`` (raises on failure; the worker retries or reports)."""
    typed = parse(job.event, job.payload)
    if job.kind == "validate" and isinstance(typed, PullRequestEvent):
        installation = typed.installation.id if typed.installation else None
        target = PullTarget.from_api(job.payload["pull_request"], typed.repository.full_name)
        client = ctx.clients(target.repo, installation)
        try:
            validate_pull(ctx, client, target, job.id)
        finally:
            client.close()
    elif job.kind == "command" and isinstance(typed, IssueCommentEvent):
        run_command(ctx, job, typed)
    elif job.kind == "outcome":
        from kubesmith.bot.outcomes import record_outcome

        record_outcome(ctx.store, job.event, job.payload)
    else:
        log.info("job %s: nothing to do for %s/%s", job.id, job.event, job.kind)


def report_failure(ctx: JobContext, job: Job, error: BaseException) -> None:
    """Tell the pull request that a job failed for good (after the queue's retries)."""
    payload: dict[str, Any] = job.payload
    repo = str((payload.get("repository") or {}).get("full_name") or "")
    installation = (payload.get("installation") or {}).get("id")
    if job.kind == "validate":
        pull = payload.get("pull_request") or {}
        number, what = int(pull.get("number") or 0), "validate this pull request"
        marker = comments.VALIDATION_MARKER
    elif job.kind == "command":
        number = int((payload.get("issue") or {}).get("number") or 0)
        comment_id = int((payload.get("comment") or {}).get("id") or 0)
        what, marker = "run this command", comments.reply_marker(comment_id)
    else:
        return
    if not repo or not number:
        return
    client = ctx.clients(repo, int(installation) if installation else None)
    try:
        client.upsert_comment(number, comments.failure_comment(what, error), marker)
        if job.kind == "validate":
            sha = str(((payload.get("pull_request") or {}).get("head") or {}).get("sha") or "")
            if sha:
                client.create_status(sha, "error", description=f"kubesmith failed: {error}")
    finally:
        client.close()
