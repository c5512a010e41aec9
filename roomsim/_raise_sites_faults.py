"""The raise sites of the fault verbs (faults §10): ``interrupt``, ``resume`` and
``reconnect``, as rows ``roomsim.raise_sites`` appends to ``RAISE_SITES`` (kept apart so that
table stays under the size cap).  Each row is ``(id, where, errors, code, when)``.
"""

from __future__ import annotations

from typing import Final

from roomsim.errors import IllegalState, InvalidArgument, RoomsimError

__all__ = ["FAULT_ROWS"]

_FP = "failed_precondition"
_IS: tuple[type[RoomsimError], ...] = (IllegalState,)
_IA: tuple[type[RoomsimError], ...] = (InvalidArgument,)

FAULT_ROWS: Final[tuple[tuple[str, str, tuple[type[RoomsimError], ...], str, str], ...]] = (
    (
        "interrupt.reconnecting",
        "`interrupt` (`Interrupt`)",
        _IS,
        _FP,
        "its client is already reconnecting, or gave up and waits for the server to close it",
    ),
    (
        "interrupt.held",
        "the same",
        _IS,
        _FP,
        "the session is JOINED (its media never connected): LiveKit closes it with "
        "SIGNAL_CLOSE and the client joins again, which is not simulated",
    ),
    (
        "interrupt.resume_after",
        "the same",
        _IA,
        "invalid_argument",
        "`resume_after` is at or past the client's give-up time (44.3 s Python, 44.0 s JS)",
    ),
    (
        "resume.connected",
        "`resume` (`Resume`)",
        _IS,
        _FP,
        "its client is not reconnecting",
    ),
    (
        "resume.gave_up",
        "the same",
        _IS,
        _FP,
        "its client gave up reconnecting",
    ),
    (
        "resume.replaced",
        "the same",
        _IS,
        _FP,
        "a new session took the identity while the client was away (LiveKit would resume "
        "that session by identity, which is not simulated)",
    ),
    (
        "reconnect.gave_up",
        "`reconnect` (`Reconnect`)",
        _IS,
        _FP,
        "its client gave up reconnecting",
    ),
    (
        "reconnect.no_client",
        "the same",
        _IS,
        _FP,
        "roomsim runs no client for the session (a fork's session without one)",
    ),
    (
        "reconnect.held",
        "the same",
        _IS,
        _FP,
        "the session is JOINED: its media never connected",
    ),
)
