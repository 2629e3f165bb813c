"""Foundation benchmarks: workspace loading at 500/5,000/20,000 resources, and a whole
`kubesmith propose "scale X to 3" --planner offline --no-pr` on 5,000 resources (goal < 2 s).

The propose figure is the wall time of the real command in a fresh process (interpreter start,
imports, loading from git objects, planning, validation, commit): the first run (cold: every
file parsed) and the best and median of three more (warm: parsed files cached by blob id).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.generate import generate_repo
from kubesmith.config import Settings
from kubesmith.workspace import GitTreeSource, Workspace

KUBESMITH = str(Path(sys.executable).with_name("kubesmith"))


def _best(samples: list[float]) -> float:
    return round(min(samples), 3)


def run() -> dict[str, object]:
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="kubesmith-bench-") as tmp:
        for n in (500, 5_000, 20_000):
            repo = generate_repo(Path(tmp) / f"r{n}", n)
            dir_times, git_times = [], []
            for _ in range(3):
                t = time.perf_counter()
                ws = Workspace.load(repo, Settings())
                dir_times.append(time.perf_counter() - t)
                t = time.perf_counter()
                Workspace.load(repo, Settings(), GitTreeSource(repo, "HEAD"))
                git_times.append(time.perf_counter() - t)
            assert len(ws.resources) == n
            results[f"load_dir_{n}_s"] = _best(dir_times)
            results[f"load_git_{n}_s"] = _best(git_times)
            results[f"load_per_1000_resources_ms_{n}"] = round(1000 * min(dir_times) / n * 1000, 1)
        repo = Path(tmp) / "r5000"
        walls = []
        for i in range(4):
            t = time.perf_counter()
            proc = subprocess.run(
                [KUBESMITH, "propose", f"scale svc-{100 + i} to 3", "--planner", "offline",
                 "--no-pr", "--repo", str(repo), "-o", "json"],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            walls.append(time.perf_counter() - t)
            if proc.returncode != 0:
                raise RuntimeError(f"propose failed: {proc.stderr}")
        # The first run parses every file (empty parse cache); later runs reuse the cache.
        results["propose_5000_cold_wall_s"] = round(walls[0], 3)
        results["propose_5000_warm_wall_s_best"] = _best(walls[1:])
        results["propose_5000_warm_wall_s_median"] = round(statistics.median(walls[1:]), 3)
        results["propose_goal_s"] = 2.0
    return results
