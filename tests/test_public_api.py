"""The public API is exactly what kubesmith.__all__ says, and every name resolves."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kubesmith

EXPECTED = {
    "AddResource", "Agent", "AutoPlanner", "Change", "ChangeSet", "ConfigError", "DeleteResource",
    "Document", "EditRejected", "Finding", "Forge", "ForgeError", "GitError",
    "IntentNotUnderstood", "KubesmithError", "LLMPlanner", "LocalForge", "Manifest",
    "ManifestError", "MergePatch", "OfflinePlanner", "Outcome", "PlanContext", "Planner",
    "Proposal", "PullRequest", "ReferenceError_", "RemoveField", "ResourceRef", "ReviewComment",
    "RunError", "SetField", "Settings", "ToolError", "Usage", "UsageError", "Validator",
    "Workspace", "__version__", "from_json", "load_settings", "open_agent", "propose", "to_json",
}  # fmt: skip


def test_exported_names_are_exactly_the_intended_ones() -> None:
    assert set(kubesmith.__all__) == EXPECTED
    for name in kubesmith.__all__:
        assert getattr(kubesmith, name) is not None


@pytest.mark.slow
def test_importing_the_package_stays_light() -> None:
    # The heavy adapters (git, langchain, kubernetes, sqlalchemy) load only when used.
    code = (
        "import sys, kubesmith, kubesmith.model; "
        "heavy = [m for m in ('git', 'langchain_core', 'kubernetes', 'sqlalchemy', 'openai') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
