"""SDK profiles: each client is one SDK, and its profile says where that SDK's events differ.

``Room.connect(..., sdk="python" | "js")`` picks one row of ``PROFILES``; the projectors
(``roomsim._project``) read the row's flags where the two SDKs emit different events for the
same room fact (docs/design.md, "python vs js").  Everything the SDKs agree on has no flag.  A
new difference is one new field here, set per row, and one ``if`` where it is emitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, final

import attrs

from roomsim.errors import InvalidArgument

__all__ = ["DEFAULT_SDK", "JS", "PROFILES", "PYTHON", "SDKS", "Profile", "check_sdk"]


@final
@attrs.frozen
class Profile:
    """What one SDK emits where the SDKs differ (client §16, §17)."""

    #: ``"python"`` (``livekit.rtc``) or ``"js"`` (client-sdk-js)
    name: str
    #: the JS-only events: ``is_speaking_changed``, ``track_stream_state_changed``,
    #: ``track_subscription_permission_changed`` (client §6, §8, §9b)
    js_events: bool
    #: a subscription the server removes (``can_subscribe`` revoked, a publisher's permission,
    #: the server API) is reported as ``track_unsubscribed`` (JS); Python's core never hears of
    #: it and reports the stale track only when it is replaced (client §16.1)
    sees_server_unsubscribe: bool
    #: a track the server unpublishes (``can_publish`` revoked or narrowed) is reported to its
    #: publisher as ``local_track_unpublished`` (JS; not Python, client §16.2)
    sees_server_unpublish: bool
    #: a server mute of an unmuted track fires ``track_muted`` twice on the publisher (Python,
    #: client §16.7, §17.4)
    double_server_mute: bool
    #: ``active_speakers_changed`` carries the merged list, loudest first (JS), instead of the
    #: active entries of each update, quietest first (Python) (client §6)
    merged_speakers: bool
    #: ``connection_quality_changed`` only when the value changed (JS; Python emits every
    #: entry, client §7)
    quality_on_change_only: bool
    #: the ``topic`` of a data packet sent without one: ``""`` (Python, client §16.8) or None
    #: (JS, an unset optional proto field reads ``undefined``)
    no_topic: str | None
    #: remote tracks are unsubscribed (``trackUnsubscribed``) before the own
    #: ``localTrackUnpublished`` events of a client's own disconnection (JS, client §17.3)
    unsubscribe_on_own_leave: bool
    #: a server-ended session still reports ``local_track_unpublished`` for each own track (JS,
    #: client §17.3; Python only when the client disconnects itself, client §17.1)
    unpublish_on_server_leave: bool


PYTHON: Final = Profile(
    name="python",
    js_events=False,
    sees_server_unsubscribe=False,
    sees_server_unpublish=False,
    double_server_mute=True,
    merged_speakers=False,
    quality_on_change_only=False,
    no_topic="",
    unsubscribe_on_own_leave=False,
    unpublish_on_server_leave=False,
)
JS: Final = Profile(
    name="js",
    js_events=True,
    sees_server_unsubscribe=True,
    sees_server_unpublish=True,
    double_server_mute=False,
    merged_speakers=True,
    quality_on_change_only=True,
    no_topic=None,
    unsubscribe_on_own_leave=True,
    unpublish_on_server_leave=True,
)

#: every profile by its ``sdk=`` name
PROFILES: Final[Mapping[str, Profile]] = {p.name: p for p in (PYTHON, JS)}
SDKS: Final[tuple[str, ...]] = tuple(PROFILES)
DEFAULT_SDK: Final = PYTHON.name


def check_sdk(v: Any, what: str) -> str:
    """``v`` if it names a profile, else ``InvalidArgument`` saying which names exist."""
    if type(v) is str and v in PROFILES:
        return v
    raise InvalidArgument(
        f"{what} must be one of {', '.join(repr(s) for s in SDKS)} (the SDK the client "
        f"imitates: 'python' is livekit.rtc, the default; 'js' is client-sdk-js), got {v!r}"
    )
