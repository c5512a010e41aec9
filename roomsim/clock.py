"""Virtual time: roomsim never reads the wall clock."""

from __future__ import annotations

from typing import Any, final

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

    __slots__ = ("_advancing", "_now", "_rooms")

    def __init__(self, start: float = 0.0) -> None:
        from roomsim._validate import check_finite_nonneg
        from roomsim.errors import InvalidArgument

        now = check_finite_nonneg(start, "ManualClock(start=...)")
        if now > MAX_TIME:
            raise InvalidArgument(
                f"ManualClock(start=...) must be at most {MAX_TIME:g} s, got {start!r}"
            )
        self._now = now
        # the rooms on this clock, in creation order (advancing one advances all)
        self._rooms: list[Any] = []
        self._advancing = False

    @property
    def now(self) -> float:
        """The current virtual time in seconds."""
        return self._now

    def __repr__(self) -> str:
        return f"ManualClock(now={self._now!r})"
