"""``PolicyValidator``: the built-in packs and the repository's own policies, as findings.

The validator is the seam between admission semantics (:mod:`evaluator`) and kubesmith: it skips
Kustomize patches (partial resources), fills in the namespace a Kustomization gives, applies
exemptions, maps validation actions to severities (Deny → error, Warn → warning, Audit → info) and
points each finding at the failing field's line — for an overlay rendered by Kustomize
(:class:`kubesmith.agent.validation.rendered.RenderedManifest`), in the patch or base a person
edits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kubesmith.config import PolicySettings
from kubesmith.errors import ToolError, UsageError
from kubesmith.model import Finding, Manifest, Severity
from kubesmith.reading import data_problem
from kubesmith.tools.policy.celenv import shared_environment
from kubesmith.tools.policy.evaluator import Evaluator, Violation
from kubesmith.tools.policy.exemptions import exempted
from kubesmith.tools.policy.lists import flatten
from kubesmith.tools.policy.loader import load_folder
from kubesmith.tools.policy.matching import Kinds
from kubesmith.tools.policy.model import LoadProblem, PolicySet
from kubesmith.tools.policy.packs import load_packs

_SEVERITY: dict[str, Severity] = {"Deny": "error", "Warn": "warning", "Audit": "info"}
_RANK = {"error": 0, "warning": 1, "info": 2}


def _severity(actions: Sequence[str]) -> Severity:
    levels = [_SEVERITY[a] for a in actions if a in _SEVERITY] or ["error"]
    return min(levels, key=lambda s: _RANK[s])


class PolicyValidator:
    """Evaluates ValidatingAdmissionPolicies (packs + ``settings.folders``) against manifests.

    Args:
        settings: which packs, folders, parameters and exemptions to use.
        root: the repository; policy folders and finding paths are relative to it.
        kube_version: the Kubernetes version validated against (``schema.kube_version``): the
            Pod Security Standards packs evaluate its policy unless pinned (None: the newest).
    """

    name = "policy"

    def __init__(
        self, settings: PolicySettings, root: Path, *, kube_version: str | None = None
    ) -> None:
        self.settings = settings
        self.root = root
        self.unavailable: str | None = None
        """Why the CEL engine cannot run here (then only Rego folders are checked)."""
        self.policies: PolicySet = PolicySet()
        self.evaluator: Evaluator | None = None
        try:
            env = shared_environment()
        except ToolError as e:
            self.unavailable = str(e)
            return
        policies = load_packs(settings.packs, env, kube_version)
        for folder in settings.folders:
            path = (root / folder).resolve()
            if not path.is_dir():
                raise UsageError(f"policy folder {folder!r} does not exist under {root}")
            policies += load_folder(path, root.resolve(), env)
        self.policies = policies
        self.evaluator = Evaluator(policies, env, dict(settings.params))

    @property
    def problems(self) -> list[LoadProblem]:
        """Policies that could not be loaded (they are reported as findings too)."""
        return list(self.policies.problems)

    def validate(self, manifests: Sequence[Manifest]) -> list[Finding]:
        """Findings for every (policy, resource) violation; patches are never evaluated."""
        if not self.settings.enabled:
            return []
        whole = [m for m in manifests if not getattr(m, "is_patch", False)]
        docs = [m for m in flatten(whole) if m.obj.get("kind")]
        evaluator = self.evaluator
        if evaluator is None:
            findings = [
                Finding(self.name, "warning", f"policy checks skipped: {self.unavailable}",
                        rule="policy-engine")
            ]  # fmt: skip
            return findings + self._rego(docs)
        findings = self._setup_findings(evaluator)
        kinds = Kinds.from_objects(m.obj for m in docs)
        namespaces = {
            m.ref.name: m.obj for m in docs if m.obj.get("kind") == "Namespace" and m.ref.name
        }
        for m in docs:
            # aliases shared by a loader expand when evaluated; a reader that checked its node
            # graph (values_bounded) bounded them already
            too_big = None if _bounded(m) else data_problem(m.obj)
            if too_big:
                findings.append(
                    Finding(self.name, "error", too_big, m.file, m.line, ref=m.ref,
                            rule="policy-input")
                )  # fmt: skip
                continue
            obj = _with_namespace(m)
            skip = exempted(self.settings.exemptions, m.ref, obj)
            try:
                violations = evaluator.evaluate(obj, kinds, namespaces, skip)
            except Exception as e:  # a validator reports, it never raises
                findings.append(
                    Finding(self.name, "error", f"policy evaluation failed: {e}", m.file,
                            m.line, ref=m.ref, rule="policy-engine")
                )  # fmt: skip
                continue
            findings += [self._finding(m, v) for v in violations]
        return findings + self._rego(docs)

    def _rego(self, docs: Sequence[Manifest]) -> list[Finding]:
        if not self.settings.rego_folders:
            return []
        from kubesmith.tools.policy.rego import RegoValidator

        return RegoValidator(self.settings.rego_folders, self.root).validate(docs)

    def _setup_findings(self, evaluator: Evaluator) -> list[Finding]:
        out = [
            Finding(self.name, "error", f"policy not loaded: {p.message}", p.file, p.line,
                    rule=p.policy or "policy-load")
            for p in self.policies.problems
        ]  # fmt: skip
        for policy, message in evaluator.compile_problems:
            out.append(
                Finding(self.name, "error", f"policy not loaded: {message}", policy.file,
                        policy.line, rule=policy.name)
            )  # fmt: skip
        broken = {p.policy for p in self.policies.problems}
        for b in evaluator.orphans:
            if b.policy in broken:
                continue  # its policy is reported as not loaded
            out.append(
                Finding(
                    self.name, "warning",
                    f"ValidatingAdmissionPolicyBinding {b.name} names policy {b.policy}, which "
                    "is not defined: the binding has no effect (the API server accepts it)",
                    b.file, b.line, rule=b.name,
                )
            )  # fmt: skip
        for policy in evaluator.unbound:
            out.append(
                Finding(
                    self.name, "info",
                    f"policy {policy.name} has no ValidatingAdmissionPolicyBinding; not evaluated",
                    policy.file, policy.line, rule=policy.name,
                )
            )  # fmt: skip
        return out

    def _finding(self, m: Manifest, v: Violation) -> Finding:
        file, line = m.file, m.line
        if v.field_path:
            locate = getattr(m, "locate", None)  # a rendered overlay: the file a person edits
            with contextlib.suppress(UsageError):
                file, line = locate(v.field_path) if locate else (m.file, m.line_of(v.field_path))
        rule = v.policy if v.index < 0 else f"{v.policy}/{v.index}"
        message = v.message if v.outcome != "error" else f"cannot evaluate: {_brief(v.message)}"
        return Finding(
            validator=self.name,
            severity="info" if v.outcome == "annotation" else _severity(v.actions),
            message=message,
            file=file,
            line=line,
            ref=m.ref,
            path=v.field_path,
            rule=rule,
        )


def _brief(error: str, limit: int = 280) -> str:
    """A CEL run-time error without the objects it prints whole (a resource can be kilobytes):
    each long ``{...}`` becomes ``{…}``, and what is still too long is cut."""
    out: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(error):
        if ch == "{":
            if depth == 0:
                out.append(error[start:i])
                start = i
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                block = error[start : i + 1]
                out.append(block if len(block) <= 40 else "{…}")
                start = i + 1
    out.append(error[start:])
    text = "".join(out)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _with_namespace(m: Manifest) -> dict[str, Any]:
    """The object with the namespace its Kustomization assigns (what the cluster would get)."""
    obj = m.obj
    meta = obj.get("metadata")
    if isinstance(meta, dict) and not meta.get("namespace") and m.ref.namespace:
        return {**obj, "metadata": {**meta, "namespace": m.ref.namespace}}
    return obj


def _bounded(m: Manifest) -> bool:
    """True when ``m``'s values come from a reader that held them to the reading limits."""
    inner = getattr(m, "doc", m)  # a document placed in its deployed namespace
    return getattr(inner, "values_bounded", False) is True
