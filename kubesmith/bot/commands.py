"""``/kubesmith`` commands in pull request comments.

Only users with write access (``admin``, ``maintain`` or ``write`` by the collaborator
permission endpoint) may run them; others get a polite refusal. Every answer is one reply
comment per command comment, found by its marker, so a retried job edits its reply instead of
adding one.

``/kubesmith <intent>`` proposes on the pull request's head branch: the proposal becomes a pull
request *into that branch* — or, on kubesmith's own pull request, a commit pushed onto it. A
retry after a crash finds the same change's branch and pull request (the GitHub forge matches
the same parent and tree) instead of opening a second one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubesmith.bot import comments
from kubesmith.bot.checkout import Checkout
from kubesmith.bot.events import IssueCommentEvent, command_of
from kubesmith.bot.pulls import checkout_pull, validate_limited, validate_pull
from kubesmith.bot.queue import Job
from kubesmith.bot.validation import PullTarget, base_settings
from kubesmith.errors import UsageError
from kubesmith.model import Proposal
from kubesmith.tools.forges.body import read_metadata

if TYPE_CHECKING:
    from kubesmith.bot.handlers import JobContext
    from kubesmith.tools.forges.github import GitHubClient

WRITERS = frozenset({"admin", "maintain", "write"})


def run_command(ctx: JobContext, job: Job, event: IssueCommentEvent) -> None:
    """Answer one ``/kubesmith`` comment."""
    text = command_of(event.comment.body) or "help"
    installation = event.installation.id if event.installation else None
    client = ctx.clients(event.repository.full_name, installation)
    number = event.issue.number
    marker = comments.reply_marker(event.comment.id)
    try:
        login = event.comment.user.login
        permission = client.permission(login)
        if permission not in WRITERS:
            client.upsert_comment(number, comments.refusal(login, permission), marker)
            return
        if text.lower() == "help":
            client.upsert_comment(number, comments.HELP, marker)
            return
        target = PullTarget.from_api(client.pull(number), event.repository.full_name)
        if text.lower() == "validate":
            verdict = validate_pull(ctx, client, target, job.id)
            reply = (
                f"Validated `{target.head_sha[:12]}`: {comments.counts_line(verdict.findings)} "
                "— see the kubesmith validation comment."
            )
        elif text.lower() == "explain":
            reply = _explain(ctx, client, target, job.id)
        else:
            reply = _propose(ctx, client, target, text, job.id)
        client.upsert_comment(number, reply, marker)
    finally:
        client.close()


def _explain(ctx: JobContext, client: GitHubClient, target: PullTarget, job_id: int) -> str:
    meta = read_metadata(target.body) or {}
    # Only a pull request the store says kubesmith opened is explained from its proposal: a
    # metadata block pasted into a stranger's body must not show another proposal.
    record = ctx.store.pull_request("github", target.repo, str(target.number))
    if record and record.proposal_id == meta.get("proposal") and record.branch == target.head_ref:
        try:
            return _explain_proposal(ctx.store.get_proposal(record.proposal_id))
        except UsageError:
            pass  # forgotten since: explain the findings instead
    with checkout_pull(ctx, client, target, job_id) as co:
        verdict = validate_limited(ctx, co)
    if not verdict.findings:
        return f"Nothing to explain: the {len(verdict.files)} changed manifest file(s) pass."
    lines = ["### What kubesmith found, and why it matters", ""]
    for f in verdict.findings:
        if f.severity == "info":
            continue
        where = f"`{f.location()}`" + (f" field `{f.path}`" if f.path else "")
        rule = f.rule or f.validator
        lines.append(
            f"- **{f.severity}** {where} — {f.message} (rule `{rule}` of the {f.validator} "
            "validator" + (", already on the base branch" if f.preexisting else "") + ")"
        )
    return "\n".join(lines)


def _explain_proposal(p: Proposal) -> str:
    lines = [f"### kubesmith proposal `{p.id}`", "", f"**Intent:** {p.intent}", ""]
    if p.rationale:
        lines += [p.rationale, ""]
    lines += [f"Planned by the {p.planner} planner in {p.iterations} round(s). Changes:", ""]
    for c in p.changes:
        lines.append(f"- {c.operation} `{c.path or c.ref}` in `{c.file}`")
    if p.findings:
        lines += ["", "Findings at the time:"]
        lines += [f"- {f.severity} `{f.location()}`: {f.message}" for f in p.findings]
    return "\n".join(lines)


def _propose(
    ctx: JobContext, client: GitHubClient, target: PullTarget, intent: str, job_id: int
) -> str:
    """Plan, validate and publish ``intent`` on the pull request's head branch."""
    from kubesmith.agent.factory import build_planner, build_validators
    from kubesmith.agent.loop import Agent
    from kubesmith.tools.forges.github import GitHubForge

    # kubesmith's own pull request (by the store's record, not by anything in its body): the
    # change is pushed onto its branch instead of opening another pull request.
    record = ctx.store.pull_request("github", target.repo, str(target.number))
    own = record is not None and record.branch == target.head_ref
    with checkout_pull(ctx, client, target, job_id) as co:
        settings = base_settings(co).merged(**{"forge.base_branch": target.head_ref})
        co.git("branch", "-f", target.head_ref, target.head_sha)
        f = settings.forge
        forge = GitHubForge(
            co.head, ctx.store, client, labels=f.labels, draft=f.draft, reviewers=f.reviewers
        )
        agent = Agent(
            repo=co.head,
            settings=settings,
            planner=build_planner(settings.effective_planner, settings),
            validators=build_validators(settings, co.base),
            forge=None if own else forge,
            store=ctx.store,  # the loop records the pull request it opens (outcomes need it)
        )
        try:
            proposal = agent.propose(intent, open_pr=not own)
        except UsageError as e:
            return f"kubesmith could not plan `{intent}`: {e}"
        if own and proposal.commit:
            _push_onto(co, client, target, proposal)
    return _proposal_reply(proposal, target, own)


def _push_onto(co: Checkout, client: GitHubClient, target: PullTarget, p: Proposal) -> None:
    """Push the proposal's commit onto kubesmith's own pull request branch (fast-forward)."""
    from kubesmith.tools.forges.github import Pusher
    from kubesmith.tools.git import GitRepo

    assert p.commit is not None
    meta = read_metadata(target.body) or {}
    Pusher(GitRepo(co.head), "origin", client.token()).push(
        target.head_ref,
        p.commit,
        proposal_id=meta.get("proposal", p.id),
        protected={target.default_branch, target.base_ref},
    )


def _proposal_reply(p: Proposal, target: PullTarget, own: bool) -> str:
    if not p.changes:
        return f"Nothing to change for `{p.intent}`: {p.rationale or 'already as asked.'}"
    if p.blocked:
        lines = [f"kubesmith planned `{p.intent}` but the change fails validation, so nothing "
                 "was pushed:", ""]  # fmt: skip
        lines += [f"- {f.severity} `{f.location()}`: {f.message}" for f in p.findings
                  if f.severity == "error"]  # fmt: skip
        return "\n".join(lines)
    where = (
        f"pushed `{(p.commit or '')[:12]}` onto `{target.head_ref}`"
        if own
        else f"opened {p.pr.url or '#' + p.pr.id} into `{target.head_ref}`"
        if p.pr
        else f"committed `{p.branch}`"
    )
    changes = "\n".join(f"- {c.operation} `{c.path or c.ref}` in `{c.file}`" for c in p.changes)
    return f"Done: {where} for `{p.intent}`.\n\n{changes}"
