"""Forking (replay issue): ``Room.from_snapshot(room.snapshot())`` is the same room: the fork
and the original give the same events and state for the same mutations."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from roomsim import Room, RoomsimError
from roomsim import mutations as M
from roomsim.testing import check_invariants
from tests.property._actions import mutation


def _apply(room: Room, m: M.Mutation) -> type[RoomsimError] | None:
    try:
        room.apply(m)
    except RoomsimError as e:
        return type(e)
    return None


@given(st.data())
def test_a_fork_behaves_like_its_original(data: st.DataObject) -> None:
    room = Room("r")
    for _ in range(data.draw(st.integers(0, 20))):
        _apply(room, mutation(data, room))
        if data.draw(st.integers(0, 4)) == 0:
            room.apply(M.Advance(dt=data.draw(st.sampled_from([0.1, 0.4, 5.0, 30.0]))))
    snap = room.snapshot()
    fork = Room.from_snapshot(snap)
    assert fork.snapshot() == snap
    check_invariants(fork)
    for _ in range(data.draw(st.integers(1, 20))):
        m = mutation(data, room)
        if data.draw(st.integers(0, 4)) == 0:
            m = M.Advance(dt=data.draw(st.sampled_from([0.4, 5.0, 25.0])))
        assert _apply(room, m) == _apply(fork, m)
        assert [tuple(c.drain()) for c in room.all_clients] == [
            tuple(c.drain()) for c in fork.all_clients
        ]
    assert room.snapshot() == fork.snapshot()
    check_invariants(fork)
