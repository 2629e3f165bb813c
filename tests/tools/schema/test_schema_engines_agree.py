"""Both engines judge the public corpora alike: same valid documents, same failing fields."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kubesmith.tools.schema.located import LocatedDocument, parse_documents
from tests.conftest import corpus_dir

pytestmark = pytest.mark.integration


def corpus_documents() -> list[LocatedDocument]:
    kyverno = corpus_dir("kyverno-policies-tests")
    bench = corpus_dir("k8s-ai-bench")
    files = sorted(kyverno.rglob("*.yaml")) + sorted(bench.glob("tasks/*/artifacts/**/*.yaml"))
    found: list[LocatedDocument] = []
    for path in files:
        found.extend(parse_documents(path.read_text(encoding="utf-8"), path.as_posix()))
    return found


def verdicts(
    findings: list[Any],
) -> set[tuple[str | None, int | None, str | None, str, str | None]]:
    return {(f.file, f.line, f.path, f.severity, f.rule) for f in findings}


@pytest.mark.parametrize("strict", [True, False])
def test_engines_agree_on_the_corpora(
    make_validator: Callable[..., Any], kubeconform_bin: Path, strict: bool
) -> None:
    documents = corpus_documents()
    assert len(documents) > 100
    kc = make_validator(engine="kubeconform", kubeconform=kubeconform_bin, strict=strict)
    by_kubeconform = verdicts(kc.validate(documents))
    by_embedded = verdicts(make_validator(engine="embedded", strict=strict).validate(documents))
    assert by_kubeconform == by_embedded
    errors = {v for v in by_kubeconform if v[3] == "error"}
    resources = [d for d in documents if d.obj.get("kind")]
    assert len(errors) < len(resources), "most corpus resources are valid"


def _mutate(obj: dict[str, Any]) -> dict[str, Any]:
    """A broken copy: an unknown metadata field, a wrong type in the first container, if any."""
    import copy

    broken = copy.deepcopy(obj)
    if isinstance(broken.get("metadata"), dict):
        broken["metadata"]["labelz"] = {"a": "b"}
    node: Any = broken.get("spec")
    for key in ("jobTemplate", "spec", "template", "spec"):
        if isinstance(node, dict) and isinstance(node.get("containers"), list):
            break
        node = node.get(key) if isinstance(node, dict) else None
    if (
        isinstance(node, dict)
        and node.get("containers")
        and isinstance(node["containers"][0], dict)
    ):
        node["containers"][0]["image"] = 5
        node["containers"][0]["ports"] = "80"
    return broken


def test_engines_agree_on_broken_copies_of_the_corpora(
    make_validator: Callable[..., Any], kubeconform_bin: Path
) -> None:
    objs = [
        _mutate(d.obj) for d in corpus_documents() if d.obj.get("kind") and d.obj.get("apiVersion")
    ]
    kc = make_validator(engine="kubeconform", kubeconform=kubeconform_bin).check(objs)
    embedded = make_validator(engine="embedded").check(objs)
    assert [v.status for v in kc] == [v.status for v in embedded]
    assert [{(x.path, x.rule) for x in v.violations} for v in kc] == [
        {(x.path, x.rule) for x in v.violations} for v in embedded
    ]
    invalid = [v for v in kc if v.status == "invalid"]
    assert len(invalid) > 500
    assert sum(len(v.violations) for v in invalid) > 1000
