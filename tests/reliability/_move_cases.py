"""The raise-site cases of ``move_participant`` (``roomsim._raise_sites_move``), as
``test_raise_sites.Case`` arguments: (id, label, trigger, error, code, fix, setup).  The
destination ``dest`` is made on the world's clock by each setup; ``move.in_handler`` is
tested on its own (``tests/conformance/test_faults_move.py``)."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import attrs

from roomsim import (
    IllegalState,
    InvalidArgument,
    NotFound,
    ParticipantKind,
    Room,
    RoomClosed,
    RoomConfig,
    RoomFull,
    UnknownParticipant,
    scenario,
)
from tests.reliability._world import World

__all__ = ["MOVE_CASES", "MOVE_SPECIAL_IDS"]

IA, FP = "invalid_argument", "failed_precondition"
MOVE_SPECIAL_IDS = {"move.in_handler"}


def _dest(w: World, name: str = "dest", *, watch: bool = True, **config: Any) -> Room:
    """A room on the world's clock, which a refused move must leave as it was (``watch``:
    the test compares its snapshots; not for a closed room or another thread's)."""
    room = Room(name, clock=w.room.clock, config=RoomConfig(**config))
    if watch:
        w.others.append(room)
    return room


def _then(*steps: Callable[[World], object]) -> Callable[[World], None]:
    def run(w: World) -> None:
        for step in steps:
            step(w)

    return run


def _closed(w: World) -> None:
    _dest(w, watch=False).delete()


def _fork_without_bob(w: World) -> None:
    snap = w.room.snapshot()
    w.room = Room.from_snapshot(
        attrs.evolve(snap, clients=tuple(c for c in snap.clients if c.identity != "bob"))
    )
    _dest(w)


def _other_thread(w: World) -> None:
    """The destination belongs to another thread (it took the room over)."""
    t = threading.Thread(target=_dest(w, watch=False).take_over)
    t.start()
    t.join()


def _full(w: World) -> None:
    _dest(w, max_participants=1).connect("zed")


def _move(identity: str, to: str = "dest") -> Callable[[World], None]:
    return lambda w: w.room.move_participant(identity, to)


def _dump(w: World) -> None:
    scenario.dump(w.room, io.StringIO())


MOVE_CASES: list[tuple[Any, ...]] = [
    ("identity.unknown", "move", _move("nobody"), UnknownParticipant, "not_found", "present:"),
    ("move.same_room", "same room", _move("alice", "r"), InvalidArgument, IA, "name another room"),
    ("move.no_room", "another clock", _move("alice"), NotFound, "not_found", "clock=room.clock"),
    ("move.closed", "closed", _move("alice"), RoomClosed, "ROOM_CLOSED", "make a new Room"),
    ("move.ambiguous", "two named", _move("alice"), InvalidArgument, IA, "name them apart"),
    ("move.thread", "other thread", _move("alice"), IllegalState, FP, "room.take_over()"),
    ("move.reconnecting", "cut", _move("alice"), IllegalState, FP, "resume() it first"),
    ("move.reconnecting", "gave up", _move("alice"), IllegalState, FP, "connect it again"),
    ("move.held", "JOINED", _move("held"), IllegalState, FP, "activate() it first"),
    ("move.no_client", "fork", _move("bob"), IllegalState, FP, "connect it again"),
    ("move.full", "full", _move("alice"), RoomFull, "JOIN_FAILURE", "max_participants"),
    ("scenario.move", "moved", _dump, IllegalState, FP, "dump a room no participant was"),
]
_SETUPS: list[Callable[[World], object] | None] = [
    _dest,
    _dest,
    lambda w: Room("dest"),
    _closed,
    _then(_dest, _dest),
    _other_thread,
    _then(_dest, lambda w: w.room.interrupt("alice")),
    _then(_dest, lambda w: w.room.interrupt("alice"), lambda w: w.room.advance(44.3)),
    _then(_dest, lambda w: w.room.connect("held", kind=ParticipantKind.AGENT, active=False)),
    _fork_without_bob,
    _full,
    _then(_dest, _move("bob")),
]
MOVE_CASES = [(*case, setup) for case, setup in zip(MOVE_CASES, _SETUPS, strict=True)]
