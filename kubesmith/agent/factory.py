"""Builds the planner, validators and forge that a repository's settings name.

One place decides which backend serves which setting, so the CLI, the chat session, the bot and
the eval harness all assemble an Agent the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from kubesmith.agent.planner import Planner
from kubesmith.config import Settings
from kubesmith.errors import ConfigError
from kubesmith.tools.forges.base import Forge
from kubesmith.tools.validator import Validator

if TYPE_CHECKING:
    from kubesmith.store import Store


def build_planner(kind: str, settings: Settings) -> Planner:
    """The planner named ``kind``: ``offline``, ``llm`` or ``auto``."""
    if kind == "offline":
        from kubesmith.agent.offline import OfflinePlanner

        return OfflinePlanner()
    if kind in ("llm", "auto"):
        from kubesmith.agent.llm import AutoPlanner, LLMPlanner
        from kubesmith.agent.offline import OfflinePlanner

        def llm() -> Planner:
            return LLMPlanner(settings.llm)

        return llm() if kind == "llm" else AutoPlanner(OfflinePlanner(), llm)
    raise ConfigError(f"unknown planner {kind!r}; use offline, llm or auto")


def build_validators(settings: Settings, repo: Path) -> list[Validator]:
    """The validators the settings enable, in the order they run (cheapest first).

    The one place that decides which validators run: ``propose``, ``validate``, chat, the bot
    and the evals all call it.
    """
    validators: list[Validator] = []
    if settings.schema_.enabled:
        from kubesmith.tools.schema import SchemaValidator

        validators.append(SchemaValidator(settings.schema_, root=repo))
    policy = settings.policy
    if policy.enabled and (policy.packs or policy.folders or policy.rego_folders):
        from kubesmith.tools.policy import PolicyValidator

        validators.append(
            PolicyValidator(settings.policy, root=repo, kube_version=settings.schema_.kube_version)
        )
    return validators


@contextlib.contextmanager
def open_validators(
    settings: Settings, repo: Path, progress: Callable[[str], None] | None = None
) -> Iterator[list[Validator]]:
    """:func:`build_validators` plus the server-side dry-run when ``dry_run.mode`` asks for it.

    The dry-run may start a throwaway sandbox API server; it is stopped when the block ends.
    """
    validators = build_validators(settings, repo)
    if settings.dry_run.mode == "off":
        yield validators
        return
    from kubesmith.agent.validation.validate import repository_crds
    from kubesmith.tools.dryrun.setup import open_dry_run

    crds = [d.obj for d in repository_crds(repo)]
    with open_dry_run(settings.dry_run, crds=crds, progress=progress) as dry_run:
        yield [*validators, *([dry_run] if dry_run is not None else [])]


def build_forge(settings: Settings, repo: Path, store: Store | None = None) -> Forge:
    """The forge the settings name (the local review queue by default)."""
    if store is None:
        from kubesmith.store import Store

        store = Store.open(settings.store_url, repo)
    if settings.forge.kind == "local":
        from kubesmith.tools.forges.local import LocalForge

        return LocalForge(repo, store)
    if settings.forge.kind == "github":
        from kubesmith.tools.forges.github import GitHubForge

        return GitHubForge.from_settings(settings, repo, store)
    raise ConfigError(f"forge {settings.forge.kind!r} is not available yet; use the local forge")
