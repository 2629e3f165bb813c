"""The bot's own settings: where it keeps state, its webhook secret, how many workers.

GitHub credentials and the API URL are not here: the bot reads them exactly as the GitHub forge
does (``GITHUB_TOKEN`` or ``GITHUB_APP_*``, ``GITHUB_API_URL``), through
:func:`kubesmith.tools.forges.github.client_from_settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kubesmith.errors import ConfigError


@dataclass(frozen=True)
class BotConfig:
    """Everything ``kubesmith bot serve`` needs besides GitHub credentials.

    Attributes:
        data_dir: the store (SQLite by default) and the per-job work folders live here.
        webhook_secret: ``GITHUB_WEBHOOK_SECRET``; deliveries not signed with it are refused.
        store_url: a SQLAlchemy URL (PostgreSQL for several replicas); default SQLite in data_dir.
        concurrency: worker threads in this process.
        lease: seconds without a heartbeat before another worker takes a job over.
        max_attempts: tries before a failing job is reported and given up.
        backoff: seconds before the first retry (doubled each time).
        poll: seconds an idle worker waits before looking for work again.
        job_memory_mb: the address space one job's validation may use, in MiB: it runs in a
            child process with that limit (``KUBESMITH_BOT_JOB_MEMORY_MB``; 0 runs it in the
            bot's own process, unbounded).
        crash_limit: a job whose worker died this many times (the process was killed while
            running it) is marked failed instead of being run again.
        env: the environment (GitHub credentials, ``KUBESMITH_ALLOW_FILE_REMOTES``).
    """

    data_dir: Path
    webhook_secret: str
    store_url: str | None = None
    concurrency: int = 2
    lease: float = 120.0
    max_attempts: int = 5
    backoff: float = 5.0
    poll: float = 1.0
    job_memory_mb: int = 2048
    crash_limit: int = 2
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def database_url(self) -> str:
        """The store's URL: ``store_url``, else SQLite at ``<data_dir>/kubesmith.db``."""
        return self.store_url or f"sqlite:///{self.data_dir / 'kubesmith.db'}"

    @property
    def work_dir(self) -> Path:
        """Where jobs clone repositories (one folder per job, removed afterwards)."""
        return self.data_dir / "work"

    @property
    def allow_file_remotes(self) -> bool:
        """Clone URLs on the local disk are accepted only in tests."""
        return self.env.get("KUBESMITH_ALLOW_FILE_REMOTES") == "1"

    @classmethod
    def from_env(
        cls, data_dir: Path, env: Mapping[str, str] | None = None, **overrides: object
    ) -> BotConfig:
        """Settings from the environment (``GITHUB_WEBHOOK_SECRET``, ``KUBESMITH_STORE_URL``).

        Raises:
            ConfigError: when no webhook secret is set (an unsigned bot would run anyone's jobs).
        """
        env = dict(os.environ if env is None else env)
        secret = env.get("GITHUB_WEBHOOK_SECRET", "")
        if not secret:
            raise ConfigError(
                "GITHUB_WEBHOOK_SECRET is not set: the bot refuses to run without a webhook "
                "secret (set the same value in the GitHub App's or repository's webhook settings)"
            )
        store_url = env.get("KUBESMITH_STORE_URL") or None
        values: dict[str, object] = {"store_url": store_url}
        memory = env.get("KUBESMITH_BOT_JOB_MEMORY_MB", "").strip()
        if memory:
            try:
                values["job_memory_mb"] = int(memory)
            except ValueError:
                raise ConfigError(
                    f"KUBESMITH_BOT_JOB_MEMORY_MB={memory!r}: expected a number of MiB"
                ) from None
        values |= overrides
        return cls(data_dir=data_dir, webhook_secret=secret, env=env, **values)  # type: ignore[arg-type]
