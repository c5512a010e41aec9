"""Interop with LiveKit's Python packages (the extra ``roomsim[livekit]``).

- :func:`serve`: an in-process LiveKit for unchanged ``livekit.rtc`` code (tokens, connect,
  the local participant's verbs, every event), backed by roomsim rooms, that also answers
  ``livekit.api.LiveKitAPI`` over HTTP (RoomService) and POSTs signed webhooks;
- :func:`rtc_room`: a real ``livekit.rtc.Room`` set up as ``connect()`` sets one up and fed
  each later event of a roomsim client, so ``livekit.rtc`` handlers can be tested unchanged;
- :func:`to_proto` / :func:`from_proto`: roomsim values <-> ``livekit.protocol`` messages;
  :func:`to_rtc` / :func:`from_rtc`: the same for the Python SDK's own (FFI) messages.

``import roomsim`` never imports this package, nor ``livekit``.
"""

from __future__ import annotations

try:
    import livekit.protocol.models
    import livekit.rtc  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "roomsim.livekit needs LiveKit's Python packages: pip install 'roomsim[livekit]'"
    ) from exc

from roomsim.livekit._bridge import (
    FED_EVENTS,
    ROOMSIM_ONLY_EVENTS,
    Bridge,
    NotBridged,
    bridge_of,
    rtc_room,
)
from roomsim.livekit._convert import (
    RoomInfo,
    enum_from_proto,
    enum_from_rtc,
    from_proto,
    from_rtc,
    rtc_track_info,
    to_proto,
    to_rtc,
)
from roomsim.livekit._ffi import NOT_SIMULATED_REQUESTS, InProcessFfi, NotSimulated
from roomsim.livekit._serve import LiveKitServer, NativeFfiActive, NotSettled, serve
from roomsim.livekit._versions import TESTED_VERSIONS, UnsupportedVersion, check_versions
from roomsim.livekit._webhooks import WebhookFailure

__all__ = [
    # the SDK facade
    "serve",
    "LiveKitServer",
    "InProcessFfi",
    "NativeFfiActive",
    "NotSettled",
    "NotSimulated",
    "NOT_SIMULATED_REQUESTS",
    "WebhookFailure",
    # the bridge
    "rtc_room",
    "bridge_of",
    "Bridge",
    "FED_EVENTS",
    "ROOMSIM_ONLY_EVENTS",
    "NotBridged",
    # protocol messages
    "RoomInfo",
    "to_proto",
    "from_proto",
    "enum_from_proto",
    "to_rtc",
    "from_rtc",
    "enum_from_rtc",
    "rtc_track_info",
    # versions
    "TESTED_VERSIONS",
    "UnsupportedVersion",
    "check_versions",
]
