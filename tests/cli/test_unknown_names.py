"""An intent naming nothing in the repository says which names there are."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_REPO

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def propose(repo: Path, intent: str) -> tuple[int, dict[str, object]]:
    proc = subprocess.run(
        [KUBESMITH, "propose", intent, "--repo", str(repo), "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout)


def test_an_unknown_name_lists_the_names_there_are(example_repo: Path) -> None:
    code, data = propose(example_repo, "scale zzqx to 3")
    assert code == 2
    message = str(data["message"])
    assert "'zzqx'" in message
    for name in ("cart", "checkout", "payments"):
        assert name in message


def test_a_long_list_of_names_is_cut_short(make_repo: Callable[..., Path]) -> None:
    files = {
        f"cm{i:02}.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: config-{i:02}}}\n"
        for i in range(40)
    }
    repo = make_repo(source=EXAMPLE_REPO, files=files)
    code, data = propose(repo, "scale zzqx to 3")
    assert code == 2
    message = str(data["message"])
    assert "config-39" not in message and "more" in message


def test_a_near_miss_still_suggests_the_close_name(example_repo: Path) -> None:
    code, data = propose(example_repo, "scale chekout to 3")
    assert code == 2
    assert "did you mean checkout" in str(data["message"])
    assert data["candidates"] == ["checkout"]


def test_a_repository_without_manifests_says_so(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"README.md": "no manifests yet\n"})
    code, data = propose(repo, "scale cart to 3")
    assert code == 2
    assert "no Kubernetes resources" in str(data["message"])
