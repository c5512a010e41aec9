"""Rooms set up for a test: the pytest fixtures' rooms, and :func:`checked_room` for code that
cannot take a fixture (a Hypothesis ``@given`` test makes a fresh room per example with it).

A test's room raises on handler errors (``handler_errors="raise"`` unless the test sets it) and
is checked with :func:`~roomsim.testing.check_invariants` when the test is done with it.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from roomsim import InvalidArgument, ManualClock, Room, RoomConfig
from roomsim.testing._invariants import check_invariants

__all__ = ["checked_room", "config_fields", "room_config", "unknown_field_message"]


def config_fields() -> tuple[str, ...]:
    """The names ``RoomConfig(...)`` takes as keywords, in its order."""
    return tuple(inspect.signature(RoomConfig).parameters)


def unknown_field_message(fields: Mapping[str, Any]) -> str | None:
    """``None`` if every name in ``fields`` is a ``RoomConfig`` field, else a message naming the
    first unknown one, the closest field name, and all of them."""
    valid = config_fields()
    unknown = [k for k in fields if k not in valid]
    if not unknown:
        return None
    bad = unknown[0]
    close = difflib.get_close_matches(bad, valid, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{bad!r} is not a RoomConfig field{hint}; the fields are: {', '.join(valid)}"


def room_config(
    config: RoomConfig | None, fields: Mapping[str, Any], *, where: str = "room_factory()"
) -> RoomConfig:
    """The config of a test's room: ``config`` as given, or these fields with
    ``handler_errors="raise"`` unless they set it.  Unknown field names raise
    ``InvalidArgument`` with the closest valid one."""
    if config is not None and fields:
        raise InvalidArgument(
            f"{where} takes config=RoomConfig(...) or RoomConfig fields, not both "
            f"(got config and {', '.join(fields)})"
        )
    if config is not None:
        return config
    message = unknown_field_message(fields)
    if message is not None:
        raise InvalidArgument(f"{where}: {message}")
    return RoomConfig(**{"handler_errors": "raise", **fields})


@contextmanager
def checked_room(
    name: str = "room",
    *,
    config: RoomConfig | None = None,
    clock: ManualClock | None = None,
    **fields: Any,
) -> Iterator[Room]:
    """A fresh room, set up as the ``room`` fixture sets it up, checked when the block ends.

    Keyword arguments are ``RoomConfig`` fields (or pass ``config=RoomConfig(...)``); handlers
    raise (``handler_errors="raise"`` unless you set it); the room gets a clock of its own at
    0.0 s unless you pass one.  When the block ends without an exception,
    :func:`~roomsim.testing.check_invariants` checks the room.

    Use it where a fixture can't be used: in a Hypothesis ``@given`` test, whose examples each
    need a fresh room (the ``room`` fixture is made once per test function).

    >>> from roomsim.testing import checked_room
    >>> with checked_room(max_participants=2) as room:
    ...     alice = room.connect("alice")
    ...     _ = room.connect("bob")
    >>> room.config.handler_errors, len(room.participants)
    ('raise', 2)
    """
    made = Room(
        name,
        config=room_config(config, fields, where="checked_room()"),
        clock=ManualClock() if clock is None else clock,
    )
    yield made
    check_invariants(made)
