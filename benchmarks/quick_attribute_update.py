"""Quick figure for the core issue: cost of one attribute update with one observing client that
has a handler, in a room of 2 clients and in a room of 10,000 clients (both measured in the
same run, alternating, so machine noise hits both alike).

    python -m benchmarks.quick_attribute_update [--no-freeze]
"""

from __future__ import annotations

import gc
import statistics
import sys
import time

from roomsim import Permission, Room
from roomsim.events import Event


def build(extra: int) -> tuple[Room, list[int]]:
    room = Room("bench", keep_log=False)
    actor = room.connect("actor", permission=Permission(can_update_metadata=True))
    observer = room.connect("observer", keep_events=False)
    seen = [0]

    def handler(e: Event) -> None:
        seen[0] += 1

    observer.on("participant_attributes_changed", handler)
    for i in range(extra):
        room.connect(f"p{i}", keep_events=False)
    observer.drain()
    actor.set_attributes({"warm": "up"})
    return room, seen


def per_update(room: Room, n: int) -> float:
    actor = room.clients["actor"]
    observer = room.clients["observer"]
    t0 = time.perf_counter()
    for i in range(n):
        actor.set_attributes({"k": str(i & 7)})
    dt = time.perf_counter() - t0
    observer.drain()
    return dt / n


def main(n: int = 20_000, repeats: int = 7, freeze: bool = True) -> None:
    small, _ = build(0)
    big, _ = build(10_000)
    if freeze:
        # the rooms are built: keep CPython's cyclic GC from re-walking 10,000 live clients
        # on every full collection (a cost proportional to the heap, not to roomsim's work)
        gc.collect()
        gc.freeze()
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeats):
        a.append(per_update(small, n))
        b.append(per_update(big, n))
    ratios = [y / x for x, y in zip(a, b, strict=True)]
    us = 1e6
    print(f"updates per repetition: {n}, repetitions: {repeats}")
    print(
        f"2 clients:      min {min(a) * us:.2f} us  median {statistics.median(a) * us:.2f} us"
        f"  max {max(a) * us:.2f} us"
    )
    print(
        f"10,002 clients: min {min(b) * us:.2f} us  median {statistics.median(b) * us:.2f} us"
        f"  max {max(b) * us:.2f} us"
    )
    print(
        f"ratio big/small: min {min(ratios):.2f}  median {statistics.median(ratios):.2f}"
        f"  max {max(ratios):.2f}"
    )


if __name__ == "__main__":
    main(freeze="--no-freeze" not in sys.argv)
