"""The MCP server: kubesmith's loop as tools for coding agents (``kubesmith mcp serve``).

An interface beside the CLI, the bot and the evals, on :mod:`kubesmith.agent` only:

- :mod:`.tools` — what each tool does (:class:`Workbench`), plain synchronous calls;
- :mod:`.confirmation` — asking the user before ``open_pr`` writes anything;
- :mod:`.server` — the tools and resources on the official ``mcp`` SDK (:func:`build_server`);
- :mod:`.command` — the ``kubesmith mcp serve`` command.

Importing this package does not import the SDK; :mod:`.server` does.
"""

from kubesmith.mcp.tools import Workbench

__all__ = ["Workbench"]
