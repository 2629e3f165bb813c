"""The tool cache builds real Go binaries: from a module proxy on disk, with the real ``go``.

A tiny module is published into a ``file://`` GOPROXY in a temporary folder, so ``go install
pkg@version`` and the wrapper-module build run exactly as they do against the public proxy, only
offline and in a second or two.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest

from kubesmith.errors import ToolError, UsageError
from kubesmith.tools.binaries.cache import ToolCache, default_cache_dir, find_go
from kubesmith.tools.binaries.specs import DEFAULT_TOOLS, ToolSpec, staging_version

MODULE = "example.com/kshello"

pytestmark = pytest.mark.skipif(find_go() is None, reason="the Go toolchain is not installed")


def _publish(proxy: Path, version: str, greeting: str) -> None:
    """Write one version of MODULE into a GOPROXY folder layout (list, .info, .mod, .zip)."""
    mod = f"module {MODULE}\n\ngo 1.22\n"
    files = {
        "go.mod": mod,
        "main.go": (
            "package main\n\n"
            'import (\n\t"fmt"\n\n\t"example.com/kshello/greet"\n)\n\n'
            'var version = "dev"\n\n'
            "func main() { fmt.Println(greet.Text, version) }\n"
        ),
        "greet/greet.go": f'package greet\n\n// Text is printed.\nconst Text = "{greeting}"\n',
    }
    folder = proxy / MODULE / "@v"
    folder.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"{MODULE}@{version}/{name}", text)
    (folder / f"{version}.zip").write_bytes(buf.getvalue())
    (folder / f"{version}.mod").write_text(mod)
    (folder / f"{version}.info").write_text(
        json.dumps({"Version": version, "Time": "2024-01-01T00:00:00Z"})
    )
    listed = (folder / "list").read_text() if (folder / "list").exists() else ""
    (folder / "list").write_text(listed + version + "\n")


@pytest.fixture
def proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module proxy on disk holding v1.0.0 and v1.1.0, and a Go environment that uses only it."""
    root = tmp_path / "proxy"
    _publish(root, "v1.0.0", "hello")
    _publish(root, "v1.1.0", "bonjour")
    monkeypatch.setenv("GOPROXY", root.as_uri())
    monkeypatch.setenv("GOSUMDB", "off")
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "modcache"))
    monkeypatch.setenv("GOFLAGS", "-modcacherw")
    return root


def _spec(version: str = "v1.0.0", **kw: object) -> ToolSpec:
    fields: dict[str, object] = {
        "name": "kshello",
        "version": version,
        "module": MODULE,
        "package": MODULE,
        "ldflags": ("-X main.version={version}",),
    }
    fields.update(kw)
    return ToolSpec(**fields)  # type: ignore[arg-type]


def _run(binary: Path) -> str:
    return subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.slow
def test_install_builds_versioned_binary_and_link(tmp_path: Path, proxy: Path) -> None:
    cache = ToolCache(tmp_path / "cache", registry={"kshello": _spec()})
    messages: list[str] = []
    (path,) = cache.install(["kshello"], progress=messages.append)
    assert path == tmp_path / "cache" / "bin" / "kshello-v1.0.0"
    assert _run(path) == "hello v1.0.0"
    assert os.readlink(tmp_path / "cache" / "bin" / "kshello") == "kshello-v1.0.0"
    assert any("building kshello v1.0.0" in m for m in messages)
    # Nothing but the binary, its link and the lock folder is left in the cache.
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["bin", "locks"]


@pytest.mark.slow
def test_second_install_is_a_noop(tmp_path: Path, proxy: Path) -> None:
    cache = ToolCache(tmp_path / "cache", registry={"kshello": _spec()})
    (first,) = cache.install(["kshello"])
    mtime = first.stat().st_mtime_ns
    messages: list[str] = []
    (again,) = cache.install(["kshello"], progress=messages.append)
    assert again == first
    assert first.stat().st_mtime_ns == mtime
    assert messages == []


@pytest.mark.slow
def test_version_bump_builds_the_new_version_beside_the_old(tmp_path: Path, proxy: Path) -> None:
    ToolCache(tmp_path / "cache", registry={"kshello": _spec("v1.0.0")}).install(["kshello"])
    bumped = ToolCache(tmp_path / "cache", registry={"kshello": _spec("v1.1.0")})
    (path,) = bumped.install(["kshello"])
    assert path.name == "kshello-v1.1.0"
    assert _run(path) == "bonjour v1.1.0"
    assert (tmp_path / "cache" / "bin" / "kshello-v1.0.0").exists()
    assert os.readlink(tmp_path / "cache" / "bin" / "kshello") == "kshello-v1.1.0"


@pytest.mark.slow
def test_failed_build_leaves_no_binary(tmp_path: Path, proxy: Path) -> None:
    cache = ToolCache(tmp_path / "cache", registry={"kshello": _spec("v9.9.9")})
    with pytest.raises(ToolError, match=r"building kshello v9\.9\.9 failed"):
        cache.install(["kshello"])
    assert not any((tmp_path / "cache" / "bin").glob("kshello*"))
    assert not list((tmp_path / "cache").glob(".kshello-*"))


@pytest.mark.slow
def test_concurrent_installs_build_once(tmp_path: Path, proxy: Path) -> None:
    messages: list[str] = []
    results: list[Path] = []
    errors: list[BaseException] = []

    def worker() -> None:
        cache = ToolCache(tmp_path / "cache", registry={"kshello": _spec()})
        try:
            results.extend(cache.install(["kshello"], progress=messages.append))
        except BaseException as e:  # collected and re-raised in the test thread
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1
    assert sum("building kshello" in m for m in messages) == 1
    assert _run(results[0]) == "hello v1.0.0"


@pytest.mark.slow
def test_wrapper_module_build(tmp_path: Path, proxy: Path) -> None:
    gotools = tmp_path / "gotools"
    gotools.mkdir()
    (gotools / "kswrap.mod.tmpl").write_text(
        "module kubesmith.local/tools/kswrap\n\ngo 1.22\n\nrequire {{MOD}} {{VERSION}}\n"
    )
    (gotools / "kswrap.go").write_text(
        'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/kshello/greet"\n)\n\n'
        'func main() { fmt.Println("wrapped", greet.Text) }\n'
    )
    spec = _spec(
        "v1.1.0",
        name="kswrap",
        method="wrapper",
        wrapper="kswrap",
        template_vars={"MOD": MODULE},
        ldflags=(),
    )
    cache = ToolCache(tmp_path / "cache", registry={"kswrap": spec}, gotools_dir=gotools)
    (path,) = cache.install(["kswrap"])
    assert _run(path) == "wrapped bonjour"
    (status,) = cache.status()
    assert (status.ok, status.source, status.found_version) == (True, "cache", "v1.1.0")


@pytest.mark.slow
def test_tool_path_prefers_cache_then_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ToolCache(tmp_path / "cache", registry={"kshello": _spec()})
    assert cache.tool_path("kshello") is None
    on_path = tmp_path / "path-bin"
    on_path.mkdir()
    fake = on_path / "kshello"
    fake.write_text("#!/bin/sh\necho path\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{on_path}{os.pathsep}{os.environ['PATH']}")
    assert cache.tool_path("kshello") == fake
    (status,) = cache.status()
    assert status.source == "PATH"
    assert status.found_version is None  # a shell script carries no Go build info
    assert status.note == "version unknown"


def test_ensure_without_go_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kubesmith.tools.binaries.cache.find_go", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path))
    cache = ToolCache(tmp_path / "cache", registry={"kshello": _spec()})
    with pytest.raises(ToolError, match="kubesmith tools install kshello"):
        cache.ensure("kshello")
    (status,) = cache.status()
    assert (status.ok, status.path, status.note) == (False, None, "missing")


def test_unknown_tool_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown tool 'nope'"):
        ToolCache(tmp_path).install(["nope"])


def test_cache_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBESMITH_TOOL_CACHE", str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("KUBESMITH_TOOL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "kubesmith"


def test_pinned_registry() -> None:
    assert DEFAULT_TOOLS["kubeconform"].version == "v0.7.0"
    assert DEFAULT_TOOLS["kube-apiserver"].version.startswith("v1.34.")
    assert DEFAULT_TOOLS["etcd"].version.startswith(("v3.5.", "v3.6."))
    assert staging_version("v1.34.4") == "v0.34.4"
    with pytest.raises(ValueError, match="not a Kubernetes"):
        staging_version("v2.0.0")


def test_shipped_wrapper_templates_fill_every_placeholder(tmp_path: Path) -> None:
    """The packaged kube-apiserver go.mod pins every staging module to the matching v0 tag."""
    cache = ToolCache(tmp_path)
    src = cache._wrapper_module(DEFAULT_TOOLS["kube-apiserver"])
    mod = (src / "go.mod").read_text()
    assert "{{" not in mod
    assert "require k8s.io/kubernetes v1.34." in mod
    assert "\tk8s.io/client-go => k8s.io/client-go v0.34." in mod
    assert "app.NewAPIServerCommand()" in (src / "main.go").read_text()
