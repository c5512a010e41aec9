"""Moves mixed into random two-room histories (faults §5.1): every invariant holds in both
rooms, a refused move changes neither, and the events are the same whether each client is
read lazily or delivered to handlers (design §1)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from roomsim import ManualClock, Permission, Room, RoomsimError, TrackKind, TrackSource
from roomsim import mutations as M
from roomsim.events import ALL_EVENTS
from roomsim.testing import check_invariants

PEOPLE = ("alice", "bob", "carol", "dave")
ROOMS = ("lobby", "stage")
MIC = (TrackKind.AUDIO, TrackSource.MICROPHONE)

_connect = st.tuples(
    st.just("connect"),
    st.sampled_from(PEOPLE),
    st.sampled_from(ROOMS),
    st.sampled_from(["python", "js"]),
    st.booleans(),  # hidden
)
_move = st.tuples(st.just("move"), st.integers(0, 7), st.just(""))
_step = st.one_of(
    _connect,
    _connect,
    _move,
    _move,
    st.tuples(st.just("publish"), st.integers(0, 3), st.sampled_from(ROOMS)),
    st.tuples(st.just("leave"), st.integers(0, 3), st.sampled_from(ROOMS)),
    st.tuples(st.just("metadata"), st.sampled_from(ROOMS), st.sampled_from(["", "m", "n"])),
    st.tuples(st.just("cut"), st.integers(0, 3), st.sampled_from(ROOMS)),
    st.tuples(st.just("advance"), st.sampled_from([0.5, 3.0, 25.0])),
)


def _who(room: Room, k: int) -> str:
    """The k-th current client of ``room`` (a step about someone who is there), or a name
    nobody has when the room is empty (the verb refuses it)."""
    names = list(room.clients)
    return names[k % len(names)] if names else "nobody"


def _play(steps: list[tuple[Any, ...]], *, eager: bool) -> tuple[dict[str, Room], list[Any]]:
    clock = ManualClock()
    rooms = {name: Room(name, clock=clock) for name in ROOMS}
    clients: list[Any] = []
    for step in steps:
        kind = step[0]
        with suppress(RoomsimError):
            if kind == "connect":
                _, who, where, sdk, hidden = step
                c = rooms[where].connect(who, sdk=sdk, permission=Permission(hidden=hidden))
                if eager:
                    for cls in ALL_EVENTS:
                        c.on(cls.name, lambda e: None)
                clients.append(c)
            elif kind == "publish":
                room = rooms[step[2]]
                room.clients[_who(room, step[1])].publish_track(*MIC)
            elif kind == "move":
                # the k-th client of either room, to the other room
                here = [(n, i) for n in ROOMS if not rooms[n].closed for i in rooms[n].clients]
                source, who = here[step[1] % len(here)] if here else ("lobby", "nobody")
                other = next(r for r in ROOMS if r != source)
                room = rooms[source]
                before = (room.snapshot(), rooms[other].snapshot())
                try:
                    room.move_participant(who, other)
                except RoomsimError:
                    assert (room.snapshot(), rooms[other].snapshot()) == before
            elif kind == "leave":
                room = rooms[step[2]]
                room.clients[_who(room, step[1])].disconnect()
            elif kind == "metadata":
                rooms[step[1]].update_room_metadata(step[2])
            elif kind == "cut":
                room = rooms[step[2]]
                room.interrupt(_who(room, step[1]), resume_after=1.0)
            else:
                clock.advance(step[1])
        for room in rooms.values():
            if not room.closed:
                check_invariants(room)
    return rooms, clients


@settings(max_examples=80, deadline=None)
@given(st.lists(_step, min_size=10, max_size=30))
def test_moves_keep_every_invariant_and_lazy_equals_eager(steps: list[tuple[Any, ...]]) -> None:
    rooms, lazy = _play(steps, eager=False)
    moves = sum(type(m) is M.MoveParticipant for r in rooms.values() for m in r.log)
    event(f"moves logged: {min(moves, 4)}{'+' if moves >= 4 else ''}")
    _, eager = _play(steps, eager=True)
    assert [(c.identity, c.sid, tuple(c.events)) for c in lazy] == [
        (c.identity, c.sid, tuple(c.events)) for c in eager
    ]
