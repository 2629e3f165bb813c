"""``kubesmith bot serve``: run the GitHub bot (webhooks in, validation and proposals out)."""

from __future__ import annotations

from pathlib import Path

import click

from kubesmith.terminal import handle_errors


@click.group("bot")
def command() -> None:
    """The GitHub bot: validates manifest pull requests and runs /kubesmith commands.

    See docs/bot.md for setting it up as a GitHub App.
    """


@command.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".kubesmith-bot"),
    show_default=True,
    help="Store (SQLite unless KUBESMITH_STORE_URL is set) and work folders.",
)
@click.option(
    "--workers", "concurrency", default=2, show_default=True, type=int,
    help="Jobs run at once by this process (0: only receive webhooks).",
)  # fmt: skip
@click.option(
    "--store-url", default=None, metavar="URL",
    help="SQLAlchemy URL of the store and job queue (default: KUBESMITH_STORE_URL, else SQLite "
    "in --data-dir); PostgreSQL lets several replicas share one queue.",
)  # fmt: skip
@click.option("--log-level", default="info", show_default=True, help="uvicorn's log level.")
@handle_errors
def serve(
    host: str, port: int, data_dir: Path, concurrency: int, store_url: str | None, log_level: str
) -> None:
    """Serve POST /webhook, /healthz, /readyz and /metrics.

    \b
    Environment:
      GITHUB_WEBHOOK_SECRET   required; deliveries must be signed with it
      GITHUB_TOKEN, or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY[_PATH]   GitHub credentials
      GITHUB_API_URL          GitHub Enterprise, e.g. https://ghe.example.com/api/v3
      KUBESMITH_STORE_URL     PostgreSQL URL so several replicas share one queue

    \b
    Example:
      GITHUB_WEBHOOK_SECRET=... GITHUB_TOKEN=... kubesmith bot serve --port 8080
    """
    import uvicorn

    from kubesmith.bot.app import create_app
    from kubesmith.bot.config import BotConfig
    from kubesmith.bot.service import Bot

    overrides: dict[str, object] = {"concurrency": concurrency}
    if store_url:
        overrides["store_url"] = store_url
    config = BotConfig.from_env(data_dir.resolve(), None, **overrides)
    app = create_app(Bot(config))
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
