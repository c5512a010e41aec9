"""roomsim's pytest plugin (entry point ``pytest11``): fixtures ``room``, ``room_factory``,
``clock``.  It imports nothing heavy until a fixture is used."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from roomsim import ManualClock, Room


@pytest.fixture
def clock() -> ManualClock:
    """A fresh virtual clock at 0.0 s."""
    from roomsim import ManualClock

    return ManualClock()


@pytest.fixture
def room_factory(clock: ManualClock) -> Callable[..., Room]:
    """Make rooms on the test's clock: ``room_factory("name", max_participants=2)``.

    Keyword arguments are ``RoomConfig`` fields; handlers raise (``handler_errors="raise"``),
    so a handler's exception fails the test with a ``HandlerError``.
    """
    from roomsim import Room, RoomConfig

    def make(name: str = "room", **config: Any) -> Room:
        config.setdefault("handler_errors", "raise")
        return Room(name, config=RoomConfig(**config), clock=clock)

    return make


@pytest.fixture
def room(room_factory: Callable[..., Room]) -> Room:
    """A fresh room with LiveKit's default settings."""
    return room_factory("room")
