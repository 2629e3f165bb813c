"""kubesmith: natural-language intents → minimal, validated changes to Kubernetes manifests in Git.

The public API is exactly the names in ``__all__``; everything else is private.

    import kubesmith
    proposal = kubesmith.propose("scale checkout to 3 replicas", repo="path/to/manifests")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubesmith.agent.llm import AutoPlanner, LLMPlanner
    from kubesmith.agent.loop import Agent, open_agent, propose
    from kubesmith.agent.offline import OfflinePlanner
    from kubesmith.agent.planner import PlanContext, Planner
    from kubesmith.config import Settings, load_settings
    from kubesmith.errors import (
        ConfigError,
        EditRejected,
        ForgeError,
        GitError,
        IntentNotUnderstood,
        KubesmithError,
        ManifestError,
        ReferenceError_,
        RunError,
        ToolError,
        UsageError,
    )
    from kubesmith.model import (
        AddResource,
        Change,
        ChangeSet,
        DeleteResource,
        Finding,
        Manifest,
        MergePatch,
        Outcome,
        Proposal,
        PullRequest,
        RemoveField,
        ResourceRef,
        ReviewComment,
        SetField,
        Usage,
        from_json,
        to_json,
    )
    from kubesmith.tools.forges.base import Forge
    from kubesmith.tools.forges.local import LocalForge
    from kubesmith.tools.validator import Validator
    from kubesmith.workspace import Document, Workspace

__version__ = "0.1.0"

_LAZY = {
    "AutoPlanner": "kubesmith.agent.llm",
    "LLMPlanner": "kubesmith.agent.llm",
    "AddResource": "kubesmith.model",
    "Agent": "kubesmith.agent.loop",
    "Change": "kubesmith.model",
    "ChangeSet": "kubesmith.model",
    "ConfigError": "kubesmith.errors",
    "DeleteResource": "kubesmith.model",
    "Document": "kubesmith.workspace",
    "EditRejected": "kubesmith.errors",
    "Finding": "kubesmith.model",
    "Forge": "kubesmith.tools.forges.base",
    "ForgeError": "kubesmith.errors",
    "GitError": "kubesmith.errors",
    "IntentNotUnderstood": "kubesmith.errors",
    "KubesmithError": "kubesmith.errors",
    "LocalForge": "kubesmith.tools.forges.local",
    "Manifest": "kubesmith.model",
    "ManifestError": "kubesmith.errors",
    "MergePatch": "kubesmith.model",
    "OfflinePlanner": "kubesmith.agent.offline",
    "Outcome": "kubesmith.model",
    "PlanContext": "kubesmith.agent.planner",
    "Planner": "kubesmith.agent.planner",
    "Proposal": "kubesmith.model",
    "PullRequest": "kubesmith.model",
    "ReferenceError_": "kubesmith.errors",
    "RemoveField": "kubesmith.model",
    "ResourceRef": "kubesmith.model",
    "ReviewComment": "kubesmith.model",
    "RunError": "kubesmith.errors",
    "SetField": "kubesmith.model",
    "Settings": "kubesmith.config",
    "ToolError": "kubesmith.errors",
    "Usage": "kubesmith.model",
    "UsageError": "kubesmith.errors",
    "Validator": "kubesmith.tools.validator",
    "Workspace": "kubesmith.workspace",
    "from_json": "kubesmith.model",
    "load_settings": "kubesmith.config",
    "open_agent": "kubesmith.agent.loop",
    "propose": "kubesmith.agent.loop",
    "to_json": "kubesmith.model",
}

__all__ = [
    "AddResource",
    "Agent",
    "AutoPlanner",
    "Change",
    "ChangeSet",
    "ConfigError",
    "DeleteResource",
    "Document",
    "EditRejected",
    "Finding",
    "Forge",
    "ForgeError",
    "GitError",
    "IntentNotUnderstood",
    "KubesmithError",
    "LLMPlanner",
    "LocalForge",
    "Manifest",
    "ManifestError",
    "MergePatch",
    "OfflinePlanner",
    "Outcome",
    "PlanContext",
    "Planner",
    "Proposal",
    "PullRequest",
    "ReferenceError_",
    "RemoveField",
    "ResourceRef",
    "ReviewComment",
    "RunError",
    "SetField",
    "Settings",
    "ToolError",
    "Usage",
    "UsageError",
    "Validator",
    "Workspace",
    "__version__",
    "from_json",
    "load_settings",
    "open_agent",
    "propose",
    "to_json",
]


def __getattr__(name: str) -> Any:
    # Names load on first use, so `import kubesmith.model` (and `kubesmith --version`) stay light.
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kubesmith' has no attribute {name!r}")
