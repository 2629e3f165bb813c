"""Read ValidatingAdmissionPolicy and Binding YAML into :mod:`model` values, compiling every
expression once so that a broken policy is reported (file, line, column) before anything runs.

A broken policy never stops the others: it becomes a :class:`LoadProblem` and is left out.
Documents that are neither policies nor bindings are kept as candidate parameter objects
(``paramKind`` resources such as ConfigMaps).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from kubesmith.errors import ManifestRefused
from kubesmith.reading import SAFE_LOADER, compose_documents, read_text
from kubesmith.reading.goyaml import wire_value
from kubesmith.reading.lists import is_list, item_defaults
from kubesmith.tools.policy.apimatch import Error
from kubesmith.tools.policy.apivalidation import VERSION, binding_errors, policy_errors
from kubesmith.tools.policy.celenv import CelCompileError, CelEnvironment
from kubesmith.tools.policy.model import (
    Binding,
    LabelSelector,
    LoadProblem,
    MatchResources,
    Named,
    ParamRef,
    Policy,
    PolicySet,
    Requirement,
    ResourceRule,
    Validation,
)
from kubesmith.tools.policy.programcache import cached_json

GROUP = "admissionregistration.k8s.io"
_ACTIONS = ("Deny", "Warn", "Audit")
_KINDS = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")


class _Invalid(ValueError):
    """A policy document that does not have the shape of the API type."""


def _tuple(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Invalid(f"{where} must be a list")
    return tuple(str(v) for v in value)


def _selector(data: Any, where: str) -> LabelSelector:
    if not data:
        return LabelSelector()
    if not isinstance(data, dict):
        raise _Invalid(f"{where} must be a mapping")
    labels = data.get("matchLabels") or {}
    exprs = []
    for i, e in enumerate(data.get("matchExpressions") or []):
        if not isinstance(e, dict) or "key" not in e or "operator" not in e:
            raise _Invalid(f"{where}.matchExpressions[{i}] needs key and operator")
        exprs.append(Requirement(str(e["key"]), str(e["operator"]), _tuple(e.get("values"), where)))
    return LabelSelector(tuple((str(k), str(v)) for k, v in labels.items()), tuple(exprs))


def _rules(data: Any, where: str) -> tuple[ResourceRule, ...]:
    rules = []
    for i, r in enumerate(data or []):
        if not isinstance(r, dict):
            raise _Invalid(f"{where}[{i}] must be a mapping")
        rules.append(
            ResourceRule(
                api_groups=_tuple(r.get("apiGroups"), where) or ("*",),
                api_versions=_tuple(r.get("apiVersions"), where) or ("*",),
                resources=_tuple(r.get("resources"), where) or ("*",),
                operations=_tuple(r.get("operations"), where) or ("*",),
                resource_names=_tuple(r.get("resourceNames"), where),
                scope=str(r.get("scope") or "*"),
            )
        )
    return tuple(rules)


def _match(data: Any, where: str) -> MatchResources:
    if not isinstance(data, dict):
        raise _Invalid(f"{where} must be a mapping")
    return MatchResources(
        resource_rules=_rules(data.get("resourceRules"), f"{where}.resourceRules"),
        exclude_resource_rules=_rules(
            data.get("excludeResourceRules"), f"{where}.excludeResourceRules"
        ),
        namespace_selector=_selector(data.get("namespaceSelector"), f"{where}.namespaceSelector"),
        object_selector=_selector(data.get("objectSelector"), f"{where}.objectSelector"),
        match_policy="Exact" if data.get("matchPolicy") == "Exact" else "Equivalent",
    )


def _named(data: Any, where: str) -> tuple[Named, ...]:
    out = []
    for i, item in enumerate(data or []):
        if not isinstance(item, dict) or not item.get("name") or not item.get("expression"):
            raise _Invalid(f"{where}[{i}] needs name and expression")
        out.append(Named(str(item["name"]), str(item["expression"])))
    return tuple(out)


def _policy(obj: dict[str, Any], file: str, line: int, pack: str | None) -> Policy:
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    if not meta.get("name"):
        raise _Invalid("metadata.name is required")
    validations = []
    for i, v in enumerate(spec.get("validations") or []):
        if not isinstance(v, dict) or not v.get("expression"):
            raise _Invalid(f"spec.validations[{i}] needs an expression")
        validations.append(
            Validation(
                expression=str(v["expression"]),
                message=str(v.get("message") or ""),
                message_expression=str(v.get("messageExpression") or ""),
                reason=str(v.get("reason") or ""),
                field_path=str(v.get("fieldPath") or ""),
            )
        )
    if "matchConstraints" not in spec:
        raise _Invalid("spec.matchConstraints is required")
    param_kind = spec.get("paramKind")
    annotations = meta.get("annotations") or {}
    return Policy(
        name=str(meta["name"]),
        file=file,
        line=line,
        match=_match(spec["matchConstraints"], "spec.matchConstraints"),
        validations=tuple(validations),
        match_conditions=_named(spec.get("matchConditions"), "spec.matchConditions"),
        variables=_named(spec.get("variables"), "spec.variables"),
        failure_policy="Ignore" if spec.get("failurePolicy") == "Ignore" else "Fail",
        param_kind=(str(param_kind.get("apiVersion", "")), str(param_kind.get("kind", "")))
        if isinstance(param_kind, dict)
        else None,
        description=str(annotations.get("kubesmith.dev/description") or ""),
        pack=pack,
        audit_annotations=tuple(
            Named(str(a.get("key") or ""), str(a.get("valueExpression") or ""))
            for a in spec.get("auditAnnotations") or []
            if isinstance(a, dict)
        ),
    )


def _binding(obj: dict[str, Any], file: str, line: int) -> Binding:
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    if not meta.get("name") or not spec.get("policyName"):
        raise _Invalid("metadata.name and spec.policyName are required")
    actions = _tuple(spec.get("validationActions"), "spec.validationActions")
    bad = [a for a in actions if a not in _ACTIONS]
    if bad or not actions:
        raise _Invalid(f"spec.validationActions must be some of {', '.join(_ACTIONS)}")
    ref = spec.get("paramRef")
    param_ref = None
    if isinstance(ref, dict):
        param_ref = ParamRef(
            name=ref.get("name"),
            namespace=ref.get("namespace"),
            selector=_selector(ref["selector"], "spec.paramRef.selector")
            if "selector" in ref
            else None,
            not_found_action="Allow" if ref.get("parameterNotFoundAction") == "Allow" else "Deny",
        )
    match = spec.get("matchResources")
    return Binding(
        name=str(meta["name"]),
        policy=str(spec["policyName"]),
        actions=actions,  # type: ignore[arg-type]
        file=file,
        line=line,
        match=_match(match, "spec.matchResources") if match else None,
        param_ref=param_ref,
    )


def _node_line(node: yaml.Node, path: tuple[str | int, ...]) -> int:
    """1-based line of the node at ``path`` (its closest existing ancestor otherwise)."""
    for seg in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == seg), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(seg, int):
            child = node.value[seg] if seg < len(node.value) else None
        if child is None:
            break
        node = child
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        line += 1  # a block scalar's text starts below its indicator
    return line


def _expressions(policy: Policy) -> list[tuple[tuple[str | int, ...], str]]:
    found: list[tuple[tuple[str | int, ...], str]] = []
    for group, items in (
        ("matchConditions", policy.match_conditions),
        ("variables", policy.variables),
    ):
        found += [(("spec", group, i, "expression"), n.expression) for i, n in enumerate(items)]
    for i, v in enumerate(policy.validations):
        found.append((("spec", "validations", i, "expression"), v.expression))
        if v.message_expression:
            found.append((("spec", "validations", i, "messageExpression"), v.message_expression))
    for i, a in enumerate(policy.audit_annotations):
        found.append((("spec", "auditAnnotations", i, "valueExpression"), a.expression))
    return found


def _check(policy: Policy, node: yaml.Node, env: CelEnvironment) -> list[LoadProblem]:
    problems = []
    for path, source in _expressions(policy):
        try:
            env.compile(source)
        except CelCompileError as e:
            line = _node_line(node, path)
            where = ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")
            pos = f" at expression line {e.line}, column {e.column}" if e.line else ""
            problems.append(
                LoadProblem(
                    policy.file,
                    line + (e.line or 1) - 1,
                    f"{policy.name}: {where}{pos}: {e}",
                    policy.name,
                )
            )
    return problems


class _Collected:
    """What :func:`load_text` gathers, document by document."""

    def __init__(self, file: str, env: CelEnvironment, pack: str | None) -> None:
        self.file, self.env, self.pack = file, env, pack
        self.policies: list[Policy] = []
        self.bindings: list[Binding] = []
        self.params: list[dict[str, Any]] = []
        self.problems: list[LoadProblem] = []

    def add(self, obj: Any, node: yaml.Node | None, line: int = 0) -> None:
        """One document (or List item) and its YAML node (``None`` for a pack's cached
        document, which comes with its ``line``)."""
        if not isinstance(obj, dict):
            return
        line = node.start_mark.line + 1 if node is not None else line
        items = _list_items(obj, node)
        if items is not None:
            for item, item_node in items:
                self.add(item, item_node)
            return
        kind = obj.get("kind")
        if kind not in _KINDS:
            if kind:
                self.params.append(obj)
            return
        # The built-in packs are checked against the API server's rules and compiled by the test
        # suite (test_broken_policies); re-checking them in every process would only cost time.
        refused = node is not None and self.pack is None and self._refused(obj, node, line)
        if refused and obj.get("apiVersion") != VERSION:
            return  # not a policy the server knows: nothing more to say about it
        try:
            if kind == "ValidatingAdmissionPolicyBinding":
                if not refused:
                    self.bindings.append(_binding(obj, self.file, line))
                return
            policy = _policy(obj, self.file, line, self.pack)
        except _Invalid as e:
            if not refused:
                name = (obj.get("metadata") or {}).get("name")
                self.problems.append(LoadProblem(self.file, line, f"{kind} {name}: {e}", name))
            return
        # the API server reports these with the rest; a pack's compile when first used
        found = _check(policy, node, self.env) if node is not None and self.pack is None else []
        self.problems += found
        if not found and not refused:
            self.policies.append(policy)

    def _refused(self, obj: dict[str, Any], node: yaml.Node, line: int) -> bool:
        """Report what the API server would refuse to create; True when it would."""
        kind, api = str(obj.get("kind")), str(obj.get("apiVersion", ""))
        meta = obj.get("metadata")
        name = str(meta.get("name") or "") if isinstance(meta, dict) else ""
        if api != VERSION:
            errors: list[Error] = [(("apiVersion",), f"{api!r} is not served (use {VERSION})")]
        elif kind == "ValidatingAdmissionPolicy":
            errors = policy_errors(obj)
        else:
            errors = binding_errors(obj)
        for path, message in errors:
            where = ".".join(f"[{p}]" if isinstance(p, int) else p for p in path)
            self.problems.append(
                LoadProblem(
                    self.file,
                    _node_line(node, path) if path else line,
                    f"{kind} {name}: {where.replace('.[', '[')}: {message}",
                    name or None,
                )
            )
        return bool(errors)

    def result(self) -> PolicySet:
        return PolicySet(
            tuple(self.policies), tuple(self.bindings), tuple(self.params), tuple(self.problems)
        )


def _list_items(obj: Any, node: yaml.Node | None) -> list[tuple[dict[str, Any], yaml.Node]] | None:
    """The mapping items of a List document (with the List's apiVersion/kind where they have
    none) and their nodes, or None when ``obj`` is not a List whose ``items`` node is a sequence."""
    if not (isinstance(obj, dict) and is_list(obj) and isinstance(node, yaml.MappingNode)):
        return None
    items = next((v for k, v in node.value if k.value == "items"), None)
    if not isinstance(items, yaml.SequenceNode):
        return None
    pairs = zip(obj["items"], items.value, strict=False)
    return [(item_defaults(item, obj), n) for item, n in pairs if isinstance(item, dict)]


def load_text(text: str, file: str, env: CelEnvironment, pack: str | None = None) -> PolicySet:
    """Load every document of one YAML text (``file`` names it in problems); the items of a
    ``kind: List`` (or any ``*List``) are loaded as documents of their own."""
    collected = _Collected(file, env, pack)
    if pack is not None:
        key = hashlib.sha256(text.encode()).hexdigest()[:16]
        for line, obj in cached_json(f"pack-{pack}-{key}", lambda: _documents(text)):
            collected.add(obj, None, line)
        return collected.result()
    try:  # bounded like every manifest read (size, depth, aliases): policy files are untrusted
        for node in compose_documents(text, file):
            if node is not None:  # read as kubectl would send it (go-yaml: 12:30 is text)
                collected.add(wire_value(node, strict=False), node)
    except ManifestRefused as e:
        collected.problems.append(LoadProblem(file, e.line, f"refused: {e}"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        collected.problems.append(
            LoadProblem(file, mark.line + 1 if mark else None, f"invalid YAML: {e}")
        )
    return collected.result()


def _documents(text: str) -> list[tuple[int, Any]]:
    """(line, document) of each document of ``text``, List items flattened (a pack's data)."""
    out: list[tuple[int, Any]] = []
    loader = SAFE_LOADER(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            obj = loader.construct_document(node)
            items = _list_items(obj, node)
            if items is not None:
                out += [(n.start_mark.line + 1, item) for item, n in items]
            else:
                out.append((node.start_mark.line + 1, obj))
    finally:
        loader.dispose()
    return out


def load_folder(folder: Path, root: Path, env: CelEnvironment) -> PolicySet:
    """Load every ``*.yaml``/``*.yml`` file under ``folder`` (paths relative to ``root``)."""
    result = PolicySet()
    files = sorted([*folder.rglob("*.yaml"), *folder.rglob("*.yml")])
    for path in files:
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            rel = path.as_posix()
        if root not in path.resolve().parents:
            problem = LoadProblem(rel, None, "a link out of the repository: not read")
            result += PolicySet(problems=(problem,))
            continue
        try:
            text = read_text(path, rel)
        except (OSError, ManifestRefused) as e:
            result += PolicySet(problems=(LoadProblem(rel, None, f"cannot read: {e}"),))
            continue
        result += load_text(text, rel, env)
    return result
