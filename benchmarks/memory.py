"""Peak memory of one workload at one size, measured on its own (``tracemalloc`` slows the
timed runs, so the runner starts this in a fresh process per figure).

    python -m benchmarks.memory town_hall 10000 --seed 0 --steps 1000

prints one JSON object: the peak traced Python memory while building (``build_peak_mb``), the
traced memory held by the built room (``built_mb``), the peak over one chunk of ``steps``
mutations after it (``run_peak_mb``) and the process's peak RSS (``max_rss_mb``, Linux).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import tracemalloc
from typing import Any

from benchmarks.workloads import WORKLOADS
from roomsim import Room

__all__ = ["probe", "main"]

_MB = 1024 * 1024


def probe(
    workload: str, n: int, *, seed: int = 0, observers: int = 1, steps: int = 100
) -> dict[str, Any]:
    """Build one room under ``tracemalloc``, then run one chunk; the peaks in MB."""
    gen = WORKLOADS[workload](n, seed, observers)
    build = gen.build()
    chunk = gen.chunk(steps)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        room = Room(workload, config=gen.config(), keep_log=False)
        for m in build:
            room.apply(m)
        built, peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for m in chunk:
            room.apply(m)
        run_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "workload": workload,
        "n": n,
        "build_peak_mb": round((peak - base) / _MB, 2),
        "built_mb": round((built - base) / _MB, 2),
        "run_peak_mb": round((run_peak - base) / _MB, 2),
        # ru_maxrss is in KiB on Linux, bytes on macOS
        "max_rss_mb": round(rss / (_MB if sys.platform == "darwin" else 1024), 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: print one probe as JSON."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__)
    p.add_argument("workload", choices=sorted(WORKLOADS))
    p.add_argument("n", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--observers", type=int, default=1)
    p.add_argument("--steps", type=int, default=100)
    a = p.parse_args(argv)
    out = probe(a.workload, a.n, seed=a.seed, observers=a.observers, steps=a.steps)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
