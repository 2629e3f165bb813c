"""API validation of match constraints and label selectors, as kube-apiserver does it.

Shared by policies (``matchConstraints``) and bindings (``matchResources``, ``paramRef``); see
:mod:`apivalidation` for the rest of the rules and where they come from.
"""

from __future__ import annotations

import re
from typing import Any

Path = tuple[str | int, ...]
Error = tuple[Path, str]

_OPERATIONS = {"*", "CREATE", "UPDATE", "DELETE", "CONNECT"}
_SCOPES = {"*", "Cluster", "Namespaced"}
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def dns_subdomain(value: str) -> bool:
    return 0 < len(value) <= 253 and bool(_DNS_SUBDOMAIN.match(value))


def qualified_name(value: str) -> bool:
    """A Kubernetes qualified name: ``[prefix/]name`` (label keys, condition names)."""
    prefix, _, name = value.rpartition("/")
    if "/" in value and not dns_subdomain(prefix):
        return False
    return 0 < len(name) <= 63 and bool(_QUALIFIED.match(name))


def _strings(value: Any) -> list[Any] | None:
    return value if isinstance(value, list) else None


def selector_errors(data: Any, path: Path) -> list[Error]:
    if data is None:
        return []
    if not isinstance(data, dict):
        return [(path, "must be a label selector")]
    errors: list[Error] = []
    for key, value in (data.get("matchLabels") or {}).items():
        if not qualified_name(str(key)):
            errors.append(((*path, "matchLabels"), f"invalid label key {key!r}"))
        if len(str(value)) > 63 or not _LABEL_VALUE.match(str(value)):
            errors.append(((*path, "matchLabels"), f"invalid label value {value!r}"))
    for i, req in enumerate(data.get("matchExpressions") or []):
        where = (*path, "matchExpressions", i)
        if not isinstance(req, dict):
            errors.append((where, "must be a mapping"))
            continue
        op, values = req.get("operator"), req.get("values") or []
        if not qualified_name(str(req.get("key") or "")):
            errors.append(((*where, "key"), "must be a valid label key"))
        if op in ("In", "NotIn") and not values:
            errors.append(
                ((*where, "values"), "must be specified when `operator` is 'In' or 'NotIn'")
            )
        elif op in ("Exists", "DoesNotExist") and values:
            errors.append(
                (
                    (*where, "values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
        elif op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            errors.append(((*where, "operator"), f"not a valid selector operator: {op!r}"))
    return errors


def _list_field(rule: dict[str, Any], name: str, where: Path) -> tuple[list[Any], list[Error]]:
    value = rule.get(name)
    if value is None or value == []:
        return [], [((*where, name), "Required value")]
    items = _strings(value)
    if items is None:
        return [], [((*where, name), "must be a list")]
    if len(items) > 1 and "*" in items:
        return items, [((*where, name), f"if '*' is present, must not specify other {name}")]
    return items, []


def _resources(resources: list[Any], where: Path) -> list[Error]:
    errors: list[Error] = []
    if any(str(r) == "" for r in resources):
        errors.append((where, "Required value: an empty resource"))
    if len(resources) > 1 and "*/*" in resources:
        errors.append((where, "if '*/*' is present, must not specify other resources"))
    plain = [r for r in resources if "/" not in str(r)]
    if "*" in plain and any(r != "*" for r in plain):
        errors.append(
            (where, "if '*' is present, must not specify other resources without subresources")
        )
    return errors


def _rule(rule: Any, where: Path) -> list[Error]:
    if not isinstance(rule, dict):
        return [(where, "must be a mapping")]
    errors: list[Error] = []
    operations, found = _list_field(rule, "operations", where)
    errors += found
    errors += [
        ((*where, "operations", i), f"Unsupported value: {op!r}")
        for i, op in enumerate(operations)
        if op not in _OPERATIONS
    ]
    for name in ("apiGroups", "apiVersions"):
        errors += _list_field(rule, name, where)[1]
    resources, found = _list_field(rule, "resources", where)
    errors += found + _resources(resources, (*where, "resources"))
    scope = rule.get("scope", "*")
    if scope not in _SCOPES:
        errors.append(((*where, "scope"), f"Unsupported value: {scope!r}"))
    names = rule.get("resourceNames") or []
    if len(set(map(str, names))) != len(names):
        errors.append(((*where, "resourceNames"), "Duplicate value"))
    return errors


def match_errors(data: Any, where: Path) -> list[Error]:
    if not isinstance(data, dict):
        return [(where, "must be a mapping")]
    errors: list[Error] = []
    policy = data.get("matchPolicy", "Equivalent")
    if policy not in ("Exact", "Equivalent"):
        errors.append(((*where, "matchPolicy"), f"Unsupported value: {policy!r}"))
    errors += selector_errors(data.get("namespaceSelector"), (*where, "namespaceSelector"))
    errors += selector_errors(data.get("objectSelector"), (*where, "objectSelector"))
    for group in ("resourceRules", "excludeResourceRules"):
        rules = data.get(group) or []
        if not isinstance(rules, list):
            errors.append(((*where, group), "must be a list"))
            continue
        for i, rule in enumerate(rules):
            errors += _rule(rule, (*where, group, i))
    return errors
