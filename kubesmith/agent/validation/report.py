"""Findings as people and CI systems read them: text, JSON, SARIF 2.1.0 and JUnit XML.

Generic over :class:`kubesmith.model.Finding`, so schema, policy and dry-run findings render the
same way. SARIF is what GitHub code scanning ingests (annotations on the pull request's lines);
JUnit XML is what most CI systems show as a test report.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kubesmith import __version__
from kubesmith.model import Finding, ResourceRef, to_json

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_ORDER = {"error": 0, "warning": 1, "info": 2}


def summary(findings: Sequence[Finding]) -> dict[str, int]:
    """Counts by severity (every severity present, zero or not)."""
    counts = Counter(f.severity for f in findings)
    return {"errors": counts["error"], "warnings": counts["warning"], "info": counts["info"]}


def rule_id(f: Finding) -> str:
    """The finding's rule, or its validator's name when it has none."""
    return f.rule or f.validator


def _sorted(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(
        findings, key=lambda f: (f.file or "", f.line or 0, _ORDER[f.severity], f.message)
    )


def render_text(findings: Sequence[Finding], files_checked: int | None = None) -> str:
    """Findings grouped by file, one ``file:line`` per line, and a summary at the end."""
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in _sorted(findings):
        by_file[f.file or "(no file)"].append(f)
    lines: list[str] = []
    for file, items in by_file.items():
        lines.append(file)
        for f in items:
            where = f"{file}:{f.line}" if f.line else file
            what = f"{f.path}: {f.message}" if f.path else f.message
            ref = f"  {f.ref}" if f.ref else ""
            old = " (already on the base)" if f.preexisting else ""
            lines.append(f"  {where}: {f.severity}: {what} [{rule_id(f)}]{ref}{old}")
    s = summary(findings)
    checked = f" in {files_checked} file(s)" if files_checked is not None else ""
    counts = f"{s['errors']} error(s), {s['warnings']} warning(s), {s['info']} note(s)"
    lines.append(counts + checked)
    return "\n".join(lines) + "\n"


def render_json(findings: Sequence[Finding], **extra: Any) -> dict[str, Any]:
    """One JSON object: ``ok`` (no error findings), the summary and every finding."""
    s = summary(findings)
    return {
        "ok": s["errors"] == 0,
        "summary": s,
        **extra,
        "findings": [to_json(f) for f in _sorted(findings)],
    }


def render_sarif(findings: Sequence[Finding], tool_name: str = "kubesmith") -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; file paths are relative to the repository root."""
    ordered = _sorted(findings)
    rules: dict[str, int] = {}
    rule_list: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for f in ordered:
        rid = rule_id(f)
        if rid not in rules:
            rules[rid] = len(rule_list)
            rule_list.append(
                {
                    "id": rid,
                    "name": rid.replace("/", "-"),
                    "shortDescription": {"text": f"{f.validator} check {rid}"},
                    "defaultConfiguration": {"level": _SARIF_LEVEL[f.severity]},
                    "properties": {"validator": f.validator},
                }
            )
        result: dict[str, Any] = {
            "ruleId": rid,
            "ruleIndex": rules[rid],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f"{f.path}: {f.message}" if f.path else f.message},
        }
        if f.file:
            location: dict[str, Any] = {
                "artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"}
            }
            if f.line:
                location["region"] = {"startLine": f.line}
            result["locations"] = [{"physicalLocation": location}]
        props = {"resource": str(f.ref) if f.ref else None, "path": f.path}
        props = {k: v for k, v in props.items() if v}
        if props:
            result["properties"] = props
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool_name,
                        "version": __version__,
                        "rules": rule_list,
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def render_junit(
    findings: Sequence[Finding],
    files: Sequence[str] = (),
    suite_name: str = "kubesmith",
    resources: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """JUnit XML: a test suite per file, a test case per resource (or file), errors as failures.

    ``files`` lists every file that was checked, so clean files show up as passing tests;
    ``resources`` (file → resource names, see :func:`resources_by_file`) every resource, so a
    clean resource is a passing test case of its own, not only those with findings.
    """
    by_file: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for name in files:
        by_file.setdefault(name, defaultdict(list))  # a checked file with no findings passes
    for name, refs in (resources or {}).items():
        for ref in refs:
            by_file[name].setdefault(ref, [])  # a checked resource with no findings passes
    for f in _sorted(findings):
        by_file[f.file or "(no file)"][str(f.ref) if f.ref else "(file)"].append(f)
    root = ET.Element("testsuites", name=suite_name)
    total = failures = 0
    for file in sorted(by_file):
        cases = by_file[file] or {"(file)": []}
        suite = ET.SubElement(root, "testsuite", name=file)
        suite_failures = 0
        for case_name, items in cases.items():
            case = ET.SubElement(suite, "testcase", name=case_name, classname=file)
            errors = [f for f in items if f.severity == "error"]
            for f in errors:
                where = f"{file}:{f.line}" if f.line else file
                failure = ET.SubElement(case, "failure", message=f.message, type=rule_id(f))
                failure.text = f"{where}: {f.path + ': ' if f.path else ''}{f.message}"
            others = [f for f in items if f.severity != "error"]
            if others:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(f"{f.severity}: {f.message} [{rule_id(f)}]" for f in others)
            suite_failures += bool(errors)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(suite_failures))
        suite.set("errors", "0")
        total += len(cases)
        failures += suite_failures
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def resources_by_file(root: Path, files: Sequence[str]) -> dict[str, list[str]]:
    """The resources (``Kind/namespace/name``) of each checked file, for a JUnit report's test
    cases. Read only when that report is asked for; a file that cannot be read lists none (its
    findings say why)."""
    from kubesmith.errors import KubesmithError
    from kubesmith.reading import load_all, read_text

    out: dict[str, list[str]] = {}
    for name in files:
        try:
            docs = load_all(read_text(root / name, name), name)
        except (OSError, KubesmithError):
            continue
        out[name] = [
            str(ResourceRef.from_object(d)) for d in docs if isinstance(d, dict) and d.get("kind")
        ]
    return out


def render(
    findings: Sequence[Finding],
    output: str,
    files: Sequence[str] = (),
    resources: Mapping[str, Sequence[str]] | None = None,
    **extra: Any,
) -> str:
    """Render in one of ``text``, ``json``, ``sarif``, ``junit``."""
    if output == "json":
        return json.dumps(render_json(findings, **extra), indent=2) + "\n"
    if output == "sarif":
        return json.dumps(render_sarif(findings), indent=2) + "\n"
    if output == "junit":
        return render_junit(findings, files, resources=resources)
    return render_text(findings, len(files) if files else None)
