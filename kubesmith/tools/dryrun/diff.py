"""The live diff: what the cluster's object would become, as a reviewer wants to read it.

The dry-run result is the object *after* the server merged the change into the live object and
applied defaults and admission mutations, so ``live → result`` is exactly what applying would do
(``kubectl diff`` shows the same). Bookkeeping the server rewrites on every write (managed fields,
resource version, uid, timestamps, status) is removed, because it would bury the real change,
and Secret values are masked so a pull request body never carries credentials.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any

import yaml

NOISE_METADATA = (
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
)
SECRET_FIELDS = ("data", "stringData")
HIDDEN = "<hidden>"
CHANGED = "<hidden, changed>"


def normalize(obj: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A deep copy of ``obj`` without the server's per-write bookkeeping and ``status``."""
    if obj is None:
        return None
    out = copy.deepcopy(dict(obj))
    out.pop("status", None)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        for key in NOISE_METADATA:
            meta.pop(key, None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
            if not annotations:
                meta.pop("annotations")
    return out


def mask_secrets(
    live: dict[str, Any] | None, result: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Replace Secret values (in place) by placeholders that show only *whether* a key changed."""
    if not (_is_secret(live) or _is_secret(result)):
        return live, result
    before = _values(live)
    after = _values(result)
    for field in SECRET_FIELDS:
        for obj in (live, result):
            section = (obj or {}).get(field)
            if not isinstance(section, dict):
                continue
            for key in section:
                changed = obj is result and before.get(key) != after.get(key)
                section[key] = CHANGED if changed else HIDDEN
    return live, result


def _is_secret(obj: Mapping[str, Any] | None) -> bool:
    return obj is not None and obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


def _values(obj: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every key's value across ``data`` and ``stringData`` (what the Secret will hold)."""
    values: dict[str, Any] = {}
    for field in SECRET_FIELDS:
        section = (obj or {}).get(field)
        if isinstance(section, dict):
            values.update(section)
    return values


def live_diff(live: Mapping[str, Any] | None, result: Mapping[str, Any] | None, label: str) -> str:
    """Unified diff of the normalised, masked live object against the dry-run result.

    Empty when applying would change nothing a reviewer can see.
    """
    before, after = mask_secrets(normalize(live), normalize(result))
    a = _dump(before)
    b = _dump(after)
    if a == b:
        return ""
    return "".join(
        difflib.unified_diff(
            a,
            b,
            fromfile=f"live/{label}" if live is not None else "/dev/null",
            tofile=f"dry-run/{label}",
        )
    )


def _dump(obj: Mapping[str, Any] | None) -> list[str]:
    if obj is None:
        return []
    text = yaml.safe_dump(dict(obj), sort_keys=True, default_flow_style=False, width=1000)
    return text.splitlines(keepends=True)
