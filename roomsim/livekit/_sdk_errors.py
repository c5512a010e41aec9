"""Exceptions raised inside ``livekit.rtc`` handlers, which the SDK catches and logs.

The SDK's ``EventEmitter.emit`` logs a handler's exception ("failed to emit event ...") on the
``livekit`` logger and goes on.  A test would pass with a broken handler, so roomsim collects
those records and, with ``RoomConfig(handler_errors="raise")``, raises them as a
``HandlerError`` from the call that caused them (the bridge) or from ``lk.settle()`` (the
facade), as it does for its own handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from roomsim.errors import HandlerError, HandlerFailure

__all__ = ["SdkHandlerErrors", "capturing"]

_SDK_LOGGER = "livekit"


class _SdkEvent:
    """The SDK event a handler was handling, by name (what the SDK's log line says)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<livekit.rtc event {self.name!r}>"


class SdkHandlerErrors(logging.Handler):
    """Collects the exceptions the SDK logged for its handlers (the ``livekit`` logger must let
    ERROR records through, as it does by default)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.found: list[tuple[str, BaseException]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info and message.startswith("failed to emit event"):
            exc = record.exc_info[1]
            if exc is not None:
                self.found.append((message.removeprefix("failed to emit event").strip(), exc))

    def take(self, client: str) -> HandlerError | None:
        """A ``HandlerError`` for what was collected (None if nothing), and forget it."""
        if not self.found:
            return None
        found, self.found = self.found, []
        return HandlerError([HandlerFailure(client, _SdkEvent(n), exc) for n, exc in found])


@contextmanager
def capturing() -> Iterator[SdkHandlerErrors]:
    """Collect the SDK's logged handler errors while the block runs (they are still logged)."""
    handler = SdkHandlerErrors()
    logger = logging.getLogger(_SDK_LOGGER)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
