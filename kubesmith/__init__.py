"""kubesmith: natural-language intents → minimal, validated changes to Kubernetes manifests in Git."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
