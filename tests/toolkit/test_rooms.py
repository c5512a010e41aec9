"""``roomsim.testing.checked_room``: a room set up as the ``room`` fixture sets it up, for code
that can't take a fixture (a Hypothesis ``@given`` test)."""

from __future__ import annotations

import pytest

import roomsim.testing._rooms as rooms_module
from roomsim import HandlerError, InvalidArgument, ManualClock, Room, RoomConfig
from roomsim.testing import checked_room


def test_a_fresh_room_that_raises_on_handler_errors() -> None:
    with checked_room("standup", max_participants=3) as room:
        assert isinstance(room, Room)
        assert room.name == "standup"
        assert room.now == 0.0
        assert room.config.max_participants == 3
        alice = room.connect("alice")
        alice.on("participant_connected", lambda e: 1 / 0)
        with pytest.raises(HandlerError):
            room.connect("bob")


def test_the_room_is_checked_when_the_block_ends_and_not_when_it_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[Room] = []
    monkeypatch.setattr(rooms_module, "check_invariants", checked.append)
    with checked_room() as room:
        assert checked == []
    assert checked == [room]
    with pytest.raises(KeyError), checked_room() as other:
        raise KeyError("the test's own failure")
    assert checked == [room]
    assert other is not room


def test_a_config_or_a_clock_can_be_given() -> None:
    config = RoomConfig(departure_timeout=1.0, handler_errors="log")
    clock = ManualClock(5.0)
    with checked_room(config=config, clock=clock) as room:
        assert room.config is config
        assert room.config.handler_errors == "log"  # a whole config is taken as it is
        assert room.clock is clock and room.now == 5.0
    with checked_room(handler_errors="log") as room:
        assert room.config.handler_errors == "log"
        assert room.now == 0.0  # a clock of its own


def test_unknown_fields_and_config_with_fields_are_refused() -> None:
    with (
        pytest.raises(InvalidArgument, match=r"did you mean 'max_participants'\?"),
        checked_room(max_participant=1),
    ):
        pass  # pragma: no cover
    with (
        pytest.raises(InvalidArgument, match=r"or RoomConfig fields, not both"),
        checked_room(config=RoomConfig(), max_participants=1),
    ):
        pass  # pragma: no cover
