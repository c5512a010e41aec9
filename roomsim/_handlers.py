"""Handlers as ``on()`` and ``connect(on=...)`` take them: event names or classes, checked
callables (synchronous, as ``livekit.rtc`` calls them)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from roomsim._validate import show
from roomsim.errors import InvalidArgument, InvalidType
from roomsim.events import EVENTS_BY_NAME, Event

__all__ = ["Handler", "check_handler", "event_name", "handler_pairs"]

Handler = Callable[[Any], object]


def check_handler(name: str, handler: Any) -> None:
    if not callable(handler):
        raise InvalidArgument(f"on({name!r}, handler) needs a callable, got {show(handler)}")
    if inspect.iscoroutinefunction(handler):
        raise InvalidArgument(
            f"on({name!r}, ...) got a coroutine function; handlers are called synchronously "
            "(as livekit.rtc requires): wrap it, e.g. lambda e: asyncio.create_task(f(e))"
        )


def handler_pairs(on: Any) -> list[tuple[str, Handler]]:
    """``connect(on=...)``: a mapping of event names (or classes) to a handler or a list of
    handlers, checked as ``on()`` checks them, as (name, handler) pairs in order."""
    if not isinstance(on, Mapping):
        raise InvalidType(
            f"connect(on=...) must map event names to handlers, got {show(on)} "
            f"(type {type(on).__name__})"
        )
    pairs: list[tuple[str, Handler]] = []
    for event, handlers in on.items():
        name = event_name(event)
        for h in handlers if isinstance(handlers, list | tuple) else (handlers,):
            check_handler(name, h)
            pairs.append((name, h))
    return pairs


def event_name(event: Any) -> str:
    if isinstance(event, type) and issubclass(event, Event) and hasattr(event, "name"):
        return event.name
    if type(event) is not str:
        raise InvalidArgument(
            f"on()/off() take an event name such as 'participant_connected' or an event class, "
            f"got {event!r}"
        )
    if event not in EVENTS_BY_NAME:
        raise InvalidArgument(
            f"unknown event name {event!r}; known names: {', '.join(sorted(EVENTS_BY_NAME))}"
        )
    return event
