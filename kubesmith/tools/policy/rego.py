"""Rego policies through conftest, for teams that already have them (``policy.rego_folders``).

conftest is optional (built into the tool cache by ``kubesmith tools install conftest``). When it
is missing, one info finding says so instead of silently passing. Each manifest is written to a
temporary JSON file named after its position, so conftest's per-file results map back to the
manifest; ``deny``/``violation`` become errors and ``warn`` becomes warnings (conftest's
``exceptions`` are rules a policy deliberately waived, not problems).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kubesmith.model import Finding, Manifest, Severity

TIMEOUT_S = 120


class RegoValidator:
    """Runs ``conftest test`` with the given policy folders over the manifests."""

    name = "policy"

    def __init__(self, folders: Sequence[str], root: Path, binary: Path | None = None) -> None:
        self.folders = [root / f for f in folders]
        self.root = root
        self._binary = binary

    def _conftest(self) -> Path | None:
        if self._binary is not None:
            return self._binary
        from kubesmith.tools.binaries.cache import tool_path

        return tool_path("conftest")

    def validate(self, manifests: Sequence[Manifest]) -> list[Finding]:
        """Findings from every Rego rule that denies or warns about a manifest."""
        binary = self._conftest()
        if binary is None:
            return [
                Finding(self.name, "info", "Rego folders are configured but conftest is not "
                        "installed (kubesmith tools install conftest); Rego policies not evaluated",
                        rule="rego")
            ]  # fmt: skip
        missing = [str(f) for f in self.folders if not f.is_dir()]
        if missing:
            return [Finding(self.name, "error", f"Rego folder not found: {', '.join(missing)}",
                            rule="rego")]  # fmt: skip
        if not manifests:
            return []
        with tempfile.TemporaryDirectory(prefix="kubesmith-rego-") as tmp:
            files = []
            for i, m in enumerate(manifests):
                path = Path(tmp) / f"{i:06d}.json"
                path.write_text(json.dumps(m.obj, default=str), encoding="utf-8")
                files.append(str(path))
            cmd = [str(binary), "test", "--output", "json", "--no-color", "--all-namespaces"]
            for folder in self.folders:
                cmd += ["--policy", str(folder)]
            try:
                proc = subprocess.run(
                    [*cmd, *files], capture_output=True, text=True, timeout=TIMEOUT_S, check=False
                )
            except (OSError, subprocess.TimeoutExpired) as e:
                return [Finding(self.name, "error", f"conftest failed to run: {e}", rule="rego")]
        try:
            results = json.loads(proc.stdout or "[]")
        except json.JSONDecodeError:
            detail = (proc.stderr or proc.stdout).strip()[:500]
            return [Finding(self.name, "error", f"conftest failed: {detail}", rule="rego")]
        return self._findings(results, manifests)

    def _findings(
        self, results: list[dict[str, Any]], manifests: Sequence[Manifest]
    ) -> list[Finding]:
        out: list[Finding] = []
        for result in results:
            try:
                m = manifests[int(Path(str(result.get("filename", ""))).stem)]
            except (ValueError, IndexError):
                continue
            namespace = str(result.get("namespace") or "main")
            groups: tuple[tuple[str, Severity], ...] = (
                ("failures", "error"),
                ("warnings", "warning"),
            )
            for key, severity in groups:
                for item in result.get(key) or []:
                    msg = str(item.get("msg", "")) if isinstance(item, dict) else str(item)
                    out.append(
                        Finding(self.name, severity, msg, m.file, m.line, ref=m.ref,
                                rule=f"rego:{namespace}")
                    )  # fmt: skip
        return out
