"""The GitHub bot: webhooks in, validation comments and pull requests out.

A thin layer over the agent: ``kubesmith bot serve`` receives GitHub webhooks, queues each one
durably in the store, and workers validate pull requests, run ``/kubesmith`` commands and record
reviewers' verdicts. Needs the ``bot``, ``github`` and ``store`` extras.
"""

from kubesmith.bot.config import BotConfig
from kubesmith.bot.queue import Job, JobQueue
from kubesmith.bot.signature import sign, verify

__all__ = ["BotConfig", "Job", "JobQueue", "sign", "verify"]
