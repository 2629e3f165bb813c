"""docs/intents.md is the offline planner's contract: every example in it must work as shown."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kubesmith.agent.offline import OfflinePlanner
from kubesmith.agent.offline.help import EXAMPLES
from kubesmith.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "intents.md"
EXAMPLE = ROOT / "examples" / "manifests"
DOC_EXAMPLES = re.findall(r"^- `(.+)`$", DOC.read_text(), re.MULTILINE)


@pytest.fixture(scope="module")
def shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shop") / "repo"
    shutil.copytree(EXAMPLE, root)
    return root


def test_the_doc_has_examples_for_every_intent_kind() -> None:
    sections = re.findall(r"^## (.+)$", DOC.read_text(), re.MULTILINE)
    for kind in (
        "Replicas",
        "Image and tag",
        "CPU and memory",
        "Environment variables",
        "Labels and annotations",
        "Probes",
        "Services (expose)",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Image pull policy",
        "Security hardening",
        "Environments (Kustomize overlays)",
    ):
        assert kind in sections
    assert len(DOC_EXAMPLES) > 80


@pytest.mark.parametrize("intent", DOC_EXAMPLES)
def test_every_documented_example_plans_and_applies(shop_dir: Path, intent: str) -> None:
    ws = Workspace.load(shop_dir)
    cs = OfflinePlanner().plan(intent, ws)
    assert cs.edits, intent
    assert cs.rationale
    changes = ws.apply(cs)  # in memory only: the shared copy is never written
    assert changes, f"{intent!r} planned edits that change nothing"


@pytest.mark.parametrize("intent", EXAMPLES)
def test_the_examples_in_the_error_message_work_too(shop_dir: Path, intent: str) -> None:
    ws = Workspace.load(shop_dir)
    assert ws.apply(OfflinePlanner().plan(intent, ws))


def test_the_python_snippet_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert code is not None
    monkeypatch.chdir(ROOT)
    exec(compile(code.group(1), str(DOC), "exec"), {})  # applies in memory only, writes nothing
    assert capsys.readouterr().out == (
        "Set Deployment/checkout replicas from 2 to 3. Set the memory limit of "
        "Deployment/checkout container checkout from 256Mi to 512Mi.\n"
    )
