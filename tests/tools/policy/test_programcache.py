"""Compiled programs and the packs' documents kept on disk between processes (performance,
issue 16): what is read back must evaluate as freshly compiled, a damaged cache must never
fail a run, and ``KUBESMITH_CEL_CACHE=off`` writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesmith.tools.policy import celenv
from kubesmith.tools.policy.celenv import CelEnvironment
from kubesmith.tools.policy.programcache import ProgramCache, cached_json

SOURCE = "object.spec.replicas >= 2 && quantity('1Gi').isGreaterThan(quantity('1Mi'))"


def _fresh_env(monkeypatch: pytest.MonkeyPatch, cache: Path) -> CelEnvironment:
    monkeypatch.setenv("KUBESMITH_TOOL_CACHE", str(cache))
    monkeypatch.delenv("KUBESMITH_CEL_CACHE", raising=False)
    return CelEnvironment()


def test_a_program_saved_by_one_process_is_loaded_by_the_next(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = _fresh_env(monkeypatch, tmp_path)
    program = first.compile(SOURCE)
    first._disk.save()
    files = list((tmp_path / "cel").glob("programs-*.bin"))
    assert len(files) == 1

    second = _fresh_env(monkeypatch, tmp_path)
    loaded = second._from_disk(SOURCE)
    assert loaded is not None and loaded.depth == program.depth
    act = second.activation({"object": {"spec": {"replicas": 1}}})
    assert second.evaluate(loaded, act) is False
    act = second.activation({"object": {"spec": {"replicas": 3}}})
    assert second.evaluate(loaded, act) is True


def test_a_damaged_cache_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = _fresh_env(monkeypatch, tmp_path)
    env._disk.path.parent.mkdir(parents=True)
    env._disk.path.write_bytes(b"not a cache")
    assert env.evaluate(env.compile("1 + 1 == 2"), env.activation({})) is True
    cache = ProgramCache("x", tmp_path)
    cache.put("bad", (b"garbage", 0, 0))
    cache.save()
    monkeypatch.setattr(celenv, "ProgramCache", lambda _fp: cache)
    env = CelEnvironment()
    assert env._from_disk("bad") is None  # a damaged entry is compiled again


def test_caching_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KUBESMITH_TOOL_CACHE", str(tmp_path))
    monkeypatch.setenv("KUBESMITH_CEL_CACHE", "off")
    env = CelEnvironment()
    env.compile(SOURCE)
    env._disk.save()
    assert cached_json("pack-test", lambda: [[1, {"a": 1}]]) == [[1, {"a": 1}]]
    assert not (tmp_path / "cel").exists()


def test_pack_documents_are_kept_as_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KUBESMITH_TOOL_CACHE", str(tmp_path))
    monkeypatch.delenv("KUBESMITH_CEL_CACHE", raising=False)
    calls: list[int] = []

    def build() -> list[object]:
        calls.append(1)
        return [[3, {"kind": "ConfigMap"}]]

    assert cached_json("pack-x-1", build) == cached_json("pack-x-1", build)
    assert calls == [1]
    (tmp_path / "cel" / "pack-x-1.json").write_text("{broken")
    assert cached_json("pack-x-1", build) == [[3, {"kind": "ConfigMap"}]]
    assert calls == [1, 1]
