"""One workload at one size, ready to time on each side: roomsim, the dict floor, livekit.rtc.

``Sides(workload, n, chunks=K)`` builds the room (one counting handler per observer), the floor
and, when asked, the SDK peer with its ``K`` recorded chunks of ``RoomEvent`` protos (untimed;
see ``benchmarks/sdk.py``); then ``run(variant, k)`` applies chunk ``k`` on that side and
returns the events its observer handled.  Chunks are applied in order (a workload's chunks
depend on the ones before), each side keeps its own state, so the three sides of one ``Sides``
can be timed in any interleaving.  Nothing here times anything: the harnesses do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from benchmarks import sdk as sdk_peer
from benchmarks.floor import FloorRoom
from benchmarks.workloads import WORKLOADS
from roomsim import Room
from roomsim import mutations as M

__all__ = ["VARIANTS", "Sides", "build_room"]

#: the sides, in the order the tables show them
VARIANTS: Final = ("roomsim", "floor", "sdk")


def build_room(gen: Any, build: Sequence[M.Mutation]) -> Room:
    """A room set up by ``build`` (no log kept, as in a soak)."""
    room = Room(gen.name, config=gen.config(), keep_log=False)
    apply = room.apply
    for m in build:
        apply(m)
    return room


def counter() -> tuple[list[int], Callable[..., None]]:
    """A cell and a handler that counts its calls in it."""
    cell = [0]

    def handler(*args: Any) -> None:
        cell[0] += 1

    return cell, handler


class Sides:
    """The three sides of one workload at one size, and ``chunks`` chunks of ``steps``."""

    def __init__(
        self,
        workload: str,
        n: int,
        *,
        seed: int = 0,
        steps: int = 1000,
        chunks: int = 1,
        observers: int = 1,
        sdk: bool = False,
    ) -> None:
        self.workload, self.n = workload, n
        gen = WORKLOADS[workload](n, seed, observers)
        build = gen.build()
        self.chunks: list[list[M.Mutation]] = [gen.chunk(steps) for _ in range(chunks)]
        self.room = build_room(gen, build)
        self.cells: list[list[int]] = []
        for ident in gen.observers:
            cell, handler = counter()
            self.cells.append(cell)
            client = self.room.clients[ident]
            for name in sdk_peer.FED_EVENT_NAMES:
                client.on(name, handler)
            client.drain()
        self._observers = gen.observers
        self.floor_cell, floor_handler = counter()
        self.floor = FloorRoom(gen.observers[0], floor_handler)
        for m in build:
            self.floor.apply(m)
        self.peer: sdk_peer.SdkPeer | None = None
        self.protos: list[list[Any]] = []
        if sdk:
            rec = build_room(gen, build)
            self.peer = sdk_peer.SdkPeer(rec.clients[gen.observers[0]])
            self.protos = [self.peer.record(rec, c) for c in self.chunks]
            self.peer.ready()

    @property
    def variants(self) -> tuple[str, ...]:
        return VARIANTS if self.peer is not None else VARIANTS[:2]

    def runner(self, variant: str, k: int) -> Callable[[], None]:
        """A function applying chunk ``k`` on one side (what a harness times)."""
        if variant == "roomsim":
            apply, chunk = self.room.apply, self.chunks[k]

            def run_roomsim() -> None:
                for m in chunk:
                    apply(m)

            return run_roomsim
        if variant == "floor":
            fapply, chunk = self.floor.apply, self.chunks[k]

            def run_floor() -> None:
                for m in chunk:
                    fapply(m)

            return run_floor
        if variant == "sdk" and self.peer is not None:
            feed, protos = self.peer.feeder(), self.protos[k]

            def run_sdk() -> None:
                for e in protos:
                    feed(e)

            return run_sdk
        raise ValueError(f"no side {variant!r} here (sides: {', '.join(self.variants)})")

    def count(self, variant: str) -> int:
        """Events the side's observer handled so far (the first observer for roomsim)."""
        if variant == "roomsim":
            return self.cells[0][0]
        if variant == "floor":
            return self.floor_cell[0]
        return self.peer.count if self.peer is not None else 0

    def drain(self) -> None:
        """Read the observers' buffered events (kept for ``next_event()``), untimed."""
        for ident in self._observers:
            self.room.clients[ident].drain()
