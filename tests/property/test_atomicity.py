"""Atomicity (design §1): a mutation that raises leaves the room, its log and every client
exactly as they were, and the room stays usable."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from roomsim import HandlerError, Room, RoomsimError
from roomsim.testing import check_invariants
from tests.property._actions import mutation


@given(st.data())
def test_a_refused_mutation_changes_nothing(data: st.DataObject) -> None:
    room = Room("r")
    for _ in range(data.draw(st.integers(1, 30))):
        m = mutation(data, room)
        before = room.snapshot()
        try:
            room.apply(m)
        except HandlerError:  # pragma: no cover - no handlers here
            raise
        except RoomsimError:
            assert room.snapshot() == before
        check_invariants(room)
