"""General conventions seen in reviewers' own edits: a field they add or set on the pod.

When a reviewer fixes kubesmith's change on the branch before merging, the diff shows what the
team wanted. The fixed kinds (labels, memory, registries, replicas, pull policy) are read by
:mod:`kubesmith.agent.conventions`; this module reads the rest as field predicates:

* a key the reviewer *added* under a container or a PodSpec (``readinessProbe:``,
  ``topologySpreadConstraints:``, ``resources.limits.cpu``) says "this field is present"; the
  value they gave is kept as the ``fix`` planners set;
* a scalar they *changed* to a value (``automountServiceAccountToken: false``) says "this field
  equals that value".

An edit is evidence only: it becomes a candidate when several proposals show it
(``min_edit_support``), and a rule only when a human approves it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kubesmith.agent.diffpaths import DiffLine
from kubesmith.agent.predicates import params_of
from kubesmith.errors import ManifestError
from kubesmith.kinds import POD_TEMPLATE_PATHS
from kubesmith.reading import load_one

_FIXED = {"image", "imagePullPolicy", "name", "labels", "annotations", "env", "ports", "args",
          "command", "volumeMounts", "volumes"}  # fmt: skip
_POD_PREFIXES = {tuple(f"{p}.spec".split(".")) for p in POD_TEMPLATE_PATHS.values()}


def _scope(path: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """(``containers`` | ``pod``, the path below it) for a diff line's path, else None."""
    for i in range(len(path) - 1):
        if path[i] in ("containers", "initContainers") and path[i + 1] == "-":
            rel = path[i + 2 :]
            return ("containers", rel) if rel else None
    for prefix in _POD_PREFIXES:
        if path[: len(prefix)] == prefix and len(path) > len(prefix):
            return "pod", path[len(prefix) :]
    return None


def _scalar(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        return text


def _block(hunk: list[DiffLine], start: int) -> Any:
    """The YAML value of the added key at ``start`` (its added child lines), parsed."""
    first = hunk[start]
    indent = len(first.text) - len(first.text.lstrip(" "))
    lines = [first.text]
    for ln in hunk[start + 1 :]:
        if ln.sign != "+" or (len(ln.text) - len(ln.text.lstrip(" ")) <= indent and ln.text.strip()
                              and not ln.text.lstrip().startswith("- ")):  # fmt: skip
            break
        lines.append(ln.text)
    try:  # bounded (aliases, depth, size): the diff is outside input
        doc = load_one("\n".join(line[indent:] for line in lines), first.file)
    except ManifestError:
        return None
    return next(iter(doc.values())) if isinstance(doc, dict) and len(doc) == 1 else None


def observe_fields(hunk: list[DiffLine]) -> Iterator[tuple[dict[str, Any], DiffLine]]:
    """(predicate params, the diff line) for each general convention the hunk's edits show."""
    removed = {ln.path for ln in hunk if ln.sign == "-"}
    added = {ln.path for ln in hunk if ln.sign == "+"}
    for i, ln in enumerate(hunk):
        if ln.sign != "+" or not ln.path or "-" in ln.path[-1:]:
            continue
        scoped = _scope(ln.path)
        if scoped is None:
            continue
        on, rel = scoped
        if "-" in rel or rel[0] in _FIXED or rel[-1] == "memory" or rel == ("replicas",):
            continue
        if ln.path[:-1] in added and ln.path[:-1] not in removed:
            continue  # inside a block the reviewer added: the block's key is the convention
        path = ".".join(rel)
        if ln.path in removed and ln.value is not None:
            yield params_of(on, path, "equals", _scalar(ln.value)), ln
        elif ln.path not in removed:
            fix = _scalar(ln.value) if ln.value is not None else _block(hunk, i)
            yield params_of(on, path, "present", None, fix=fix), ln
