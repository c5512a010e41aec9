"""Virtual time: roomsim never reads the wall clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, final

from roomsim._validate import check_finite_nonneg
from roomsim.errors import InvalidArgument

__all__ = ["ManualClock", "MAX_TIME"]

#: the latest virtual time roomsim reaches, in seconds (about 31,700 years): far beyond any
#: test, and small enough that timer arithmetic never overflows
MAX_TIME = 1e12


@final
class ManualClock:
    """A virtual clock in seconds, starting at ``start`` (0.0 by default).

    Time moves only when a room's ``advance(dt)`` moves it.  One clock may be shared by several
    rooms; advancing any of them advances all, running their timers in order of
    (time, room creation).
    """

    __slots__ = ("_advancing", "_members", "_now")

    def __init__(self, start: float = 0.0) -> None:
        now = check_finite_nonneg(start, "ManualClock(start=...)")
        if now > MAX_TIME:
            raise InvalidArgument(
                f"ManualClock(start=...) must be at most {MAX_TIME:g} s, got {start!r}"
            )
        self._now = now
        # the timekeepers of the rooms on this clock, in creation order (advancing one room
        # advances all); written only by the methods below
        self._members: list[Any] = []
        self._advancing = False

    @property
    def now(self) -> float:
        """The current virtual time in seconds."""
        return self._now

    def advance(self, dt: float) -> None:
        """Let ``dt`` virtual seconds pass for every room on this clock, as ``room.advance``
        does (each room logs the advance; handler failures are raised here)."""
        if self._members:
            self._members[0].room_advance(dt)
            return
        step = check_finite_nonneg(dt, "ManualClock.advance(dt=...)")
        if self._now + step > MAX_TIME:
            raise InvalidArgument(
                f"ManualClock.advance(dt={dt!r}) would take virtual time past {MAX_TIME:g} s; "
                "advance by less"
            )
        self._now += step

    # the room side (roomsim._time) uses these; nothing else writes the clock's fields

    def _attach(self, member: Any) -> int:
        """Add a room's timekeeper; returns the room's place on the clock."""
        self._members.append(member)
        return len(self._members) - 1

    def _detach(self, member: Any) -> None:
        """Remove a room's timekeeper (a fork that was refused)."""
        self._members = [m for m in self._members if m is not member]

    def _members_list(self) -> list[Any]:
        return list(self._members)

    def _is_advancing(self) -> bool:
        return self._advancing

    def _move_to(self, now: float) -> None:
        self._now = now

    @contextmanager
    def _advancing_to(self, target: float) -> Iterator[None]:
        self._advancing = True
        try:
            yield
            self._now = target
        finally:
            self._advancing = False

    def __repr__(self) -> str:
        return f"ManualClock(now={self._now!r})"
