"""The one exception hierarchy of roomsim (design §4).

Every error a mutation raises leaves the room, its log and every client exactly as they were;
the one exception is :class:`HandlerError`, raised after a valid commit.  Each error carries a
``code``: the error LiveKit gives on that path (``LIMIT_EXCEEDED`` for a client request,
``invalid_argument`` for the server API, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, NoReturn, Protocol

__all__ = [
    "RoomsimError",
    "InvalidArgument",
    "InvalidType",
    "LimitExceeded",
    "NotFound",
    "UnknownParticipant",
    "UnknownTrack",
    "PermissionDenied",
    "IllegalState",
    "RoomClosed",
    "ClientDisconnected",
    "RoomFull",
    "HandlerError",
    "InternalError",
    "HandlerFailure",
    "SilentlyDropped",
]


class RoomsimError(Exception):
    """The root of every roomsim error; never raised itself."""

    default_code: ClassVar[str] = "unknown"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        if type(self) is RoomsimError:
            raise TypeError("RoomsimError is abstract: raise one of its subclasses")
        super().__init__(message)
        self.message = message
        #: the LiveKit error for the path that raised (``NOT_ALLOWED``, ``invalid_argument``, ...)
        self.code: str = code if code is not None else self.default_code

    def __str__(self) -> str:
        return self.message


class InvalidArgument(RoomsimError, ValueError):
    """Malformed input, whatever the state (empty identity, NaN level, bad enum)."""

    default_code = "invalid_argument"


class InvalidType(InvalidArgument, TypeError):
    """A value of the wrong Python type."""


class LimitExceeded(InvalidArgument):
    """A size limit was exceeded; sizes are UTF-8 bytes and limits are inclusive."""

    default_code = "LIMIT_EXCEEDED"


class NotFound(RoomsimError, LookupError):
    """Something named does not exist."""

    default_code = "not_found"


class UnknownParticipant(NotFound, KeyError):
    """No participant with that identity is in the room.  Also a ``KeyError``: the
    read-only maps (``room.participants``, ``room.clients``, ``remote_participants``) raise
    it for an identity they do not hold, naming those they do."""


class UnknownTrack(NotFound):
    """The participant has no published track with that sid."""


class PermissionDenied(RoomsimError, PermissionError):
    """A grant the action needs is missing (LiveKit ``NOT_ALLOWED``)."""

    default_code = "NOT_ALLOWED"


class IllegalState(RoomsimError, RuntimeError):
    """The request has the right shape but the state does not allow it."""

    default_code = "failed_precondition"


class RoomClosed(IllegalState):
    """The room was closed (timeout or ``delete()``); it refuses every mutation."""

    default_code = "ROOM_CLOSED"


class ClientDisconnected(IllegalState):
    """The client's session has ended; it refuses every action."""

    default_code = "DISCONNECTED"


class RoomFull(IllegalState):
    """The room has reached ``max_participants``."""

    default_code = "JOIN_FAILURE"


class _NamedEvent(Protocol):
    """What an error needs of an event (``roomsim.events.Event``): its SDK name.  (A protocol,
    so that this module, at the bottom of the layers, imports nothing of roomsim's.)"""

    @property
    def name(self) -> str: ...


class HandlerFailure:
    """One handler that raised: the client, the event it was handling and the exception."""

    __slots__ = ("client", "event", "exception")

    event: Any  #: the ``roomsim.events.Event`` being handled

    def __init__(self, client: str, event: _NamedEvent, exception: BaseException) -> None:
        self.client = client
        self.event = event
        self.exception = exception

    def __repr__(self) -> str:
        return (
            f"HandlerFailure(client={self.client!r}, event={self.event!r}, "
            f"exception={self.exception!r})"
        )


class HandlerError(RoomsimError):
    """One or more handlers raised.  The mutation **was** applied and dispatch completed."""

    default_code = "handler_error"

    def __init__(self, failures: Sequence[HandlerFailure]) -> None:
        self.failures: tuple[HandlerFailure, ...] = tuple(failures)
        lines = [
            f"{len(self.failures)} handler(s) raised; the mutation was applied and every "
            "event was delivered:"
        ]
        for f in self.failures:
            lines.append(
                f"  client {f.client!r} handling {f.event.name} ({f.event!r}): "
                f"{type(f.exception).__name__}: {_text(f.exception)}"
            )
        super().__init__("\n".join(lines))
        if self.failures:
            self.__cause__ = self.failures[0].exception


class InternalError(RoomsimError, AssertionError):
    """An invariant broke: this is a roomsim bug, please report it with the message."""

    default_code = "internal"


class SilentlyDropped(UserWarning):
    """An action LiveKit accepts and drops without a word (data without ``can_publish_data``
    or to identities not in the room, a subscription without ``can_subscribe`` or denied by
    the publisher, a server mute of an unknown track).  Warned only with
    ``RoomConfig(strict=True)``; roomsim, like LiveKit, stays silent by default."""


def _text(exc: BaseException) -> str:
    """``str(exc)`` for a message; an exception whose ``__str__`` raises is named by type."""
    try:
        text = str(exc)
    except BaseException:  # a hostile exception's own __str__
        return "<an exception whose str() raised>"
    return text if isinstance(text, str) else "<an exception whose str() is not a str>"


def broken(what: str, **seen: Any) -> NoReturn:
    """Raise ``InternalError`` for a broken invariant, naming it and the values seen."""
    details = "; ".join(f"{k}={v!r}" for k, v in seen.items())
    raise InternalError(f"roomsim invariant broken: {what} ({details}); this is a roomsim bug")
