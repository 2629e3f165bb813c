"""The file-level path: cached per file content, unchanged files not even read on a re-run."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kubesmith.tools.schema import SourceFile
from kubesmith.tools.schema import files as files_module

GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n"
BAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: 1}\n"


def _aged(path: Path, text: str) -> None:
    """Write ``text`` with an mtime in the past, as files are when a re-run happens."""
    path.write_text(text)
    past = time.time() - 60
    os.utime(path, (past, past))


def test_unchanged_files_are_not_read_again(
    make_validator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = []
    for i in range(5):
        p = tmp_path / f"cm{i}.yaml"
        _aged(p, GOOD if i else BAD)
        files.append(SourceFile(p.name, p))
    v = make_validator()
    first = v.validate_files([(f.rel, f.path, False) for f in files])
    assert [(f.file, f.line, f.path) for f in first] == [("cm0.yaml", 4, "data.k")]

    reads: list[str] = []
    real = files_module.read_bytes

    def counting(path: Path, file: str) -> bytes:
        reads.append(path.name)
        return real(path, file)

    monkeypatch.setattr(files_module, "read_bytes", counting)
    again = make_validator()
    again.cache.path = v.cache.path
    assert again.validate_files([(f.rel, f.path, False) for f in files]) == first
    assert reads == []

    files[0].path.write_text(GOOD.replace("k: v", "k: w"))  # same size, new mtime
    fixed = make_validator()
    fixed.cache.path = v.cache.path
    assert fixed.validate_files([(f.rel, f.path, False) for f in files]) == []
    assert reads == ["cm0.yaml"]


def test_unreadable_and_binary_files_are_reported(
    make_validator: Callable[..., Any], tmp_path: Path
) -> None:
    (tmp_path / "bin.yaml").write_bytes(b"\x00\x01")
    (tmp_path / "broken.yaml").write_text("a: [1, 2\n")
    (tmp_path / "chart.yaml").write_text("a: {{ .Values.x }\n")
    files = [
        (name, tmp_path / name, False)
        for name in ("bin.yaml", "broken.yaml", "chart.yaml", "missing.yaml")
    ]
    findings = make_validator().validate_files(files)
    assert [(f.file, f.severity) for f in findings] == [
        ("bin.yaml", "error"),  # binary content is never a pass (kubectl may read around it)
        ("broken.yaml", "error"),
        ("chart.yaml", "info"),
        ("missing.yaml", "error"),
    ]
    assert findings[1].line == 2
