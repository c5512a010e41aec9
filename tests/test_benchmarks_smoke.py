"""Every benchmark workload runs at a small size, so none rots (the figures are not checked:
timings are measured by ``python -m benchmarks``, never asserted in a test)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import runner, sdk
from benchmarks.floor import FloorRoom
from benchmarks.memory import probe
from benchmarks.plot import figure
from benchmarks.workloads import WORKLOADS

HAS_LIVEKIT = importlib.util.find_spec("livekit") is not None


@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_workload_runs_and_the_floor_agrees(workload: str) -> None:
    gen = WORKLOADS[workload](6, seed=1)
    build = gen.build()
    room = runner.build_room(gen, build)
    seen: list[object] = []
    floor = FloorRoom(gen.observers[0], lambda *args: seen.append(args))
    for m in build:
        floor.apply(m)
    for _ in range(3):
        chunk = gen.chunk(40)
        assert len(chunk) >= 40
        for m in chunk:
            room.apply(m)
            floor.apply(m)
    # the floor made the same state changes
    assert list(floor.participants) == list(room.participants)
    assert floor.attributes() == {k: dict(p.attributes) for k, p in room.participants.items()}
    tracks = {k: sorted(p.track_publications) for k, p in room.participants.items()}
    assert {k: sorted(p.tracks) for k, p in floor.participants.items()} == tracks


def test_workloads_are_deterministic() -> None:
    for cls in WORKLOADS.values():
        a, b = cls(8, seed=3), cls(8, seed=3)
        assert a.build() == b.build()
        assert a.chunk(30) == b.chunk(30)


@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_measure_small(workload: str) -> None:
    figs = runner.measure(workload, [5, 8], repeat=1, steps=30, sdk=False)
    assert [f.n for f in figs] == [5, 8]
    for f in figs:
        row = f.row()
        assert row["us_per_mutation_median"] > 0
        assert row["mutations"] >= 30
        assert row["vs_floor_median"] is not None
        assert row["vs_sdk_median"] is None
    assert figs[0].scale == [1.0]


@pytest.mark.skipif(not HAS_LIVEKIT, reason="the livekit extra is not installed")
@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_sdk_peer_gets_the_same_stream(workload: str) -> None:
    assert sdk.unavailable() is None
    (f,) = runner.measure(workload, [6], repeat=1, steps=40, sdk=True)
    row = f.row()
    assert row["sdk_events_match"] is True
    assert row["vs_sdk_median"] is not None


def test_sdk_unavailable_says_why() -> None:
    why = sdk.unavailable()
    if HAS_LIVEKIT:
        assert why is None
    else:
        assert why is not None and why.startswith("livekit.rtc comparison skipped")


def test_memory_probe_in_process() -> None:
    out = probe("town_hall", 5, steps=20)
    assert out["build_peak_mb"] >= out["built_mb"] > 0


def test_cli_writes_table_csv_json_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--sizes", "4", "6", "--repeat", "1", "--steps", "20", "--no-sdk"]
    argv += ["--out", str(tmp_path), "--name", "smoke", "--no-progress", "--note", "smoke"]
    argv += ["--workload", "attribute_storm", "churn"]
    assert runner.main(argv) == 0
    out = capsys.readouterr().out
    assert "attribute_storm" in out and "us/mutation" in out
    data = json.loads((tmp_path / "smoke.json").read_text())
    assert data["machine"]["cores"] and data["machine"]["python"]
    assert data["note"] == "smoke"
    assert [(r["workload"], r["n"]) for r in data["rows"]] == [
        ("attribute_storm", 4),
        ("attribute_storm", 6),
        ("churn", 4),
        ("churn", 6),
    ]
    csv_lines = (tmp_path / "smoke.csv").read_text().splitlines()
    assert csv_lines[0].startswith("workload,n,") and len(csv_lines) == 5
    assert "<svg" in (tmp_path / "smoke.svg").read_text()


def test_targets_and_plot_from_rows() -> None:
    rows = [
        {
            "workload": "town_hall",
            "n": n,
            "build_s_median": 1.0,
            "build_peak_mb": 100.0,
            "scale_median": s,
            "us_per_mutation_median": 10.0,
            "us_per_mutation_min": 9.0,
            "us_per_mutation_max": 12.0,
            "floor_us_per_mutation_median": 1.0,
            "vs_sdk_median": None,
        }
        for n, s in ((10, 1.0), (10_000, 2.0))
    ]
    got = {t["target"]: t["met"] for t in runner.targets(rows)}
    assert got["town_hall: cost per mutation N=10,000 / N=10"] is False
    assert got["town_hall N=10,000 build time"] is True
    assert got["town_hall N=10,000 build peak memory"] is True
    fig = figure({"rows": rows, "machine": {}})
    (ax,) = fig.axes
    assert ax.get_xscale() == ax.get_yscale() == "log"
    drawn = {a.get_gid() for a in fig.findobj() if a.get_gid()}
    assert {"town_hall:roomsim", "town_hall:floor"} <= drawn
    assert "town_hall:sdk" not in drawn  # no SDK figures in these rows


def test_the_pytest_benchmark_suite_runs_every_side_once(tmp_path: Path) -> None:
    """``benchmarks/bench_workloads.py`` with ``--benchmark-disable``: each benchmark body
    runs once, untimed, so the suite cannot rot."""
    suite = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_workloads.py"
    cmd = [sys.executable, "-m", "pytest", str(suite), "-q", "-p", "no:xdist"]
    cmd += ["-p", "no:cacheprovider", "--benchmark-disable", "--bench-sizes", "4,6"]
    cmd += ["--bench-steps", "20", "--bench-rounds", "1", "--rootdir", str(suite.parent.parent)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    sides = 3 if HAS_LIVEKIT else 2
    assert f"{len(WORKLOADS) * 2 * sides} passed" in done.stdout


def test_small_room_build_phases_and_profile(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import small_room

    room = small_room.build()
    assert sorted(room.participants) == ["alice", "bob", "carol"]
    assert all(not c.drain() for c in room.clients.values())  # every client was drained
    assert len(small_room.measure(2, 1, "cpu")) == 1
    phases = small_room.measure_phases(2, 1)
    assert list(phases) == list(small_room.PHASES) and all(len(v) == 1 for v in phases.values())
    assert small_room.main(["--builds", "2", "--repeat", "1", "--phases"]) == 0
    assert small_room.main(["--builds", "2", "--profile"]) == 0
    out = capsys.readouterr().out
    assert "3 drains" in out and "Python calls per build" in out
