"""Run every ``bench_*`` module (or those named on the command line) and print their results.

Each module's ``run()`` returns a dict of measured figures; they are merged into
``.bench/results.json`` (one entry per benchmark, the latest run) so numbers quoted in the README
can be traced to a run.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

import benchmarks


def main(argv: list[str]) -> int:
    names = argv or sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    )
    results: dict[str, object] = {}
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        figures = module.run()
        figures["_wall_s"] = round(time.perf_counter() - started, 2)
        results[name] = figures
        print(json.dumps(figures, indent=2), flush=True)
    out = Path(".bench")
    out.mkdir(exist_ok=True)
    target = out / "results.json"
    # Running one benchmark updates its entry and keeps the others' last results.
    previous = json.loads(target.read_text()) if target.exists() else {}
    target.write_text(json.dumps({**previous, **results}, indent=2) + "\n")
    print(f"results written to {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
