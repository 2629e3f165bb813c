"""Validating a pull request: the changed manifests at its head, with the base's configuration.

The work is :func:`kubesmith.agent.validation.validate`, the path ``kubesmith validate`` and
``propose`` use too. Validators come from :func:`kubesmith.agent.factory.build_validators`,
built over the *base* worktree so policy folders and CRDs are the base's (never the pull
request's: its author controls the head), plus the server-side dry-run when the base's settings
turn it on. A finding the base already had is marked pre-existing and does not fail the check:
the pull request did not cause it.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from kubesmith.bot.checkout import Checkout
from kubesmith.config import Settings, load_settings
from kubesmith.model import Finding


@dataclass(frozen=True)
class PullTarget:
    """The pull request a job works on, from a webhook payload or ``GET /pulls/{n}``."""

    repo: str
    number: int
    clone_url: str
    html_url: str
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    default_branch: str
    body: str = ""

    @classmethod
    def from_api(cls, pull: dict[str, Any], repo: str) -> PullTarget:
        """From the REST (or webhook) pull request object."""
        base_repo = pull["base"].get("repo") or {}
        return cls(
            repo=repo,
            number=int(pull["number"]),
            clone_url=str(base_repo.get("clone_url") or ""),
            html_url=str(base_repo.get("html_url") or ""),
            head_ref=str(pull["head"]["ref"]),
            head_sha=str(pull["head"]["sha"]),
            base_ref=str(pull["base"]["ref"]),
            base_sha=str(pull["base"]["sha"]),
            default_branch=str(base_repo.get("default_branch") or "main"),
            body=str(pull.get("body") or ""),
        )

    @property
    def blob_url(self) -> str:
        """Where the head's files are shown on GitHub."""
        return f"{self.html_url}/blob/{self.head_sha}" if self.html_url else ""


@dataclass(frozen=True)
class Verdict:
    """What validation found: the checked files, the findings, the validators that ran."""

    files: tuple[str, ...]
    findings: tuple[Finding, ...]
    validators: tuple[str, ...]


def base_settings(co: Checkout) -> Settings:
    """The repository's settings from ``.kubesmith.yaml`` on the base branch."""
    return load_settings(co.base)


def validate_checkout(co: Checkout, settings: Settings) -> Verdict:
    """Validate the manifests the pull request changed (and the builds that use them)."""
    from kubesmith.agent.factory import build_validators
    from kubesmith.agent.validation import validate
    from kubesmith.agent.validation.files import refused_link

    # Deleted files select the builds that used them too (there is nothing else to read). A
    # link the pull request adds is a finding, never read: the checkout holds it as a plain
    # file with its target's path, which must not pass for a manifest either.
    merge_base = co.git("merge-base", co.base_sha, co.head_sha).strip()
    links = _links(co, merge_base)
    changed = (set(co.changed_files()) | _deleted(co, merge_base)) - links
    with ExitStack() as stack:
        validators = build_validators(settings, co.base)
        if changed and settings.dry_run.mode != "off":
            from kubesmith.tools.dryrun.setup import open_dry_run

            dry_run = stack.enter_context(open_dry_run(settings.dry_run))
            if dry_run is not None:
                validators.append(dry_run)
        names = tuple(v.name for v in validators)
        refused = tuple(refused_link(rel) for rel in sorted(links))
        if not changed:
            return Verdict(tuple(sorted(links)), refused, names)
        report = validate(co.head, validators, settings, only=changed, base=co.base)
    return Verdict((*report.files, *sorted(links)), (*refused, *report.findings), names)


def _links(co: Checkout, merge_base: str) -> set[str]:
    """Symbolic links the pull request adds or changes (git mode 120000 at its head)."""
    from kubesmith.reading import display_name

    out = co.git(
        "diff", "--raw", "--no-renames", "--diff-filter=ACMT", "-z", merge_base, co.head_sha,
        errors="surrogateescape",
    )  # fmt: skip
    fields = out.split("\0")
    links = set()
    for meta, path in zip(fields[::2], fields[1::2], strict=False):
        parts = meta.split()
        if len(parts) >= 2 and parts[1] == "120000":
            links.add(display_name(path))
    return links


def _deleted(co: Checkout, merge_base: str) -> set[str]:
    """Files the pull request deletes (relative to ``merge_base``)."""
    out = co.git(
        "diff", "--name-only", "--diff-filter=D", "-z", merge_base, co.head_sha,
        errors="surrogateescape",
    )  # fmt: skip
    from kubesmith.reading import display_name

    return {display_name(p) for p in out.split("\0") if p}
