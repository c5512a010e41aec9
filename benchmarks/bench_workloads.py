"""The workloads through pytest-benchmark: each side of each workload at each size.

    pytest benchmarks/bench_workloads.py                       # time, print the tables
    pytest benchmarks/bench_workloads.py --benchmark-save=NAME # ... and store the run
    pytest benchmarks/bench_workloads.py --benchmark-compare   # ... against the last stored run

(docs/performance.md says why pytest-benchmark and how to compare with the stored baseline.)
One benchmark is one side (``roomsim``, the dict ``floor``, ``sdk`` = livekit.rtc applying the
same stream) of one workload at one size; a round applies one chunk of ``--bench-steps``
mutations (a round's time / steps = the cost per mutation).  The three sides of a workload and
size form one group, so the table shows them side by side, each with its ratio to the fastest
in parentheses.  The room, the floor and the SDK peer are built once per workload and size
(``benchmarks.sides``), untimed; before each round the observers' buffered events are read and
``gc.collect()`` + ``gc.freeze()`` run, as in ``python -m benchmarks``.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

from benchmarks import sdk as sdk_peer
from benchmarks.sides import VARIANTS, Sides

_built: dict[tuple[str, int], Sides] = {}


def _sides(config: pytest.Config, workload: str, n: int) -> Sides:
    """The sides of ``workload`` at ``n``: one at a time is kept (the sides run one after
    another: ``side`` is the innermost parameter)."""
    if (workload, n) not in _built:
        _built.clear()
        gc.unfreeze()
        gc.collect()
        sdk = not config.getoption("bench_no_sdk") and sdk_peer.unavailable() is None
        rounds = config.getoption("bench_rounds")
        _built[workload, n] = Sides(
            workload,
            n,
            seed=config.getoption("bench_seed"),
            steps=config.getoption("bench_steps"),
            chunks=rounds + 1,  # + the warm-up round
            sdk=sdk,
        )
    return _built[workload, n]


@pytest.mark.parametrize("side", VARIANTS)
def test_side(
    benchmark: Any, request: pytest.FixtureRequest, workload: str, n: int, side: str
) -> None:
    sides = _sides(request.config, workload, n)
    if side not in sides.variants:
        pytest.skip(sdk_peer.unavailable() or "the livekit.rtc side is off (--bench-no-sdk)")
    rounds: int = request.config.getoption("bench_rounds")
    chunks = iter(range(len(sides.chunks)))
    before = sides.count(side)

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        sides.drain()
        gc.collect()
        gc.freeze()
        return (sides.runner(side, next(chunks)),), {}

    benchmark.group = f"{workload} N={n}"
    benchmark.name = f"{workload} N={n} {side}"
    benchmark.extra_info.update(
        workload=workload, n=n, side=side, mutations_per_round=len(sides.chunks[0])
    )
    benchmark.pedantic(lambda run: run(), setup=setup, rounds=rounds, warmup_rounds=1)
    benchmark.extra_info["events"] = sides.count(side) - before
    assert sides.count(side) > before, "the side handled no event: nothing was measured"
