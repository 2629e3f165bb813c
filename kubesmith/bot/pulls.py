"""Work on one pull request: check it out for a job, validate it, report on it.

Both the validation job (:mod:`kubesmith.bot.handlers`) and the ``/kubesmith`` commands
(:mod:`kubesmith.bot.commands`) use these, so they live apart from either.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from kubesmith.bot import comments
from kubesmith.bot.checkout import Checkout, checkout
from kubesmith.bot.limits import run_limited
from kubesmith.bot.validation import PullTarget, Verdict, base_settings, validate_checkout

if TYPE_CHECKING:
    from kubesmith.bot.handlers import JobContext
    from kubesmith.tools.forges.github import GitHubClient


def checkout_pull(
    ctx: JobContext, client: GitHubClient, target: PullTarget, job_id: int
) -> AbstractContextManager[Checkout]:
    """The pull request's head (and base) checked out in the job's own work folder."""
    return checkout(
        ctx.config.work_dir / f"job-{job_id}",
        target.clone_url,
        client.token(),
        head_ref=target.head_ref,
        head_sha=target.head_sha,
        base_ref=target.base_ref,
        base_sha=target.base_sha,
        number=target.number,
        allow_file=ctx.config.allow_file_remotes,
    )


def validate_pull(
    ctx: JobContext, client: GitHubClient, target: PullTarget, job_id: int
) -> Verdict:
    """Validate the pull request; upsert the ONE validation comment and set the commit status."""
    client.create_status(target.head_sha, "pending", description="validating changed manifests")
    with checkout_pull(ctx, client, target, job_id) as co:
        verdict = validate_limited(ctx, co)
    body = comments.validation_comment(
        verdict.findings,
        verdict.files,
        head_sha=target.head_sha,
        blob_url=target.blob_url,
        validators=verdict.validators,
    )
    client.upsert_comment(target.number, body, comments.VALIDATION_MARKER)
    state, description = comments.status_of(verdict.findings, len(verdict.files))
    client.create_status(target.head_sha, state, description=description)  # type: ignore[arg-type]
    return verdict


def validate_limited(ctx: JobContext, co: Checkout) -> Verdict:
    """Validate ``co`` in a child process within the bot's memory limit for one job."""
    return run_limited(
        _validate, co, memory_mb=ctx.config.job_memory_mb, what="validating this pull request"
    )


def _validate(co: Checkout) -> Verdict:
    """The validation of one checkout (module-level: it runs in a memory-limited child)."""
    return validate_checkout(co, base_settings(co))
