"""roomsim's pytest plugin, registered through the ``pytest11`` entry point.

Fixtures:

- ``clock``: a fresh ``ManualClock`` at 0.0 s, shared by the test's rooms;
- ``room_factory``: ``room_factory("name", max_participants=2)`` makes a ``Room`` on that clock;
  keyword arguments are ``RoomConfig`` fields (or pass ``config=RoomConfig(...)``);
- ``room``: one room with LiveKit's defaults; ``@pytest.mark.roomsim(max_participants=2)``
  sets ``RoomConfig`` fields for it.

Rooms from these fixtures raise on handler errors (``handler_errors="raise"``): a handler that
raises fails the test with a ``HandlerError`` naming the client and the event (its traceback is
chained).  At teardown each room is checked with ``roomsim.testing.check_invariants``; turn that
off with the ini option ``roomsim_check_invariants = false``.

The plugin imports nothing of roomsim's until a fixture is used, and never imports
``hypothesis``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from roomsim import ManualClock, Room, RoomConfig

__all__ = ["clock", "room", "room_factory"]

_INI = "roomsim_check_invariants"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        _INI,
        "check roomsim's invariants on every room the roomsim fixtures made, at teardown",
        type="bool",
        default=True,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "roomsim(**config): RoomConfig fields for the `room` fixture, e.g. "
        "@pytest.mark.roomsim(max_participants=2)",
    )


@pytest.fixture
def clock() -> ManualClock:
    """A fresh virtual clock at 0.0 s; the rooms of one test share it."""
    from roomsim import ManualClock

    return ManualClock()


@pytest.fixture
def room_factory(
    request: pytest.FixtureRequest, clock: ManualClock
) -> Iterator[Callable[..., Room]]:
    """Make rooms on the test's clock: ``room_factory("name", max_participants=2)``.

    Keyword arguments are ``RoomConfig`` fields, or ``config=RoomConfig(...)`` for a whole
    config.  Handlers raise (``handler_errors="raise"`` unless you set it), so a handler's
    exception fails the test with a ``HandlerError``.
    """
    from roomsim import InvalidArgument, Room, RoomConfig

    made: list[Room] = []

    def make(name: str = "room", *, config: RoomConfig | None = None, **fields: Any) -> Room:
        if config is not None and fields:
            raise InvalidArgument(
                f"room_factory() takes config=RoomConfig(...) or RoomConfig fields, not both "
                f"(got config and {', '.join(fields)})"
            )
        if config is None:
            fields.setdefault("handler_errors", "raise")
            config = RoomConfig(**fields)
        new = Room(name, config=config, clock=clock)
        made.append(new)
        return new

    yield make
    if made and request.config.getini(_INI):
        from roomsim.testing import check_invariants

        for r in made:
            check_invariants(r)


@pytest.fixture
def room(request: pytest.FixtureRequest, room_factory: Callable[..., Room]) -> Room:
    """A fresh room named ``"room"``; ``@pytest.mark.roomsim(**fields)`` configures it."""
    fields: dict[str, Any] = {}
    for mark in reversed(list(request.node.iter_markers("roomsim"))):
        if mark.args:
            raise pytest.UsageError(
                f"@pytest.mark.roomsim takes RoomConfig fields as keywords, got {mark.args!r}"
            )
        fields.update(mark.kwargs)
    made: Room = room_factory("room", **fields)
    return made
