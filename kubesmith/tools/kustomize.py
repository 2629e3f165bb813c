"""Render a Kustomize overlay with the real ``kustomize`` binary.

An overlay's patch files are partial resources; what the cluster receives is the rendered output,
so overlays are validated as ``kustomize build`` renders them. kubesmith uses the pinned binary
from the tool cache (or ``kustomize`` on ``PATH``, or ``kubectl kustomize`` as a last resort) so
the rendering is exactly what a team's CD pipeline produces.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from kubesmith.errors import ToolError
from kubesmith.tools.binaries import cache as toolcache

DEFAULT_TIMEOUT_S = 60.0

_NO_NETWORK = {
    # Remote bases are cloned with git and remote files fetched over HTTP; offline rendering must
    # fail fast and say why rather than reach for the network.
    "GIT_ALLOW_PROTOCOL": "file",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "",
}


def kustomize_command() -> list[str]:
    """The command that renders a kustomization: pinned kustomize, else ``kubectl kustomize``.

    Raises:
        ToolError: when neither is available (the message says how to install kustomize).
    """
    path = toolcache.tool_path("kustomize")
    if path is not None:
        return [str(path), "build"]
    kubectl = shutil.which("kubectl")
    if kubectl:
        return [kubectl, "kustomize"]
    raise ToolError(
        "kustomize is not installed and kubectl is not on PATH; "
        "install it with `kubesmith tools install kustomize`"
    )


def build(
    directory: Path, *, timeout: float = DEFAULT_TIMEOUT_S, offline: bool = True
) -> list[dict[str, Any]]:
    """Render the kustomization in ``directory``; return its resources in output order.

    Args:
        directory: a folder holding ``kustomization.yaml`` (or ``.yml`` / ``Kustomization``).
        timeout: seconds before the render is stopped and reported as a failure.
        offline: refuse remote bases and resources (git and HTTP) instead of fetching them.

    Raises:
        ToolError: kustomize is missing, failed (its stderr is in the message) or timed out.
    """
    cmd = [*kustomize_command(), str(directory)]
    env = {**os.environ, **(_NO_NETWORK if offline else {})}
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as e:
        raise ToolError(f"kustomize build {directory} timed out after {timeout:g}s") from e
    except OSError as e:
        raise ToolError(f"cannot run {cmd[0]}: {e}") from e
    if proc.returncode != 0:
        why = proc.stderr.strip() or proc.stdout.strip() or f"exit status {proc.returncode}"
        raise ToolError(f"kustomize build {directory} failed: {why}")
    try:
        docs = list(yaml.safe_load_all(proc.stdout))
    except yaml.YAMLError as e:
        raise ToolError(f"kustomize build {directory} printed invalid YAML: {e}") from e
    resources: list[dict[str, Any]] = []
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ToolError(f"kustomize build {directory} printed a non-mapping document")
        resources.append(doc)
    return resources
