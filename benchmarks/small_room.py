"""The small-room build: what a property-based test pays per example before its own code runs.

One build is a new ``Room``, three clients (the first may update its metadata), a microphone and
a camera published by the first, one attribute change, and every client drained — through
public names only, so the same script times any version of roomsim (issue 21, "cheap rooms").

    python -m benchmarks.small_room [--builds 2000] [--repeat 7] [--timer cpu]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Sequence

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


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.small_room", description=__doc__)
    p.add_argument("--builds", type=int, default=2000, help="builds per repetition")
    p.add_argument("--repeat", type=int, default=7, help="timed repetitions (+1 warm-up)")
    p.add_argument("--timer", choices=list(TIMERS), default="wall")
    a = p.parse_args(argv)
    figures = measure(a.builds, a.repeat, a.timer)
    print(
        f"small-room build ({a.timer} time): min {min(figures):.1f} us, "
        f"median {statistics.median(figures):.1f} us, max {max(figures):.1f} us "
        f"({a.builds} builds x {a.repeat} repetitions)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
