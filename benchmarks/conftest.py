"""Options of the pytest-benchmark suite (``benchmarks/bench_workloads.py``)."""

from __future__ import annotations

import pytest

from benchmarks.workloads import WORKLOADS


def _ints(text: str) -> list[int]:
    return sorted({int(x) for x in text.replace(",", " ").split()})


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("roomsim benchmarks")
    group.addoption(
        "--bench-workloads",
        default=",".join(WORKLOADS),
        help=f"workloads, comma-separated (default: all: {', '.join(WORKLOADS)})",
    )
    group.addoption(
        "--bench-sizes", default="10,100,1000", help="room sizes N (default 10,100,1000)"
    )
    group.addoption("--bench-steps", type=int, default=1000, help="mutations per round (1000)")
    group.addoption("--bench-rounds", type=int, default=5, help="timed rounds per side (5)")
    group.addoption("--bench-seed", type=int, default=0, help="workload seed (0)")
    group.addoption(
        "--bench-no-sdk",
        action="store_true",
        help="skip the livekit.rtc side (else: when installed)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "workload" not in metafunc.fixturenames:
        return
    opt = metafunc.config.getoption
    workloads = [w for w in str(opt("bench_workloads")).split(",") if w]
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        raise pytest.UsageError(
            f"--bench-workloads: no workload {unknown}; known: {list(WORKLOADS)}"
        )
    metafunc.parametrize("workload", workloads)
    metafunc.parametrize("n", _ints(str(opt("bench_sizes"))), ids=lambda n: f"N={n}")
