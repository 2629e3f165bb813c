"""Validating a pull request: the changed manifests at its head, with the base's configuration.

Validators come from :func:`kubesmith.agent.factory.build_validators` (the one place that
chooses them), built over the *base* worktree so policy folders and CRDs are the base's, plus
the server-side dry-run when the base's settings turn it on (``dry_run.mode``). Files
are read as ``kubesmith validate`` reads them (:mod:`kubesmith.cli.validate`). A finding the
same file already had on the base is marked pre-existing and does not fail the check: the pull
request did not cause it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kubesmith.bot.checkout import Checkout
from kubesmith.config import Settings, load_settings
from kubesmith.model import Finding
from kubesmith.tools.validator import Validator


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
    """Validate the manifests the pull request changed."""
    from kubesmith.agent.factory import build_validators
    from kubesmith.cli.validate import discover, patch_files

    changed = set(co.changed_files())
    files = [(rel, path) for rel, path in discover([], co.head, settings) if rel in changed]
    with ExitStack() as stack:
        validators = build_validators(settings, co.base)
        if files and settings.dry_run.mode != "off":
            from kubesmith.tools.dryrun_setup import open_dry_run

            dry_run = stack.enter_context(open_dry_run(settings.dry_run))
            if dry_run is not None:
                validators.append(dry_run)
        names = tuple(v.name for v in validators)
        if not files:
            return Verdict((), (), names)
        findings = _run(validators, files, patch_files(co.head))
        before_files = [(rel, co.base / rel) for rel, _ in files if (co.base / rel).is_file()]
        before = {_key(f) for f in _run(validators, before_files, patch_files(co.base))}
    marked = tuple(_mark(f, before) for f in findings)
    return Verdict(tuple(r for r, _ in files), marked, names)


def _run(
    validators: Sequence[Validator], files: Sequence[tuple[str, Path]], patches: set[str]
) -> list[Finding]:
    from kubesmith.cli.validate import run_validators

    return run_validators(validators, files, patches) if files else []


def _key(f: Finding) -> tuple[object, ...]:
    # Lines move when the pull request inserts text, so they are not part of the identity.
    return (f.validator, f.file, f.ref, f.path, f.rule, f.message)


def _mark(f: Finding, before: set[tuple[object, ...]]) -> Finding:
    if _key(f) not in before:
        return f
    severity = "warning" if f.severity == "error" else f.severity
    return replace(f, severity=severity, preexisting=True)
