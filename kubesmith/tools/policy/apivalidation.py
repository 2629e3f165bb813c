"""What kube-apiserver refuses to create: ValidatingAdmissionPolicy and Binding validation.

A policy the API server would refuse never runs in a cluster, so enforcing it offline would be
a lie and skipping it silently worse: kubesmith reports it as a broken policy with the field at
fault. The rules follow ``pkg/apis/admissionregistration/validation`` (after the v1 defaults:
``failurePolicy: Fail``, ``matchPolicy: Equivalent``, empty selectors, rule ``scope: "*"``), and
which variables each kind of expression may use (``params`` only with a ``paramKind``; no
``authorizer`` in a ``messageExpression``; no ``variables`` in a ``matchCondition``; a variable
only after its definition). Type errors are found by compiling (:mod:`loader`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kubesmith.tools.policy.apimatch import (
    Error,
    Path,
    dns_subdomain,
    match_errors,
    qualified_name,
    selector_errors,
)
from kubesmith.tools.policy.celenv import STRING_LITERAL

VERSION = "admissionregistration.k8s.io/v1"
_REASONS = {"Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge"}
_ACTIONS = {"Deny", "Warn", "Audit"}
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_CEL_IDENT = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
_RESERVED = {
    "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function",
    "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
}  # fmt: skip
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_AUDIT_ANNOTATIONS = 20
_MAX_VALUE_EXPRESSION = 5 * 1024


def free_identifiers(source: str) -> Iterator[tuple[str, int]]:
    """Identifiers used as variables in ``source`` (not fields, not inside strings), with their
    offsets."""
    i = 0
    while i < len(source):
        m = STRING_LITERAL.match(source, i)
        if m:
            i = m.end()
            continue
        ident = _IDENT.match(source, i)
        if ident:
            before = source[:i].rstrip()
            if not before.endswith("."):
                yield ident.group(0), i
            i = ident.end()
            continue
        i += 1


def _position(source: str, offset: int) -> str:
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return f"<input>:{line}:{column}"


def _scope_errors(
    source: str, where: Path, *, params: bool, authorizer: bool, variables: set[str] | None
) -> list[Error]:
    """References the API server's compiler would not declare for this kind of expression."""
    errors: list[Error] = []
    allowed = {"params": params, "authorizer": authorizer, "variables": variables is not None}
    for name, offset in free_identifiers(source):
        if name in allowed and not allowed[name]:
            errors.append(
                (
                    where,
                    f"compilation failed: ERROR: {_position(source, offset)}: "
                    f"undeclared reference to '{name}'",
                )
            )
        elif name == "variables" and variables is not None:
            field = _IDENT.match(source[offset + len(name) :].lstrip().removeprefix(".").lstrip())
            if field and field.group(0) not in variables:
                errors.append(
                    (
                        where,
                        f"compilation failed: ERROR: {_position(source, offset)}: "
                        f"undefined field '{field.group(0)}'",
                    )
                )
    return errors


def _expression(value: Any, where: Path, required: bool = True, **scope: Any) -> list[Error]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return [(where, "Required value: expression is not specified")] if required else []
    if not isinstance(value, str):
        return [(where, "must be a string")]
    return _scope_errors(value, where, **scope)


def _param_kind(data: Any) -> list[Error]:
    where: Path = ("spec", "paramKind")
    if not isinstance(data, dict):
        return [(where, "must be a mapping with apiVersion and kind")]
    errors: list[Error] = []
    api = str(data.get("apiVersion") or "")
    if not api:
        errors.append(((*where, "apiVersion"), "Required value"))
    else:
        group, _, version = api.rpartition("/")
        if api.count("/") > 1 or (group and not dns_subdomain(group)):
            errors.append(((*where, "apiVersion"), f"Invalid value: {api!r}"))
        elif not _DNS1035.match(version):
            errors.append(
                ((*where, "apiVersion"), f"Invalid value: {api!r}: a version is required")
            )
    kind = str(data.get("kind") or "")
    if not kind:
        errors.append(((*where, "kind"), "Required value"))
    elif not _DNS1035.match(kind.lower()):
        errors.append(((*where, "kind"), f"Invalid value: {kind!r}"))
    return errors


def _named_list(items: Any) -> list[dict[str, Any]]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def policy_errors(obj: dict[str, Any]) -> list[Error]:
    """Why the API server would refuse to create this ValidatingAdmissionPolicy (empty: it
    would accept it)."""
    errors = _metadata(obj)
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [*errors, (("spec",), "Required value")]
    failure = spec.get("failurePolicy", "Fail")
    if failure not in ("Fail", "Ignore"):
        errors.append((("spec", "failurePolicy"), f"Unsupported value: {failure!r}"))
    has_params = spec.get("paramKind") is not None
    if has_params:
        errors += _param_kind(spec["paramKind"])
    match = spec.get("matchConstraints")
    if match is None:
        errors.append((("spec", "matchConstraints"), "Required value"))
    else:
        errors += match_errors(match, ("spec", "matchConstraints"))
        if isinstance(match, dict) and not match.get("resourceRules"):
            errors.append((("spec", "matchConstraints", "resourceRules"), "Required value"))
    names: set[str] = set()
    conditions = _named_list(spec.get("matchConditions"))
    for i, c in enumerate(conditions):
        where: Path = ("spec", "matchConditions", i)
        name = str(c.get("name") or "")
        if not name:
            errors.append(((*where, "name"), "Required value"))
        elif not qualified_name(name):
            errors.append(((*where, "name"), f"Invalid value: {name!r}: must be a qualified name"))
        elif name in names:
            errors.append(((*where, "name"), f"Duplicate value: {name!r}"))
        names.add(name)
        errors += _expression(
            c.get("expression"),
            (*where, "expression"),
            params=has_params,
            authorizer=True,
            variables=None,
        )
    declared: set[str] = set()
    for i, v in enumerate(_named_list(spec.get("variables"))):
        where = ("spec", "variables", i)
        name = str(v.get("name") or "").strip()
        if not name:
            errors.append(((*where, "name"), "Required value: name is not specified"))
        elif not _CEL_IDENT.match(name) or name in _RESERVED:
            errors.append(
                ((*where, "name"), f"Invalid value: {name!r}: not a valid CEL identifier")
            )
        errors += _expression(
            v.get("expression"),
            (*where, "expression"),
            params=has_params,
            authorizer=True,
            variables=set(declared),
        )
        declared.add(name)
    validations = _named_list(spec.get("validations"))
    annotations = _named_list(spec.get("auditAnnotations"))
    if not validations and not annotations:
        errors.append(
            (
                ("spec", "validations"),
                "Required value: validations or auditAnnotations must contain at least one item",
            )
        )
    for i, v in enumerate(validations):
        errors += _validation(v, ("spec", "validations", i), has_params, declared)
    if len(annotations) > _MAX_AUDIT_ANNOTATIONS:
        errors.append(
            (
                ("spec", "auditAnnotations"),
                f"must not have more than {_MAX_AUDIT_ANNOTATIONS} auditAnnotations",
            )
        )
    keys: set[str] = set()
    policy_name = str((obj.get("metadata") or {}).get("name") or "")
    for i, a in enumerate(annotations):
        where = ("spec", "auditAnnotations", i)
        key = str(a.get("key") or "")
        if not qualified_name(f"{policy_name}/{key}"):
            errors.append(
                ((*where, "key"), f"Invalid value: {policy_name}/{key!s}: must be a qualified name")
            )
        if key in keys:
            errors.append(((*where, "key"), f"Duplicate value: {key!r}"))
        keys.add(key)
        value = a.get("valueExpression")
        if isinstance(value, str) and len(value.strip()) > _MAX_VALUE_EXPRESSION:
            errors.append(
                (
                    (*where, "valueExpression"),
                    f"must not exceed {_MAX_VALUE_EXPRESSION} bytes in length",
                )
            )
        else:
            errors += _expression(
                value,
                (*where, "valueExpression"),
                params=has_params,
                authorizer=True,
                variables=declared,
            )
    return errors


def _validation(v: dict[str, Any], where: Path, params: bool, declared: set[str]) -> list[Error]:
    errors = _expression(
        v.get("expression"),
        (*where, "expression"),
        params=params,
        authorizer=True,
        variables=declared,
    )
    message_expression = v.get("messageExpression")
    if (
        isinstance(message_expression, str)
        and message_expression
        and not message_expression.strip()
    ):
        errors.append(((*where, "messageExpression"), "must be non-empty if specified"))
    elif message_expression:
        errors += _expression(
            message_expression,
            (*where, "messageExpression"),
            params=params,
            authorizer=False,
            variables=declared,
        )
    message = v.get("message")
    if isinstance(message, str) and message and not message.strip():
        errors.append(((*where, "message"), "message must be non-empty if specified"))
    elif isinstance(message, str) and re.search(r"[\n\r]", message.strip()):
        errors.append(((*where, "message"), "message must not contain line breaks"))
    reason = v.get("reason")
    if reason is not None and reason not in _REASONS:
        errors.append(((*where, "reason"), f"Unsupported value: {reason!r}"))
    return errors


def _metadata(obj: dict[str, Any]) -> list[Error]:
    meta = obj.get("metadata")
    name = str(meta.get("name") or "") if isinstance(meta, dict) else ""
    if not name:
        return [(("metadata", "name"), "Required value: name or generateName is required")]
    if not dns_subdomain(name):
        return [
            (
                ("metadata", "name"),
                f"Invalid value: {name!r}: must be a lowercase RFC 1123 subdomain",
            )
        ]
    return []


def binding_errors(obj: dict[str, Any]) -> list[Error]:
    """Why the API server would refuse to create this ValidatingAdmissionPolicyBinding."""
    errors = _metadata(obj)
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [*errors, (("spec",), "Required value")]
    policy = str(spec.get("policyName") or "")
    if not policy:
        errors.append((("spec", "policyName"), "Required value"))
    elif not dns_subdomain(policy):
        errors.append((("spec", "policyName"), f"Invalid value: {policy!r}"))
    ref = spec.get("paramRef")
    if ref is not None:
        errors += _param_ref(ref)
    if spec.get("matchResources") is not None:
        errors += match_errors(spec["matchResources"], ("spec", "matchResources"))
    actions = spec.get("validationActions") or []
    where: Path = ("spec", "validationActions")
    if not isinstance(actions, list) or not actions:
        errors.append((where, "Required value: at least one validation action is required"))
    else:
        errors += [
            ((*where, i), f"Unsupported value: {a!r}")
            for i, a in enumerate(actions)
            if a not in _ACTIONS
        ]
        if len(set(map(str, actions))) != len(actions):
            errors.append((where, "Duplicate value"))
        if "Deny" in actions and "Warn" in actions:
            errors.append((where, "must not contain both Deny and Warn"))
    return errors


def _param_ref(ref: Any) -> list[Error]:
    where: Path = ("spec", "paramRef")
    if not isinstance(ref, dict):
        return [(where, "must be a mapping")]
    errors: list[Error] = []
    name, selector = ref.get("name"), ref.get("selector")
    if name and selector is not None:
        errors.append(((*where, "name"), "Forbidden: name and selector are mutually exclusive"))
    if not name and selector is None:
        errors.append((where, "Required value: one of name or selector must be specified"))
    if selector is not None:
        errors += selector_errors(selector, (*where, "selector"))
    action = ref.get("parameterNotFoundAction")
    if not action:  # v1 has no default for it (v1alpha1 had Deny)
        errors.append(((*where, "parameterNotFoundAction"), "Required value"))
    elif action not in ("Deny", "Allow"):
        errors.append(((*where, "parameterNotFoundAction"), f"Unsupported value: {action!r}"))
    return errors
