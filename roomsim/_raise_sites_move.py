"""The raise sites of ``move_participant`` (faults §5, §10), as rows ``roomsim.raise_sites``
appends to ``RAISE_SITES``.  Each row is ``(id, where, errors, code, when)``; an unknown
identity is ``identity.unknown``, as for every verb.
"""

from __future__ import annotations

from typing import Final

from roomsim.errors import (
    IllegalState,
    InvalidArgument,
    NotFound,
    RoomClosed,
    RoomFull,
    RoomsimError,
)

__all__ = ["MOVE_ROWS"]

_FP = "failed_precondition"
_IS: tuple[type[RoomsimError], ...] = (IllegalState,)
_IA: tuple[type[RoomsimError], ...] = (InvalidArgument,)

MOVE_ROWS: Final[tuple[tuple[str, str, tuple[type[RoomsimError], ...], str, str], ...]] = (
    (
        "move.same_room",
        "`move_participant` (`MoveParticipant`)",
        _IA,
        "invalid_argument",
        'the destination is the source room (LiveKit: "destination room cannot be the same '
        'as source room")',
    ),
    (
        "move.no_room",
        "the same",
        (NotFound,),
        "not_found",
        "no room of that name is on the source room's clock",
    ),
    (
        "move.closed",
        "the same",
        (RoomClosed,),
        "ROOM_CLOSED",
        "the destination room is closed",
    ),
    (
        "move.ambiguous",
        "the same",
        _IA,
        "invalid_argument",
        "several open rooms of that name are on the clock (a LiveKit server has one)",
    ),
    (
        "move.in_handler",
        "the same",
        _IS,
        _FP,
        "called from a handler of a room on the clock, or while the clock advances",
    ),
    (
        "move.thread",
        "the same",
        _IS,
        _FP,
        "the calling thread does not own the destination room (a room belongs to one thread; "
        "see `take_over`)",
    ),
    (
        "move.reconnecting",
        "the same",
        _IS,
        _FP,
        "its client is reconnecting (or gave up)",
    ),
    (
        "move.held",
        "the same",
        _IS,
        _FP,
        "the session is JOINED: its media never connected",
    ),
    (
        "move.no_client",
        "the same",
        _IS,
        _FP,
        "roomsim runs no client for the session (a fork's session without one)",
    ),
    (
        "move.full",
        "the same",
        (RoomFull,),
        "JOIN_FAILURE",
        "the destination has reached `max_participants` (a session of the same identity there, "
        "which the move replaces, does not count)",
    ),
    (
        "scenario.move",
        "`scenario.dump`",
        _IS,
        _FP,
        "the room's log holds a move: it involves two rooms, a scenario file holds one",
    ),
)
