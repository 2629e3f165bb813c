"""From ``--dry-run server|sandbox|off`` to a ready :class:`DryRunValidator` for one command.

``sandbox`` reuses the sandbox already running in the configured folder (``kubesmith sandbox
up``) and otherwise starts a throwaway one in a temporary folder for the duration of the
command, installing the repository's CRDs into it.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from kubesmith.config import DryRunSettings
from kubesmith.errors import ConfigError
from kubesmith.tools.binaries.cache import Progress
from kubesmith.tools.dryrun.validator import DryRunValidator


@contextlib.contextmanager
def open_dry_run(
    settings: DryRunSettings,
    *,
    crds: Sequence[Mapping[str, Any]] = (),
    progress: Progress | None = None,
    timeout: float = 10.0,
) -> Iterator[DryRunValidator | None]:
    """Yield the validator ``settings`` ask for (``None`` for ``off``); stop what was started.

    Raises:
        ConfigError: for an unknown mode.
        ToolError: ``sandbox`` mode and no sandbox runs and none can be started (binaries
            missing — the message names the install command).
    """
    if settings.mode == "off":
        yield None
        return
    if settings.mode == "server":
        yield DryRunValidator(settings.kubeconfig, settings.context, timeout=timeout)
        return
    if settings.mode != "sandbox":
        raise ConfigError(f"unknown dry-run mode {settings.mode!r} (server, sandbox or off)")
    from kubesmith.tools.sandbox.server import Sandbox, default_sandbox_dir

    configured = Path(settings.sandbox_dir) if settings.sandbox_dir else default_sandbox_dir()
    running = Sandbox(configured, progress=progress)
    if running.status().running:
        running.install_crds(crds)
        yield DryRunValidator(sandbox=running, timeout=timeout)
        return
    with (
        tempfile.TemporaryDirectory(prefix="kubesmith-sandbox-") as tmp,
        Sandbox(Path(tmp), crds=crds, progress=progress) as throwaway,
    ):
        yield DryRunValidator(sandbox=throwaway, timeout=timeout)
