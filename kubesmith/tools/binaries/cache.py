"""Find and build kubesmith's external Go tools in a per-user cache outside any clone.

The cache is ``$KUBESMITH_TOOL_CACHE`` or ``${XDG_CACHE_HOME:-~/.cache}/kubesmith``; binaries go
to its ``bin/`` as ``<name>-<version>`` (plus a ``<name>`` symlink to the pinned one, so the folder
can be put on ``PATH``). Because the cache lives outside the checkout, a second clone, a CI re-run
or a ``git clean`` reuse what was built once — the API server takes many minutes to compile.

Installs are idempotent (a present binary is a no-op taking milliseconds), serialised per tool by
an ``flock`` so two concurrent ``make test`` runs do not clash, and atomic: the build writes a
temporary file that is renamed into place only after the compiler succeeded.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kubesmith.errors import ToolError, UsageError
from kubesmith.tools.binaries.specs import DEFAULT_INSTALL, DEFAULT_TOOLS, ToolSpec

Progress = Callable[[str], None]

BUILD_TIMEOUT_S = 3600.0
"""A cold kube-apiserver build on two busy cores takes 15-30 minutes; a hung one is stopped."""


def default_cache_dir() -> Path:
    """``$KUBESMITH_TOOL_CACHE``, else ``${XDG_CACHE_HOME:-~/.cache}/kubesmith``."""
    explicit = os.environ.get("KUBESMITH_TOOL_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "kubesmith"


def find_go() -> Path | None:
    """The ``go`` command: ``PATH`` first, then the standard ``/usr/local/go`` install."""
    found = shutil.which("go")
    if found:
        return Path(found)
    fallback = Path("/usr/local/go/bin/go")
    return fallback if os.access(fallback, os.X_OK) else None


@dataclass(frozen=True)
class ToolStatus:
    """What ``kubesmith doctor`` reports about one tool."""

    name: str
    version: str
    """The pinned version."""
    path: str | None
    found_version: str | None
    ok: bool
    """True when the tool is present at the pinned version (or a version that cannot be read)."""
    required: bool
    source: str | None
    """``cache`` or ``PATH`` (``None`` when missing)."""
    install_command: str
    purpose: str
    note: str = ""


class ToolCache:
    """One cache folder and the registry of tools it can hold.

    Args:
        root: the cache folder (default: :func:`default_cache_dir`).
        registry: tool name → spec (default: the pinned tools of ``specs``); tests pass theirs.
        gotools_dir: where the wrapper modules' sources are (default: the package data).
    """

    def __init__(
        self,
        root: Path | None = None,
        registry: Mapping[str, ToolSpec] | None = None,
        gotools_dir: Path | None = None,
    ) -> None:
        self.root = (root or default_cache_dir()).resolve()
        self.registry = dict(registry if registry is not None else DEFAULT_TOOLS)
        self._gotools_dir = gotools_dir

    @property
    def bin_dir(self) -> Path:
        """Where the binaries are."""
        return self.root / "bin"

    def spec(self, name: str) -> ToolSpec:
        """The spec of ``name``.

        Raises:
            UsageError: when kubesmith knows no tool of that name.
        """
        try:
            return self.registry[name]
        except KeyError as e:
            known = ", ".join(self.registry)
            raise UsageError(f"unknown tool {name!r}; known tools: {known}") from e

    def cached_path(self, name: str) -> Path:
        """Where the pinned binary of ``name`` lives in the cache (whether or not it exists)."""
        return self.bin_dir / self.spec(name).file_name

    def tool_path(self, name: str) -> Path | None:
        """The binary to run for ``name``: the cache's pinned build first, then ``PATH``."""
        cached = self.cached_path(name)
        if os.access(cached, os.X_OK):
            return cached
        found = shutil.which(name)
        return Path(found) if found else None

    def install_command(self, name: str) -> str:
        """The command a person runs to get ``name``."""
        return f"kubesmith tools install {name}"

    def ensure(self, name: str, progress: Progress | None = None, *, build: bool = True) -> Path:
        """The binary of ``name``, building it into the cache when it is missing and Go is here.

        Raises:
            ToolError: when it is missing and cannot be built (the message says how to install it).
        """
        path = self.tool_path(name)
        if path is not None:
            return path
        if build and find_go() is not None:
            return self.install([name], progress)[0]
        raise ToolError(
            f"{name} is not installed (looked in {self.bin_dir} and on PATH); "
            f"install it with `{self.install_command(name)}` (needs Go on PATH)"
        )

    def install(
        self, names: Iterable[str] | None = None, progress: Progress | None = None
    ) -> list[Path]:
        """Build each tool that is not in the cache yet; return the binaries' paths in order.

        Raises:
            ToolError: when Go is missing or a build fails (no partial binary is left behind).
        """
        specs = [self.spec(n) for n in (DEFAULT_INSTALL if names is None else names)]
        return [self._install_one(spec, progress or _quiet) for spec in specs]

    def status(self) -> list[ToolStatus]:
        """Every known tool: where it is, which version, and how to install what is missing."""
        return [self._status_one(spec) for spec in self.registry.values()]

    # ----------------------------------------------------------------------- installing

    def _install_one(self, spec: ToolSpec, progress: Progress) -> Path:
        target = self.bin_dir / spec.file_name
        if os.access(target, os.X_OK):
            self._link(spec)
            return target
        go = find_go()
        if go is None:
            raise ToolError(
                f"cannot build {spec.name} {spec.version}: the Go toolchain is not installed "
                "(put `go` on PATH, https://go.dev/dl/)"
            )
        with self._lock(spec, progress):
            if os.access(target, os.X_OK):  # another process built it while we waited
                self._link(spec)
                return target
            progress(f"building {spec.name} {spec.version} into {self.bin_dir} ...")
            self.bin_dir.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", dir=self.root))
            try:
                built = self._build(go, spec, work, progress)
                os.chmod(built, 0o755)
                os.replace(built, target)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            self._link(spec)
            progress(f"built {target}")
        return target

    @contextlib.contextmanager
    def _lock(self, spec: ToolSpec, progress: Progress) -> Iterator[None]:
        locks = self.root / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        with open(locks / f"{spec.name}.lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                progress(f"waiting for another install of {spec.name} to finish ...")
                fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                # Holding the lock, any work folder of this tool is a killed build's leftover.
                for stale in self.root.glob(f".{spec.name}-*"):
                    shutil.rmtree(stale, ignore_errors=True)
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _build(self, go: Path, spec: ToolSpec, work: Path, progress: Progress) -> Path:
        ldflags = " ".join(("-s", "-w", *(f.format(version=spec.version) for f in spec.ldflags)))
        # The user's GOFLAGS stay (e.g. -modcacherw) except -mod=..., which breaks `go install`.
        flags = [f for f in os.environ.get("GOFLAGS", "").split() if not f.startswith("-mod=")]
        env = {**os.environ, "GOWORK": "off", "GOFLAGS": " ".join([*flags, "-buildvcs=false"])}
        out = work / spec.name
        if spec.method == "install":
            env["GOBIN"] = str(work)
            cmd = [str(go), "install", "-trimpath", f"-ldflags={ldflags}"]
            _run([*cmd, f"{spec.package}@{spec.version}"], work, env, spec)
            return out
        src = self._wrapper_module(spec)
        progress(f"resolving {spec.module} {spec.version} (go mod tidy in {src}) ...")
        _run([str(go), "mod", "tidy"], src, env, spec)
        cmd = [str(go), "build", "-trimpath", f"-ldflags={ldflags}", "-o", str(out), "."]
        _run(cmd, src, env, spec)
        return out

    def _wrapper_module(self, spec: ToolSpec) -> Path:
        """Write the wrapper module for ``spec`` into ``<cache>/src/<name>-<version>``."""
        if spec.wrapper is None:
            raise ToolError(f"{spec.name}: method 'wrapper' needs the wrapper's file name")
        src = self.root / "src" / spec.file_name
        src.mkdir(parents=True, exist_ok=True)
        values = {"VERSION": spec.version, **spec.template_vars}
        mod = self._gotools_text(f"{spec.wrapper}.mod.tmpl")
        for key, value in values.items():
            mod = mod.replace("{{" + key + "}}", value)
        if "{{" in mod:
            raise ToolError(f"{spec.name}: unfilled placeholder in {spec.wrapper}.mod.tmpl")
        # go.mod is rewritten from the template on every build (tidy then re-adds the indirect
        # requirements in seconds from the kept go.sum and the module cache).
        (src / "go.mod").write_text(mod, encoding="utf-8")
        (src / "main.go").write_text(self._gotools_text(f"{spec.wrapper}.go"), encoding="utf-8")
        return src

    def _gotools_text(self, file: str) -> str:
        if self._gotools_dir is not None:
            return (self._gotools_dir / file).read_text(encoding="utf-8")
        source = resources.files("kubesmith.tools.binaries").joinpath("gotools", file)
        return source.read_text("utf-8")

    def _link(self, spec: ToolSpec) -> None:
        """Point ``bin/<name>`` at the pinned build (best effort: the versioned file is the API)."""
        link = self.bin_dir / spec.name
        with contextlib.suppress(OSError):
            if link.is_symlink() and os.readlink(link) == spec.file_name:
                return
            tmp = self.bin_dir / f".{spec.name}.link-{os.getpid()}"
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(spec.file_name)
            os.replace(tmp, link)

    # ----------------------------------------------------------------------- status

    def _status_one(self, spec: ToolSpec) -> ToolStatus:
        cached = self.cached_path(spec.name)
        path = self.tool_path(spec.name)
        source = None if path is None else ("cache" if path == cached else "PATH")
        found = spec.version if source == "cache" else (read_version(path, spec) if path else None)
        ok = path is not None and found in (spec.version, None)
        note = ""
        if path is None:
            note = "missing" if spec.required else "missing (optional)"
        elif found is None:
            note = "version unknown"
        elif found != spec.version:
            note = f"found {found} on PATH, kubesmith pins {spec.version}"
        return ToolStatus(
            name=spec.name,
            version=spec.version,
            path=str(path) if path else None,
            found_version=found,
            ok=ok,
            required=spec.required,
            source=source,
            install_command=self.install_command(spec.name),
            purpose=spec.purpose,
            note=note,
        )


_VERSION = re.compile(r"v?\d+\.\d+\.\d+[\w.+-]*")


def read_version(binary: Path, spec: ToolSpec) -> str | None:
    """The version of ``spec.module`` a Go binary was built from (its embedded build info)."""
    go = find_go()
    if go is None:
        return None
    try:
        proc = subprocess.run(
            [str(go), "version", "-m", str(binary)],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in ("mod", "dep") and parts[1] == spec.module:
            match = _VERSION.fullmatch(parts[2])
            return match.group() if match else None
    return None


def _run(cmd: list[str], cwd: Path, env: Mapping[str, str], spec: ToolSpec) -> None:
    try:
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise ToolError(f"building {spec.name} timed out after {BUILD_TIMEOUT_S:.0f}s") from e
    except OSError as e:
        raise ToolError(f"cannot run {cmd[0]}: {e}") from e
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-30:])
        raise ToolError(
            f"building {spec.name} {spec.version} failed ({' '.join(cmd[1:3])}, "
            f"exit {proc.returncode}):\n{tail}"
        )


def _quiet(_message: str) -> None:
    """The default progress callback: say nothing."""


_DEFAULT: ToolCache | None = None


def default_cache() -> ToolCache:
    """The process-wide cache (re-read when ``KUBESMITH_TOOL_CACHE`` changes)."""
    global _DEFAULT  # noqa: PLW0603 - one lazily created instance per process
    root = default_cache_dir().resolve()
    if _DEFAULT is None or _DEFAULT.root != root:
        _DEFAULT = ToolCache(root)
    return _DEFAULT


def tool_path(name: str) -> Path | None:
    """The binary for ``name`` (cache first, then ``PATH``), or ``None``."""
    return default_cache().tool_path(name)


def ensure(name: str, progress: Progress | None = None, *, build: bool = True) -> Path:
    """The binary for ``name``, built into the cache when missing; see :meth:`ToolCache.ensure`."""
    return default_cache().ensure(name, progress, build=build)


def install(names: Iterable[str] | None = None, progress: Progress | None = None) -> list[Path]:
    """Build the named tools (default: the ones ``make test`` needs) into the cache."""
    return default_cache().install(names, progress)


def status() -> list[ToolStatus]:
    """Every known tool's :class:`ToolStatus`."""
    return default_cache().status()
