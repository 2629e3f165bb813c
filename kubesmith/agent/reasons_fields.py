"""Read general field conventions from a reviewer's words: which field, which test, which value.

A general convention is a predicate on a field path of a kind of object (see
:mod:`kubesmith.agent.predicates`). Reviewers name the field in plain words ("readiness probe",
"cpu limit", "host path", "grace period", "namespace names") or by its YAML name
(``readinessProbe``, ``resources.limits.cpu``); the test comes from the words around it:

* "missing", "needs", "add", "no X?" on a field that should be there: **present**;
* "no", "not allowed", "forbidden", "banned" on a field that should not be (hostPath,
  privileged, hostNetwork): **forbidden** (with the value that is forbidden, if one);
* "must be true", ``key: false``: **equals**; "one of a, b": **one_of**;
* "at most", "max", "may not exceed", "<=": **lte**; "at least", "min", ">=": **gte**;
* "start with X", "prefixed with X", "end in X", "pattern R": **matches**.

Each field's words only count within its own stretch of the sentence (from the previous field
mentioned to the next), so "must not be privileged and must run as non-root" gives two rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from kubesmith.agent.reasons import ChangeContext

Op = Literal["present", "forbidden", "equals", "one_of", "matches", "gte", "lte"]


@dataclass(frozen=True)
class FieldWords:
    """How reviewers name one field, and what they usually mean when they mention it."""

    pattern: str
    on: Scope
    path: str
    default: Op | None
    value: Any = None
    numeric: Literal["quantity", "int", ""] = ""
    needs_cue: bool = False


Scope = Literal["containers", "pod", "object"]
_C: Scope = "containers"
_P: Scope = "pod"
_O: Scope = "object"
FIELDS: tuple[FieldWords, ...] = (
    FieldWords(r"readinessprobe|readiness probes?|readiness|ready probe", _C, "readinessProbe",
               "present"),
    FieldWords(r"livenessprobe|liveness probes?|liveness", _C, "livenessProbe", "present"),
    FieldWords(r"startupprobe|startup probes?", _C, "startupProbe", "present"),
    FieldWords(r"topologyspreadconstraints|topology spread(?: constraints?)?"
               r"|spread (?:\w+ )?(?:across|over) zones", _P, "topologySpreadConstraints",
               "present"),
    FieldWords(r"hostpath|host path", _P, "volumes[*].hostPath", "forbidden"),
    FieldWords(r"resources\.requests\.cpu|requests\.cpu|cpu requests?", _C,
               "resources.requests.cpu", "present", numeric="quantity"),
    FieldWords(r"resources\.limits\.cpu|limits\.cpu|cpu limits?", _C, "resources.limits.cpu",
               "present", numeric="quantity"),
    FieldWords(r"resources\.requests\.memory|requests\.memory|memory requests?", _C,
               "resources.requests.memory", "present", numeric="quantity"),
    FieldWords(r"resources\.limits\.memory|limits\.memory|memory limits?", _C,
               "resources.limits.memory", "present", numeric="quantity"),
    FieldWords(r"resources\.requests|(?<!pull )requests\b", _C, "resources.requests", "present",
               needs_cue=True),
    FieldWords(r"resources\.limits|\blimits\b", _C, "resources.limits", "present",
               needs_cue=True),
    FieldWords(r"allowprivilegeescalation|privilege escalation", _C,
               "securityContext.allowPrivilegeEscalation", "equals", False),
    FieldWords(r"securitycontext\.privileged|privileged", _C, "securityContext.privileged",
               "forbidden", True),
    FieldWords(r"runasnonroot|run as non[- ]?root|non[- ]?root", _P,
               "securityContext.runAsNonRoot", "equals", True),
    FieldWords(r"readonlyrootfilesystem|read[- ]?only root(?: filesystem)?", _C,
               "securityContext.readOnlyRootFilesystem", "equals", True),
    FieldWords(r"hostnetwork|host network(?:ing)?", _P, "hostNetwork", "forbidden", True),
    FieldWords(r"automountserviceaccounttoken|service account token", _P,
               "automountServiceAccountToken", "equals", False),
    FieldWords(r"terminationgraceperiodseconds|(?:termination |graceful shutdown |shutdown )?"
               r"grace(?:ful)? period|graceful shutdown period", _P,
               "terminationGracePeriodSeconds", None, numeric="int"),
    FieldWords(r"revisionhistorylimit|revision history(?: limit)?|old replica sets", _O,
               "spec.revisionHistoryLimit", None, numeric="int"),
    FieldWords(r"priorityclassname|priority class", _P, "priorityClassName", "present"),
    FieldWords(r"namespace names?|namespaces?", _O, "metadata.name", None, needs_cue=True),
)  # fmt: skip
"""Longest and most specific first: a stretch of text is claimed by the first field it fits."""

FIELD_KINDS = {
    "spec.revisionHistoryLimit": ("Deployment",),
    "metadata.name": ("Namespace",),
}
"""Kinds an object-level field belongs to (pod and container fields go to every workload)."""

_PRESENT_CUE = re.compile(
    r"\b(?:missing|required|requires?|mandatory|must|needs?|add|set|give|define|specify|"
    r"always|without|lacks?|not set|no|where's|please)\b|\?"
)
_FORBID_CUE = re.compile(
    r"\b(?:no|not|never|don't|forbidden|banned|prohibited|disallowed|isn't|aren't|avoid)\b"
)
_LTE = re.compile(
    r"(?:at most|max(?:imum)?(?: of)?|<=|(?:not|n't|never|cannot) exceed|no (?:more|higher) than|"
    r"up to|under)\s*(?P<v>\d+(?:\.\d+)?[a-z]*)|(?P<w>\d+(?:\.\d+)?[a-z]*)\s*max\b"
)
_GTE = re.compile(
    r"(?:at least|min(?:imum)?(?: of)?|>=|no (?:less|fewer) than)\s*(?P<v>\d+(?:\.\d+)?[a-z]*)"
)
_START = re.compile(
    r"\b(?:start|starts|begin|begins|prefixed)\s+(?:with\s+)?(?P<v>[a-z0-9][\w.-]*)"
)
_END = re.compile(r"\b(?:end|ends|suffixed)\s+(?:in\s+|with\s+)?(?P<v>-?[a-z0-9][\w.-]*)")
_PATTERN = re.compile(r"(?:pattern|naming|regex|match)\s*:?\s+(?P<v>\^\S+|\S+\$)")
_ONE_OF = re.compile(r"\bone of\s+(?P<v>[\w.-]+(?:\s*(?:,|or)\s*[\w.-]+)+)")
_BOOL = re.compile(r"(?:\b(?:be|is|to|=|:)\s*|[=:]\s*)(?P<v>true|false)\b")


def _stretches(line: str) -> list[tuple[FieldWords, str, str]]:
    """(field, the field's words, its stretch of the line) for every field the line names."""
    claimed: list[tuple[int, int, FieldWords]] = []
    for fw in FIELDS:
        for m in re.finditer(rf"(?<!\w)(?:{fw.pattern})(?!\w)", line):
            if any(s < m.end() and m.start() < e for s, e, _ in claimed):
                continue
            claimed.append((m.start(), m.end(), fw))
    claimed.sort(key=lambda c: c[0])
    out = []
    for i, (start, end, fw) in enumerate(claimed):
        lo = claimed[i - 1][1] if i else 0
        hi = claimed[i + 1][0] if i + 1 < len(claimed) else len(line)
        out.append((fw, line[start:end], line[lo:start] + " @ " + line[end:hi]))
    return out


_NOT_A_NAME = frozenset({"the", "a", "an", "our", "their", "its", "your", "env", "team"})


def _affix(stretch: str, shape: str) -> str | None:
    """A prefix ("prod-") or suffix ("-svc") written as an example in the stretch."""
    pattern = (
        r"(?<![\w-])([a-z0-9]+-)(?![\w-])" if shape.startswith("^") else r"(?<![\w-])(-[a-z0-9]+)"
    )
    m = re.search(pattern, stretch)
    return m.group(1) if m else None


def _number(raw: str, numeric: str) -> Any:
    if numeric == "int":
        digits = re.match(r"\d+", raw)
        return int(digits.group(0)) if digits else None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(m|k|mi|gi|ti|g|cores?|gb|gigabytes?)?", raw)
    if m is None:
        return None
    unit = {"mi": "Mi", "gi": "Gi", "ti": "Ti", "g": "G", "k": "k", "m": "m", "gb": "Gi",
            "gigabyte": "Gi", "gigabytes": "Gi"}.get(m.group(2) or "", "")  # fmt: skip
    return m.group(1) + unit


def _predicate(fw: FieldWords, stretch: str) -> dict[str, Any] | None:
    params: dict[str, Any] = {"on": fw.on, "path": fw.path}
    if fw.numeric:
        for op, pattern in (("lte", _LTE), ("gte", _GTE)):
            m = pattern.search(stretch)
            if m:
                raw = m.group("v") or m.groupdict().get("w") or ""
                value = _number(raw, fw.numeric)
                if value is not None:
                    return {**params, "op": op, "value": value}
    if fw.path == "metadata.name":
        for pattern, shape in ((_PATTERN, "{}"), (_START, "^{}"), (_END, "{}$")):
            m = pattern.search(stretch)
            if m:
                raw = m.group("v").rstrip(".,")
                if (shape != "{}" and not raw.strip("-").isalnum()) or raw in _NOT_A_NAME:
                    raw = _affix(stretch, shape) or raw
                if raw in _NOT_A_NAME:
                    return None
                value = raw if shape == "{}" else shape.format(raw)
                return {**params, "op": "matches", "value": value}
        return None
    one_of = _ONE_OF.search(stretch)
    if one_of:
        values = [v for v in re.split(r"\s*(?:,|\bor\b)\s*", one_of.group("v")) if v]
        return {**params, "op": "one_of", "value": values}
    forbid = _FORBID_CUE.search(stretch)
    if fw.default == "forbidden":
        if fw.value is not None:
            pair = re.search(r"@\s*[:=]\s*(true|false)\b", stretch)
            if pair and pair.group(1) == "false":
                return None
        return {**params, "op": "forbidden", "value": fw.value}
    if fw.default == "equals":
        value = fw.value
        b = _BOOL.search(stretch.split("@", 1)[1])
        if b:
            value = b.group("v") == "true"
        return {**params, "op": "equals", "value": value}
    if fw.default == "present":
        if fw.needs_cue and not _PRESENT_CUE.search(stretch):
            return None
        if forbid and re.search(r"\b(?:not allowed|forbidden|banned|prohibited)\b", stretch):
            return {**params, "op": "forbidden", "value": None}
        return {**params, "op": "present", "value": None}
    return None


def read_fields(
    lines: Sequence[str], changes: Sequence[ChangeContext] = (), memory_equality: bool = False
) -> list[dict[str, Any]]:
    """The field predicates ``lines`` (normalised sentences) state, as rule params."""
    del changes  # the fixed kinds use the change as context; fields are always named
    out: list[dict[str, Any]] = []
    for line in lines:
        stretches = _stretches(line)
        named = {fw.path for fw, _, _ in stretches}
        for fw, _words, stretch in stretches:
            if memory_equality and fw.path.startswith("resources.") and "memory" in fw.path:
                continue
            if memory_equality and fw.path in ("resources.limits", "resources.requests"):
                continue
            if fw.path in ("resources.limits", "resources.requests") and any(
                n.startswith(fw.path + ".") for n in named
            ):
                continue
            params = _predicate(fw, stretch)
            if params is not None:
                out.append(params)
    return _dedupe(out)


def _generic(lines: Sequence[str], found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ "probes" and "resources" without a specific field: the pair people mean by them."""
    out = list(found)
    paths = {p["path"] for p in found}
    for line in lines:
        if re.search(r"\b(?:health )?probes?\b", line) and not paths & {
            "readinessProbe", "livenessProbe", "startupProbe"
        }:  # fmt: skip
            for path in ("readinessProbe", "livenessProbe"):
                out.append({"on": "containers", "path": path, "op": "present", "value": None})
            paths |= {"readinessProbe", "livenessProbe"}
        if (
            re.search(r"\bresources?\b(?!\.)", line)
            and _PRESENT_CUE.search(line)
            and not any(p.startswith("resources") for p in paths)
            and not re.search(r"\bresource quota", line)
        ):
            for path in ("resources.requests", "resources.limits"):
                out.append({"on": "containers", "path": path, "op": "present", "value": None})
            paths |= {"resources.requests", "resources.limits"}
    return out


def _dedupe(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in found:
        if p not in out:
            out.append(p)
    return out


def read_all_fields(
    lines: Sequence[str], changes: Sequence[ChangeContext] = (), memory_equality: bool = False
) -> list[dict[str, Any]]:
    """:func:`read_fields` plus the generic words ("probes", "resources")."""
    return _dedupe(_generic(lines, read_fields(lines, changes, memory_equality)))
