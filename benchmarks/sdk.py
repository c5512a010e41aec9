"""The peer: a real ``livekit.rtc.Room`` applying the observer's event stream.

The SDK's cost of *applying an event* is what ``livekit.rtc.Room._on_room_event`` does with
the ``RoomEvent`` its FFI layer hands it: update the SDK's participants and publications, then
emit to the handlers registered with ``room.on(...)`` (client §14).  To measure only that,
the stream is recorded first, untimed:

1. a second roomsim room is built from the same mutations and its observer is bridged with
   ``roomsim.livekit.rtc_room`` (the interop bridge: the SDK Room starts as ``connect()``
   leaves one);
2. the Room's ``_on_room_event`` is replaced, on the instance, by a recorder, and every chunk
   of mutations is applied, so the bridge's conversion to ``RoomEvent`` protos happens here;
3. the bridge is detached, the recorder removed and one handler registered for every event
   the bridge feeds; the timed run then hands each chunk's recorded protos to the real
   ``_on_room_event``, in order, so the SDK Room stays in step with the observer.

``livekit`` is optional: :func:`unavailable` says why the peer can't run, and the runner
prints that line and skips the comparison.  Nothing here imports ``livekit`` at module level
(mypy and the smoke test run without it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from roomsim import Client, Room
from roomsim import events as E
from roomsim import mutations as M

__all__ = ["SdkPeer", "unavailable", "sdk_version", "FED_EVENT_NAMES"]

#: the events livekit.rtc emits (the ones the bridge feeds); both sides handle exactly these
FED_EVENT_NAMES: tuple[str, ...] = tuple(c.name for c in E.ALL_EVENTS if "python" in c.sdks)


def _bridge_module() -> Any:
    return importlib.import_module("roomsim.livekit")


def unavailable() -> str | None:
    """None when the SDK peer can run, else one line saying why not."""
    try:
        lk = _bridge_module()
    except ImportError as exc:
        return f"livekit.rtc comparison skipped: {exc}"
    try:
        lk.check_versions()
    except Exception as exc:
        return f"livekit.rtc comparison skipped: {exc}"
    return None


def sdk_version() -> str | None:
    """The installed ``livekit`` version, if any."""
    try:
        rtc = importlib.import_module("livekit.rtc")
    except ImportError:
        return None
    return str(getattr(rtc, "__version__", "unknown"))


class SdkPeer:
    """A bridged SDK Room mirroring ``observer``, and the protos its events became."""

    def __init__(self, observer: Client) -> None:
        lk = _bridge_module()
        self.room: Any = lk.rtc_room(observer)
        self._bridge: Any = lk.bridge_of(self.room)
        self._recording: list[Any] = []
        # the bridge calls self.room._on_room_event(proto): record instead of applying
        self.room._on_room_event = self._recording.append
        self.count = 0

    def record(self, room: Room, chunk: Sequence[M.Mutation]) -> list[Any]:
        """Apply ``chunk`` to the bridged room; the ``RoomEvent`` protos the observer got."""
        apply = room.apply
        for m in chunk:
            apply(m)
        if self._bridge.errors:
            raise RuntimeError(f"the bridge failed: {self._bridge.errors[0]!r}")
        out = list(self._recording)
        self._recording.clear()
        return out

    def ready(self) -> None:
        """Stop recording; register one counting handler for every event the bridge feeds."""
        self._bridge.detach()
        self._bridge = None
        del self.room._on_room_event

        def handler(*args: Any) -> None:
            self.count += 1

        for name in FED_EVENT_NAMES:
            self.room.on(name, handler)

    def feeder(self) -> Callable[[Any], None]:
        """The SDK's own entry point for one ``RoomEvent``."""
        on: Callable[[Any], None] = self.room._on_room_event
        return on

    def identities(self) -> set[str]:
        """The remote participants the SDK Room knows."""
        return set(self.room.remote_participants)
