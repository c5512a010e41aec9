"""How the command line shows events and times: one place for ``roomsim demo``, ``roomsim run``
and the diff of :func:`roomsim.scenario.Playback.differences`.

Times are the virtual clock's seconds.  The clock adds floats (``0.1 + 0.7`` is
``0.7999999999999999``), so a time is printed as the decimal the clock means: rounded to the
nanosecond (:func:`clock_time`), which is finer than anything roomsim schedules (its timers are
whole milliseconds) and gives ``1.8`` where the sum is ``1.7999999999999998``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, Final

import attrs

from roomsim.events import Event
from roomsim.model import Permission

__all__ = ["printable", "DIGITS", "clock_time", "format_event", "format_fields", "format_value"]

#: the decimals a printed time keeps: nanoseconds
DIGITS: Final = 9


def clock_time(t: float) -> float:
    """``t`` as the clock's decimal: rounded to :data:`DIGITS` places (``repr`` of the result is
    the shortest decimal, e.g. ``1.8`` for ``1.7999999999999998``)."""
    return round(t, DIGITS) + 0.0  # + 0.0: never -0.0


def format_value(v: Any) -> str:
    """A field's value as the demo shows it: enums by name, maps and tuples compactly."""
    if isinstance(v, Enum):
        return v.name
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k}: {format_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, tuple):
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    if isinstance(v, Permission):
        on = [f.name for f in attrs.fields(Permission) if getattr(v, f.name) is True]
        return "Permission(" + ",".join(on) + ")"
    return repr(v)


def format_fields(e: Event) -> str:
    """An event's fields as ``name=value`` pairs."""
    return " ".join(f"{f.name}={format_value(getattr(e, f.name))}" for f in attrs.fields(type(e)))


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: control characters (newlines, escape sequences)
    shown escaped, so text from a file can't fake or hide output lines."""
    return text if text.isprintable() else repr(text)[1:-1]


def format_event(time: float, recipient: str, e: Event) -> str:
    """One event as one aligned line: time, recipient, event name, fields."""
    who = printable(recipient)
    return f"{clock_time(time):8.3f}  {who:<8} {e.name:<40} {format_fields(e)}".rstrip()
