"""Where schema validation keeps its generated files: under the tool cache, never in a clone.

The tool cache (``$KUBESMITH_TOOL_CACHE`` or ``${XDG_CACHE_HOME:-~/.cache}/kubesmith``) is shared
by every clone of every repository, so schemas generated once are reused everywhere.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

SCHEMA_TEMPLATE = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
"""The per-resource path inside a ``standalone[-strict]`` folder, as a kubeconform template.

kubeconform's own ``{{ .KindSuffix }}`` keeps only the first label of the API group, so
``monitoring.coreos.com`` and ``monitoring.example.org`` would share a file; the full group
avoids that. ``Group`` is the whole apiVersion for the core group (``v1``).
"""


def cache_root() -> Path:
    """The tool cache folder (the tool cache module's, or the same default computed here)."""
    try:
        from kubesmith.tools.binaries.cache import default_cache_dir
    except ImportError:  # pragma: no cover - the tool cache module ships with the package
        explicit = os.environ.get("KUBESMITH_TOOL_CACHE")
        if explicit:
            return Path(explicit).expanduser()
        xdg = os.environ.get("XDG_CACHE_HOME")
        return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "kubesmith"
    return default_cache_dir()


def schema_file(group: str, version: str, kind: str) -> str:
    """The relative path :data:`SCHEMA_TEMPLATE` expands to for one group/version/kind."""
    group_dir = group if group else version
    return f"{group_dir}/{kind.lower()}_{version}.json"


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` → ``("apps", "v1")``; ``v1`` → ``("", "v1")``."""
    group, _, version = api_version.rpartition("/")
    return group, version


def publish_dir(tmp: Path, final: Path) -> None:
    """Move a fully written ``tmp`` folder to ``final`` atomically (first writer wins).

    Another process may have published the same content meanwhile; then ours is dropped.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(tmp, final)
    except OSError:
        if not final.is_dir():
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def new_tmp_dir(parent: Path, prefix: str) -> Path:
    """A fresh temporary folder next to where it will be published (same file system)."""
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{prefix}-", dir=parent))
