"""The small-room build: what a property-based test pays per example before its own code runs.

One build is a new ``Room``, three clients (the first may update its metadata), a microphone and
a camera published by the first, one attribute change, and every client drained — through
public names only, so the same script times any version of roomsim (issue 21, "cheap rooms").

    python -m benchmarks.small_room [--builds 2000] [--repeat 7] [--timer cpu]
    python -m benchmarks.small_room --phases     # the build's steps, each timed over many rooms
    python -m benchmarks.small_room --profile    # cProfile: Python calls per build, the top ones
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import time
from collections.abc import Callable, Sequence

from roomsim import Permission, Room, TrackKind, TrackSource

TIMERS = {"wall": time.perf_counter, "cpu": time.process_time}


def build() -> Room:
    """One small room, built and drained."""
    room = Room("example")
    alice = room.connect("alice", permission=Permission(can_update_metadata=True))
    bob = room.connect("bob")
    carol = room.connect("carol")
    alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    alice.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
    alice.set_attributes({"role": "host"})
    for client in (alice, bob, carol):
        client.drain()
    return room


def measure(builds: int, repeat: int, timer: str = "wall") -> list[float]:
    """Microseconds per build, one figure per repetition (after one warm-up repetition)."""
    clock = TIMERS[timer]
    out: list[float] = []
    for rep in range(repeat + 1):
        gc.collect()
        t0 = clock()
        for _ in range(builds):
            build()
        per = (clock() - t0) / builds * 1e6
        if rep:
            out.append(per)
    return out


PHASES = ("Room()", "3 connects", "2 publishes", "attribute", "3 drains")


def measure_phases(builds: int, repeat: int, timer: str = "cpu") -> dict[str, list[float]]:
    """Microseconds per room of each step of ``build``, each step timed over ``builds`` rooms
    at once (the garbage collector off while timing, so that its pauses land in no step)."""
    clock = TIMERS[timer]
    out: dict[str, list[float]] = {p: [] for p in PHASES}
    for rep in range(repeat + 1):
        gc.collect()
        gc.disable()
        try:
            marks = [clock()]
            rooms = [Room("example") for _ in range(builds)]
            marks.append(clock())
            trios = [
                (
                    r.connect("alice", permission=Permission(can_update_metadata=True)),
                    r.connect("bob"),
                    r.connect("carol"),
                )
                for r in rooms
            ]
            marks.append(clock())
            for alice, _, _ in trios:
                alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
                alice.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
            marks.append(clock())
            for alice, _, _ in trios:
                alice.set_attributes({"role": "host"})
            marks.append(clock())
            for trio in trios:
                for client in trio:
                    client.drain()
            marks.append(clock())
        finally:
            gc.enable()
        if rep:
            for name, t0, t1 in zip(PHASES, marks, marks[1:], strict=False):
                out[name].append((t1 - t0) / builds * 1e6)
    return out


def profile(builds: int, top: int = 15, out: Callable[[str], None] = print) -> None:
    """Python calls per build, and the functions with the most time of their own."""
    for _ in range(50):
        build()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(builds):
        build()
    prof.disable()
    stats = pstats.Stats(prof)
    out(f"{stats.total_calls / builds:.0f} Python calls per build")  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.small_room", description=__doc__)
    p.add_argument("--builds", type=int, default=2000, help="builds per repetition")
    p.add_argument("--repeat", type=int, default=7, help="timed repetitions (+1 warm-up)")
    p.add_argument("--timer", choices=list(TIMERS), default="wall")
    p.add_argument("--phases", action="store_true", help="time each step of the build")
    p.add_argument("--profile", action="store_true", help="profile the build (cProfile)")
    a = p.parse_args(argv)
    if a.profile:
        profile(a.builds)
        return 0
    if a.phases:
        for name, figs in measure_phases(a.builds, a.repeat, a.timer).items():
            print(
                f"{name:>12} ({a.timer} time, gc off): min {min(figs):.1f} us, "
                f"median {statistics.median(figs):.1f} us, max {max(figs):.1f} us"
            )
        return 0
    figures = measure(a.builds, a.repeat, a.timer)
    print(
        f"small-room build ({a.timer} time): min {min(figures):.1f} us, "
        f"median {statistics.median(figures):.1f} us, max {max(figures):.1f} us "
        f"({a.builds} builds x {a.repeat} repetitions)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
