"""Reports: SARIF 2.1.0 (structure checked against the spec's required properties), JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from kubesmith.agent.validation.report import (
    render,
    render_json,
    render_junit,
    render_sarif,
    render_text,
)
from kubesmith.model import Finding, ResourceRef

WEB = ResourceRef("apps/v1", "Deployment", "web", "shop")
FINDINGS = [
    Finding(
        "schema",
        "error",
        "got string, want integer",
        "base/web.yaml",
        6,
        WEB,
        "spec.replicas",
        "schema/type",
    ),
    Finding("schema", "warning", "no schema for example.com/v1 Gadget", "base/g.yaml", 1),
    Finding("policy", "error", "runs as root", "base/web.yaml", 14, WEB, None, "pss/run-as-root"),
    Finding("schema", "info", "Kustomize patch: skipped", "overlays/prod/patch.yaml", 1),
]

_LEVELS = {"none", "note", "warning", "error"}


def check_sarif(log: dict[str, Any]) -> None:
    """The SARIF 2.1.0 properties that are required or constrained, checked by hand."""
    assert log["version"] == "2.1.0"
    assert isinstance(log["runs"], list) and log["runs"]
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        assert isinstance(driver["name"], str) and driver["name"]
        rules = driver.get("rules", [])
        ids = [r["id"] for r in rules]
        assert len(ids) == len(set(ids)), "rule ids are unique"
        for rule in rules:
            assert isinstance(rule["id"], str)
            assert rule.get("defaultConfiguration", {}).get("level", "warning") in _LEVELS
        for result in run["results"]:
            message = result["message"]
            assert isinstance(message.get("text") or message.get("id"), str)
            assert result.get("level", "warning") in _LEVELS
            if "ruleIndex" in result:
                assert 0 <= result["ruleIndex"] < len(rules)
                assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
            for location in result.get("locations", []):
                physical = location["physicalLocation"]
                uri = physical["artifactLocation"]["uri"]
                assert isinstance(uri, str) and not uri.startswith("/")
                region = physical.get("region")
                if region is not None:
                    assert isinstance(region["startLine"], int) and region["startLine"] >= 1


def test_sarif_has_the_required_structure() -> None:
    log = render_sarif(FINDINGS)
    check_sarif(json.loads(json.dumps(log)))
    [run] = log["runs"]
    results = run["results"]
    assert len(results) == len(FINDINGS)
    [first] = [r for r in results if r["ruleId"] == "schema/type"]
    assert first["level"] == "error"
    assert first["ruleId"] == "schema/type"
    assert first["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "base/web.yaml"
    assert {r["level"] for r in results} == {"error", "warning", "note"}
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"schema/type", "pss/run-as-root"}


def test_sarif_without_findings_is_still_a_valid_log() -> None:
    log = render_sarif([])
    check_sarif(log)
    assert log["runs"][0]["results"] == []


def test_junit_parses_and_counts_failures() -> None:
    xml = render_junit(FINDINGS, files=["base/web.yaml", "base/g.yaml", "base/ok.yaml"])
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {
        "base/web.yaml",
        "base/g.yaml",
        "base/ok.yaml",
        "overlays/prod/patch.yaml",
    }
    web = suites["base/web.yaml"]
    [case] = web.findall("testcase")
    assert case.get("name") == "Deployment/shop/web"
    failures = case.findall("failure")
    assert [f.get("type") for f in failures] == ["schema/type", "pss/run-as-root"]
    assert "base/web.yaml:6" in (failures[0].text or "")
    assert suites["base/ok.yaml"].get("failures") == "0"
    assert suites["base/ok.yaml"].find("testcase") is not None  # clean files pass visibly
    assert root.get("failures") == "1"
    assert int(root.get("tests") or 0) == sum(int(s.get("tests") or 0) for s in suites.values())


def test_text_groups_by_file_with_lines() -> None:
    text = render_text(FINDINGS, files_checked=4)
    lines = text.splitlines()
    assert lines[0] == "base/g.yaml"
    web = lines.index("base/web.yaml")
    assert lines[web + 1].startswith("  base/web.yaml:6: error: spec.replicas: got string")
    assert lines[web + 2].startswith("  base/web.yaml:14: error: runs as root")
    assert lines[-1] == "2 error(s), 1 warning(s), 1 note(s) in 4 file(s)"


def test_json_and_dispatch() -> None:
    data = render_json(FINDINGS, files=4)
    assert data["ok"] is False
    assert data["summary"] == {"errors": 2, "warnings": 1, "info": 1}
    assert data["files"] == 4
    assert json.loads(render(FINDINGS, "json"))["summary"] == data["summary"]
    assert render(FINDINGS[1:2], "junit").startswith("<?xml")
    assert json.loads(render([], "sarif"))["version"] == "2.1.0"


def test_text_says_which_findings_the_base_already_had() -> None:
    old = Finding("schema", "warning", "got string", "a.yaml", 3, preexisting=True)
    new = Finding("schema", "error", "unknown field", "a.yaml", 4)
    lines = render_text([old, new]).splitlines()
    assert lines[1].endswith("(already on the base)")
    assert not lines[2].endswith("(already on the base)")
