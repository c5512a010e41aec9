"""``clock.advance(dt)``: time moves for every room on the clock, as ``room.advance`` does
(design §2)."""

from __future__ import annotations

import pytest

from roomsim import InvalidArgument, ManualClock, Room, RoomConfig


def test_clock_advance_runs_every_rooms_timers() -> None:
    clock = ManualClock()
    a = Room("a", clock=clock, config=RoomConfig(empty_timeout=10))
    b = Room("b", clock=clock, config=RoomConfig(empty_timeout=20))
    clock.advance(15)
    assert clock.now == a.now == b.now == 15
    assert a.closed and not b.closed
    assert [m.dt for m in a.log] == [15] == [m.dt for m in b.log]  # type: ignore[attr-defined]


def test_clock_advance_without_rooms_moves_time_and_checks_its_argument() -> None:
    clock = ManualClock(1.0)
    clock.advance(2.5)
    assert clock.now == 3.5
    with pytest.raises(InvalidArgument):
        clock.advance(-1)
    room = Room("late", clock=clock)
    assert room.created_at == 3.5
