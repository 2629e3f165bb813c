"""Builds the planner, validators and forge that a repository's settings name.

One place decides which backend serves which setting, so the CLI, the chat session, the bot and
the eval harness all assemble an Agent the same way.
"""

from __future__ import annotations

from pathlib import Path

from kubesmith.agent.planner import Planner
from kubesmith.config import Settings
from kubesmith.errors import ConfigError
from kubesmith.tools.forges.base import Forge
from kubesmith.tools.validator import Validator


def build_planner(kind: str, settings: Settings) -> Planner:
    """The planner named ``kind``: ``offline``, ``llm`` or ``auto``."""
    if kind == "offline":
        from kubesmith.agent.offline import OfflinePlanner

        return OfflinePlanner()
    raise ConfigError(
        f"planner {kind!r} is not available; use --planner offline"
        + ("" if settings.llm.model else " (no model is configured)")
    )


def build_validators(settings: Settings, repo: Path) -> list[Validator]:
    """The validators the settings enable, in the order they run (cheapest first)."""
    del repo
    validators: list[Validator] = []
    return validators


def build_forge(settings: Settings, repo: Path) -> Forge:
    """The forge the settings name (the local review queue by default)."""
    if settings.forge.kind == "local":
        from kubesmith.store import Store
        from kubesmith.tools.forges.local import LocalForge

        return LocalForge(repo, Store.open(settings.store_url, repo))
    raise ConfigError(f"forge {settings.forge.kind!r} is not available yet; use the local forge")
