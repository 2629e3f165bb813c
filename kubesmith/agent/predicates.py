"""General conventions: a predicate on a field path of a kind of object.

Besides the fixed kinds of learned rule (labels, registries, replicas, ...), a team convention is
often "every X has/hasn't/equals Y": every container has a readiness probe, no pod mounts a
hostPath, namespaces are named ``team-*``, CPU limits stay at most 2. A ``field_predicate`` rule
says that in data, so one implementation serves every such convention:

* ``on``: ``containers`` (each container and init container of a workload's pod), ``pod`` (the
  PodSpec of a workload) or ``object`` (the object itself, for ``kinds``);
* ``path``: a dotted path from there; ``[*]`` means every item of a list
  (``volumes[*].hostPath``);
* ``op``: ``present``; ``forbidden`` (absent, or never equal to ``value`` when one is given);
  ``equals``, ``one_of``, ``matches`` (the field must be there and pass); ``gte``, ``lte``
  (when the field is there; quantities compare as quantities);
* ``fix``: the value a planner sets when the field is missing (learned from reviewers' edits).

The same predicate is checked here in Python (what :func:`~kubesmith.agent.learning.apply_rules`
and the simulated reviewer use) and compiled to CEL for a ValidatingAdmissionPolicy (what the
offline policy engine and a real API server enforce); a differential test keeps them agreeing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesmith.agent.diffpaths import replace_registry
from kubesmith.kinds import RESOURCE_NAMES, WORKLOAD_KINDS, pod_spec_keys
from kubesmith.model import AddResource, Edit
from kubesmith.tools.policy.quantity import parse_quantity

if TYPE_CHECKING:
    from kubesmith.workspace import Document, Workspace

OPS = ("present", "forbidden", "equals", "one_of", "matches", "gte", "lte")
SCOPES = ("containers", "pod", "object")
_RESOURCES = {
    **RESOURCE_NAMES,
    "Namespace": ("", "namespaces"),
    "Service": ("", "services"),
    "ConfigMap": ("", "configmaps"),
    "Ingress": ("networking.k8s.io", "ingresses"),
    "PodDisruptionBudget": ("policy", "poddisruptionbudgets"),
}
Seg = str | int
Where = tuple[Seg, ...]


@dataclass(frozen=True)
class FieldPredicate:
    """One general convention (see the module docstring for the fields)."""

    on: str
    path: str
    op: str
    value: Any = None
    kinds: tuple[str, ...] = ()
    fix: Any = None

    def __post_init__(self) -> None:
        if self.on not in SCOPES or self.op not in OPS or not self.path:
            raise ValueError(f"not a field predicate: on={self.on!r} op={self.op!r}")
        if self.on == "object" and not self.kinds:
            raise ValueError("a predicate on whole objects names its kinds")

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> FieldPredicate:
        """From a rule's params (``kinds`` defaults to every workload kind)."""
        return cls(
            str(params["on"]),
            str(params["path"]),
            str(params["op"]),
            params.get("value"),
            tuple(params.get("kinds") or ()),
            params.get("fix"),
        )

    @property
    def applies_to(self) -> tuple[str, ...]:
        """The kinds whose objects the predicate judges."""
        return self.kinds or tuple(sorted(WORKLOAD_KINDS))


def params_of(on: str, path: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    """Rule params for a predicate, with ``kinds`` filled in for object-level fields."""
    from kubesmith.agent.reasons_fields import FIELD_KINDS

    params: dict[str, Any] = {"on": on, "path": path, "op": op, "value": value}
    kinds = extra.pop("kinds", None) or FIELD_KINDS.get(path) if on == "object" else None
    if kinds:
        params["kinds"] = list(kinds)
    params.update({k: v for k, v in extra.items() if v is not None})
    return params


def segments(path: str) -> tuple[str, ...]:
    """``volumes[*].hostPath`` -> ``("volumes", "*", "hostPath")``."""
    return tuple(p for p in re.split(r"\.|\[(\*)\]", path) if p)


def describe(p: FieldPredicate) -> str:
    """One sentence a reviewer and a planner read."""
    where = {"containers": "Every container's", "pod": "Every pod's", "object": "Every"}[p.on]
    subject = f"{where} {p.path}" if p.on != "object" else f"{where} {'/'.join(p.kinds)}'s {p.path}"
    shown = json.dumps(p.value) if not isinstance(p.value, str) else p.value
    if p.op == "present":
        return f"{subject} is set."
    if p.op == "forbidden":
        return f"{subject} is never {shown}." if p.value is not None else f"{subject} is not used."
    if p.op == "one_of":
        values = p.value if isinstance(p.value, list) else [p.value]
        return f"{subject} is one of {', '.join(map(str, values))}."
    word = {"equals": "is", "matches": "matches", "gte": ", when set, is at least",
            "lte": ", when set, is at most"}[p.op]  # fmt: skip
    return f"{subject}{'' if word.startswith(',') else ' '}{word} {shown}."


# --------------------------------------------------------------------------- checking


def bases(p: FieldPredicate, obj: dict[str, Any]) -> list[tuple[Where, Any]]:
    """Where the predicate's path starts in ``obj``: each container, the PodSpec or the object."""
    kind = str(obj.get("kind", ""))
    if kind not in p.applies_to:
        return []
    if p.on == "object":
        return [((), obj)]
    keys = pod_spec_keys(kind)
    spec = _walk(obj, keys) if keys else None
    if not isinstance(spec, dict) or keys is None:
        return []
    if p.on == "pod":
        return [(keys, spec)]
    out: list[tuple[Where, Any]] = []
    for list_name in ("containers", "initContainers"):
        for i, c in enumerate(spec.get(list_name) or []):
            if isinstance(c, dict):
                out.append(((*keys, list_name, i), c))
    return out


def _walk(node: Any, keys: tuple[str, ...]) -> Any:
    for k in keys:
        node = node.get(k) if isinstance(node, dict) else None
    return node


def instances(node: Any, segs: tuple[str, ...], at: Where = ()) -> list[tuple[Where, bool, Any]]:
    """Each place ``segs`` reaches from ``node``: (where, present, value); ``*`` fans out."""
    if not segs:
        return [(at, True, node)]
    head, rest = segs[0], segs[1:]
    if head == "*":
        items = node if isinstance(node, list) else []
        return [i for n, item in enumerate(items) for i in instances(item, rest, (*at, n))]
    if isinstance(node, dict) and head in node and node[head] is not None:
        return instances(node[head], rest, (*at, head))
    if "*" in rest:
        return []  # nothing to fan out over
    return [((*at, *segs), False, None)]


def holds(p: FieldPredicate, present: bool, value: Any) -> bool:
    """Whether one instance of the field satisfies the predicate."""
    if p.op == "present":
        return present
    if p.op == "forbidden":
        return not present or (p.value is not None and value != p.value)
    if p.op in ("gte", "lte") and not present:
        return True
    if not present:
        return False
    if p.op == "equals":
        return bool(value == p.value)
    if p.op == "one_of":
        return value in (p.value or [])
    if p.op == "matches":
        return re.search(str(p.value), str(value)) is not None
    left, right = _number(value), _number(p.value)
    if left is None or right is None:
        return False
    return left >= right if p.op == "gte" else left <= right


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(parse_quantity(str(value)))
    except (ValueError, ArithmeticError):
        return None


def violations(p: FieldPredicate, obj: dict[str, Any]) -> list[tuple[Where, bool, Any]]:
    """The instances in ``obj`` that break the predicate."""
    out = []
    for where, node in bases(p, obj):
        for at, present, value in instances(node, segments(p.path), where):
            if not holds(p, present, value):
                out.append((at, present, value))
    return out


# --------------------------------------------------------------------------- fixing


def default_fix(p: FieldPredicate, obj: dict[str, Any]) -> Any:
    """A value that makes a ``present`` predicate hold where people agree on one, else None."""
    if p.fix is not None:
        return p.fix
    if p.on == "pod" and p.path == "topologySpreadConstraints":
        keys = pod_spec_keys(str(obj.get("kind", ""))) or ()
        labels = _walk(obj, ("spec", "selector", "matchLabels"))  # what selects the pods
        if not isinstance(labels, dict) and keys:
            labels = _walk(obj, (*keys[:-1], "metadata", "labels"))
        spread: dict[str, Any] = {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
        }
        if isinstance(labels, dict) and labels:
            spread["labelSelector"] = {"matchLabels": dict(labels)}
        return [spread]
    return None


def repair(p: FieldPredicate, obj: dict[str, Any], at: Where, value: Any) -> Any:
    """The value to set at ``at`` so the predicate holds, or None when a person must choose."""
    if p.op == "present":
        return default_fix(p, obj)
    if p.op == "equals":
        return p.value
    if p.op == "forbidden" and isinstance(p.value, bool):
        return not p.value
    if p.op in ("gte", "lte") and value is not None:
        return p.value
    if p.op == "matches" and at and at[-1] == "image" and isinstance(value, str):
        m = re.fullmatch(r"\^((?:[a-z0-9-]+\\?\.)+[a-z0-9-]+(?::\d+)?)/", str(p.value))
        if m:
            return replace_registry(value, m.group(1).replace("\\.", "."))
    return None


# --------------------------------------------------------------------------- CEL


def cel_string(value: str) -> str:
    """A CEL string literal for ``value``."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _cel_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_cel_literal(v) for v in value) + "]"
    return cel_string(str(value))


def _quantity_field(p: FieldPredicate) -> bool:
    return isinstance(p.value, str) or p.path.startswith("resources.")


def _cel_on(p: FieldPredicate, var: str, segs: tuple[str, ...], depth: int = 0) -> str:
    if "*" in segs:
        i = segs.index("*")
        items = var + "".join(f".?{s}" for s in segs[:i]) + ".orValue([])"
        item = f"x{depth}"
        return f"{items}.all({item}, {_cel_on(p, item, segs[i + 1 :], depth + 1)})"
    chain = var + "".join(f".?{s}" for s in segs)
    lit = _cel_literal(p.value)
    if p.op == "present":
        return f"{chain}.hasValue()"
    if p.op == "forbidden":
        if p.value is None:
            return f"!{chain}.hasValue()"
        return f"!({chain}.hasValue() && {chain}.orValue({lit}) == {lit})"
    if p.op == "equals":
        return f"({chain}.hasValue() && {chain}.orValue({lit}) == {lit})"
    if p.op == "one_of":
        first = _cel_literal((p.value or [""])[0])
        return f"({chain}.hasValue() && {chain}.orValue({first}) in {lit})"
    if p.op == "matches":
        return f"({chain}.hasValue() && string({chain}.orValue('')).matches({lit}))"
    cmp = ">=" if p.op == "gte" else "<="
    if _quantity_field(p):
        left = f"quantity(string({chain}.orValue('0')))"
        test = f"{left}.compareTo(quantity({_cel_literal(str(p.value))})) {cmp} 0"
    else:
        test = f"{chain}.orValue(0) {cmp} {lit}"
    return f"(!{chain}.hasValue() || {test})"


def cel_expression(p: FieldPredicate) -> str:
    """The CEL that is true when an admitted object meets the predicate.

    ``containers`` and ``pod`` predicates use the ``podSpec`` and ``containers`` variables the
    generated policy declares (see :mod:`kubesmith.agent.rule_policies`).
    """
    segs = segments(p.path)
    if p.on == "containers":
        return f"variables.containers.all(c, {_cel_on(p, 'c', segs)})"
    if p.on == "pod":
        return _cel_on(p, "variables.podSpec", segs)
    return _cel_on(p, "object", segs)


def resource_rules(p: FieldPredicate, operations: list[str]) -> list[dict[str, Any]]:
    """The admission ``resourceRules`` that select the predicate's kinds."""
    groups: dict[str, list[str]] = {}
    for kind in p.applies_to:
        if kind in _RESOURCES:
            group, plural = _RESOURCES[kind]
            groups.setdefault(group, []).append(plural)
    return [
        {"apiGroups": [g], "apiVersions": ["v1"], "operations": operations, "resources": sorted(r)}
        for g, r in sorted(groups.items())
    ]


# --------------------------------------------------------------------------- PDB companion

PDB_KINDS = frozenset({"Deployment", "StatefulSet"})


def _selects(selector: Any, labels: dict[str, Any]) -> bool:
    return (
        isinstance(selector, dict)
        and bool(selector)
        and all(labels.get(k) == v for k, v in selector.items())
    )


def companion_pdb(
    doc: Document, obj: dict[str, Any], workspace: Workspace, planned: Sequence[Edit]
) -> AddResource | None:
    """The PodDisruptionBudget a ``pdb_required`` rule adds for ``doc``, or None.

    None when the workload is not a Deployment/StatefulSet, runs one replica (a budget would
    block node drains), has no selector labels, or a budget in the repository (or one already
    planned) selects its pods. The budget goes into the workload's own file, so whatever
    includes that file (a kustomization) includes the budget.
    """
    if doc.ref.kind not in PDB_KINDS or doc.is_patch:
        return None
    replicas = (obj.get("spec") or {}).get("replicas", 1)
    labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    if not isinstance(replicas, int) or replicas < 2 or not isinstance(labels, dict) or not labels:
        return None
    budgets = [d.obj for d in workspace.find(kind="PodDisruptionBudget")]
    budgets += [e.manifest for e in planned if isinstance(e, AddResource)]
    for b in budgets:
        if b.get("kind") != "PodDisruptionBudget":
            continue
        sel = ((b.get("spec") or {}).get("selector") or {}).get("matchLabels")
        same_ns = (b.get("metadata") or {}).get("namespace") in (None, doc.ref.namespace)
        if same_ns and _selects(sel, labels):
            return None
    meta: dict[str, Any] = {"name": doc.ref.name}
    namespace = (obj.get("metadata") or {}).get("namespace")
    if namespace:
        meta["namespace"] = namespace
    manifest: dict[str, Any] = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta,
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": dict(labels)}},
    }
    return AddResource(doc.file, manifest)
