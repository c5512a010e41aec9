"""roomsim's pytest plugin, registered through the ``pytest11`` entry point.

Fixtures:

- ``clock``: a fresh ``ManualClock`` at 0.0 s, shared by the test's rooms;
- ``room_factory``: ``room_factory("name", max_participants=2)`` makes a ``Room`` on that clock;
  keyword arguments are ``RoomConfig`` fields (or pass ``config=RoomConfig(...)``);
- ``room``: one room with LiveKit's defaults; ``@pytest.mark.roomsim(max_participants=2)``
  sets ``RoomConfig`` fields for it.

A misspelt field (``@pytest.mark.roomsim(max_participant=1)``) is an error naming the closest
field and all of them.  The fixtures are made once per test function, so a Hypothesis
``@given`` test can't use them (its examples would share one room and one clock): it is an
error that points to ``roomsim.testing.checked_room``, which makes a fresh room per example.

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


_FIXTURES = ("room", "room_factory", "clock")


def _refuse_hypothesis_tests(request: pytest.FixtureRequest) -> None:
    """A ``@given`` test runs many examples in one call of the fixtures: refuse, with the fix."""
    test = getattr(request, "function", None)  # None for a doctest
    if not getattr(test, "is_hypothesis_test", False):
        return
    used = ", ".join(f"`{n}`" for n in _FIXTURES if n in request.fixturenames)
    raise pytest.UsageError(
        f"{request.node.nodeid} is a Hypothesis @given test: roomsim's fixtures ({used}) are "
        f"made once per test function, so its examples would share one room and one clock. "
        f"Make a fresh room in each example instead: "
        f"`with roomsim.testing.checked_room(max_participants=2) as room: ...` "
        f"(keywords are RoomConfig fields; the room is checked when the block ends)"
    )


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> ManualClock:
    """A fresh virtual clock at 0.0 s; the rooms of one test share it."""
    _refuse_hypothesis_tests(request)
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
    from roomsim import Room
    from roomsim.testing._rooms import room_config

    made: list[Room] = []

    def make(name: str = "room", *, config: RoomConfig | None = None, **fields: Any) -> Room:
        new = Room(name, config=room_config(config, fields), clock=clock)
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
    from roomsim.testing._rooms import unknown_field_message

    fields: dict[str, Any] = {}
    for mark in reversed(list(request.node.iter_markers("roomsim"))):
        if mark.args:
            raise pytest.UsageError(
                f"@pytest.mark.roomsim takes RoomConfig fields as keywords, got {mark.args!r}"
            )
        message = unknown_field_message({k: v for k, v in mark.kwargs.items() if k != "config"})
        if message is not None:
            raise pytest.UsageError(f"@pytest.mark.roomsim on {request.node.nodeid}: {message}")
        fields.update(mark.kwargs)
    made: Room = room_factory("room", **fields)
    return made
