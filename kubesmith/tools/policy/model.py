"""Admission policies as frozen values: what the loader builds and the evaluator reads.

These mirror ``admissionregistration.k8s.io/v1`` ValidatingAdmissionPolicy and
ValidatingAdmissionPolicyBinding closely enough that a field's meaning is the API's; only what
offline evaluation uses is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["Deny", "Warn", "Audit"]


@dataclass(frozen=True)
class Requirement:
    """One ``matchExpressions`` entry of a label selector."""

    key: str
    operator: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelSelector:
    """A Kubernetes label selector; the empty selector matches everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        """True when ``labels`` satisfy every requirement."""
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        for req in self.match_expressions:
            present = req.key in labels
            if req.operator == "In" and (not present or labels[req.key] not in req.values):
                return False
            if req.operator == "NotIn" and present and labels[req.key] in req.values:
                return False
            if req.operator == "Exists" and not present:
                return False
            if req.operator == "DoesNotExist" and present:
                return False
        return True


@dataclass(frozen=True)
class ResourceRule:
    """``resourceRules`` / ``excludeResourceRules`` entry (``NamedRuleWithOperations``)."""

    api_groups: tuple[str, ...] = ("*",)
    api_versions: tuple[str, ...] = ("*",)
    resources: tuple[str, ...] = ("*",)
    operations: tuple[str, ...] = ("*",)
    resource_names: tuple[str, ...] = ()
    scope: str = "*"


@dataclass(frozen=True)
class MatchResources:
    """Which requests a policy (or a binding) applies to."""

    resource_rules: tuple[ResourceRule, ...] = ()
    exclude_resource_rules: tuple[ResourceRule, ...] = ()
    namespace_selector: LabelSelector = field(default_factory=LabelSelector)
    object_selector: LabelSelector = field(default_factory=LabelSelector)
    match_policy: Literal["Exact", "Equivalent"] = "Equivalent"
    """``Equivalent`` (the API's default) also matches another version of the same resource."""


@dataclass(frozen=True)
class Validation:
    """One ``spec.validations`` entry."""

    expression: str
    message: str = ""
    message_expression: str = ""
    reason: str = ""
    field_path: str = ""


@dataclass(frozen=True)
class Named:
    """A named expression: a ``matchConditions`` or ``variables`` entry."""

    name: str
    expression: str


@dataclass(frozen=True)
class Policy:
    """A ValidatingAdmissionPolicy, with where it was written."""

    name: str
    file: str
    line: int
    match: MatchResources
    validations: tuple[Validation, ...]
    match_conditions: tuple[Named, ...] = ()
    variables: tuple[Named, ...] = ()
    failure_policy: Literal["Fail", "Ignore"] = "Fail"
    param_kind: tuple[str, str] | None = None
    """(apiVersion, kind) of the parameter resource, when the policy takes parameters."""
    description: str = ""
    pack: str | None = None
    audit_annotations: tuple[Named, ...] = ()
    """``auditAnnotations``: ``name`` is the key, ``expression`` the ``valueExpression``."""


@dataclass(frozen=True)
class ParamRef:
    """How a binding names its parameter resource."""

    name: str | None = None
    namespace: str | None = None
    selector: LabelSelector | None = None
    not_found_action: Literal["Allow", "Deny"] = "Deny"


@dataclass(frozen=True)
class Binding:
    """A ValidatingAdmissionPolicyBinding: which policy, how enforced, with which parameters."""

    name: str
    policy: str
    actions: tuple[Action, ...]
    file: str
    line: int
    match: MatchResources | None = None
    param_ref: ParamRef | None = None


@dataclass(frozen=True)
class LoadProblem:
    """A policy file or expression that could not be used, and where."""

    file: str
    line: int | None
    message: str
    policy: str | None = None


@dataclass(frozen=True)
class PolicySet:
    """Everything loaded: policies, bindings, candidate parameter objects, problems."""

    policies: tuple[Policy, ...] = ()
    bindings: tuple[Binding, ...] = ()
    params: tuple[dict[str, Any], ...] = ()
    problems: tuple[LoadProblem, ...] = ()

    def __add__(self, other: PolicySet) -> PolicySet:
        return PolicySet(
            self.policies + other.policies,
            self.bindings + other.bindings,
            self.params + other.params,
            self.problems + other.problems,
        )
