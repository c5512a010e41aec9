"""One frozen class per event a client receives (design §3).

Each concrete class has a ``name`` equal to the SDK's event string.  Fields name participants by
identity and tracks by sid.  When an event fires, in which order and with which arguments
follows the SDK of the client's profile (``Room.connect(sdk=...)``, ``roomsim._profiles``);
``sdks`` names the SDKs that have the event, and a client never receives an event its SDK lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Final, final

import attrs

from roomsim.model import (
    ConnectionQuality,
    ConnectionState,
    DataPacketKind,
    DisconnectReason,
    Permission,
    StreamState,
)

__all__ = [
    "Event",
    "ParticipantConnected",
    "ParticipantActive",
    "ParticipantDisconnected",
    "TrackPublished",
    "TrackUnpublished",
    "LocalTrackPublished",
    "LocalTrackUnpublished",
    "LocalTrackSubscribed",
    "LocalTrackRepublished",
    "TrackSubscribed",
    "TrackUnsubscribed",
    "TrackSubscriptionFailed",
    "TrackMuted",
    "TrackUnmuted",
    "ParticipantMetadataChanged",
    "ParticipantNameChanged",
    "ParticipantAttributesChanged",
    "ParticipantPermissionsChanged",
    "ActiveSpeakersChanged",
    "IsSpeakingChanged",
    "ConnectionQualityChanged",
    "TrackStreamStateChanged",
    "TrackSubscriptionPermissionChanged",
    "RoomMetadataChanged",
    "DataReceived",
    "ConnectionStateChanged",
    "Disconnected",
    "Reconnecting",
    "SignalReconnecting",
    "Reconnected",
    "TokenRefreshed",
    "Moved",
    "RoomUpdated",
    "ALL_EVENTS",
    "EVENTS_BY_NAME",
    "NOT_SIMULATED",
]


@attrs.frozen
class Event:
    """The base of every event; don't subclass it, match on the concrete classes."""

    #: the SDK's event string (``"participant_connected"``, ...); only concrete classes have one
    name: ClassVar[str]
    #: the SDKs that emit it: ``"python"`` (``livekit.rtc``), ``"js"`` (client-sdk-js)
    sdks: ClassVar[tuple[str, ...]] = ("python", "js")


@final
@attrs.frozen(kw_only=True)
class ParticipantConnected(Event):
    """A participant joined after this client did (client §13: those already there are state)."""

    name: ClassVar[str] = "participant_connected"
    participant: str


@final
@attrs.frozen(kw_only=True)
class ParticipantActive(Event):
    """A remote participant's media connection came up (state JOINED -> ACTIVE)."""

    name: ClassVar[str] = "participant_active"
    participant: str


@final
@attrs.frozen(kw_only=True)
class ParticipantDisconnected(Event):
    """A remote participant's session ended; its tracks' events came first (client §10)."""

    name: ClassVar[str] = "participant_disconnected"
    participant: str
    reason: DisconnectReason


@final
@attrs.frozen(kw_only=True)
class TrackPublished(Event):
    """A remote participant published a track."""

    name: ClassVar[str] = "track_published"
    participant: str
    track_sid: str


@final
@attrs.frozen(kw_only=True)
class TrackUnpublished(Event):
    """A remote participant's track is gone."""

    name: ClassVar[str] = "track_unpublished"
    participant: str
    track_sid: str


@final
@attrs.frozen(kw_only=True)
class LocalTrackPublished(Event):
    """This client's own track was published."""

    name: ClassVar[str] = "local_track_published"
    track_sid: str


@final
@attrs.frozen(kw_only=True)
class LocalTrackUnpublished(Event):
    """This client's own track was unpublished (by itself, or by a permission change)."""

    name: ClassVar[str] = "local_track_unpublished"
    track_sid: str


@final
@attrs.frozen(kw_only=True)
class LocalTrackSubscribed(Event):
    """The first (non-hidden) subscriber bound to this client's own track."""

    name: ClassVar[str] = "local_track_subscribed"
    track_sid: str


@final
@attrs.frozen(kw_only=True)
class LocalTrackRepublished(Event):
    """A full reconnect republished this client's own track under a new sid (faults §3.3;
    JS reports ``local_track_unpublished`` and ``local_track_published`` instead)."""

    name: ClassVar[str] = "local_track_republished"
    sdks: ClassVar[tuple[str, ...]] = ("python",)
    track_sid: str
    previous_sid: str


@final
@attrs.frozen(kw_only=True)
class TrackSubscribed(Event):
    """This client now receives a remote track."""

    name: ClassVar[str] = "track_subscribed"
    participant: str
    track_sid: str


@final
@attrs.frozen(kw_only=True)
class TrackUnsubscribed(Event):
    """This client no longer receives a remote track."""

    name: ClassVar[str] = "track_unsubscribed"
    participant: str
    track_sid: str


@final
@attrs.frozen(kw_only=True)
class TrackSubscriptionFailed(Event):
    """A subscription could not be made because the track is gone (client §9b)."""

    name: ClassVar[str] = "track_subscription_failed"
    participant: str
    track_sid: str
    error: str


@final
@attrs.frozen(kw_only=True)
class TrackMuted(Event):
    """A track was muted; fires for local and remote tracks."""

    name: ClassVar[str] = "track_muted"
    participant: str
    track_sid: str


@final
@attrs.frozen(kw_only=True)
class TrackUnmuted(Event):
    """A track was unmuted; fires for local and remote tracks."""

    name: ClassVar[str] = "track_unmuted"
    participant: str
    track_sid: str


@final
@attrs.frozen(kw_only=True)
class ParticipantMetadataChanged(Event):
    """A participant's metadata changed (local or remote)."""

    name: ClassVar[str] = "participant_metadata_changed"
    participant: str
    old_metadata: str
    new_metadata: str


@final
@attrs.frozen(kw_only=True)
class ParticipantNameChanged(Event):
    """A participant's name changed (local or remote)."""

    name: ClassVar[str] = "participant_name_changed"
    participant: str
    old_name: str
    new_name: str


@final
@attrs.frozen(kw_only=True)
class ParticipantAttributesChanged(Event):
    """A participant's attributes changed; a removed key appears with value ``""`` (client §2)."""

    name: ClassVar[str] = "participant_attributes_changed"
    participant: str
    changed_attributes: Mapping[str, str] = attrs.field(hash=False)


@final
@attrs.frozen(kw_only=True)
class ParticipantPermissionsChanged(Event):
    """A participant's permission set changed (any field, as in the Python SDK)."""

    name: ClassVar[str] = "participant_permissions_changed"
    participant: str
    old_permissions: Permission
    permissions: Permission


@final
@attrs.frozen(kw_only=True)
class ActiveSpeakersChanged(Event):
    """The active speakers changed; ``speakers`` as the Python SDK emits them."""

    name: ClassVar[str] = "active_speakers_changed"
    speakers: tuple[str, ...]


@final
@attrs.frozen(kw_only=True)
class IsSpeakingChanged(Event):
    """A participant started or stopped speaking (JS ``ParticipantEvent.IsSpeakingChanged``)."""

    name: ClassVar[str] = "is_speaking_changed"
    sdks: ClassVar[tuple[str, ...]] = ("js",)
    participant: str
    speaking: bool


@final
@attrs.frozen(kw_only=True)
class ConnectionQualityChanged(Event):
    """A connection-quality update arrived for a participant (local or remote)."""

    name: ClassVar[str] = "connection_quality_changed"
    participant: str
    quality: ConnectionQuality


@final
@attrs.frozen(kw_only=True)
class TrackStreamStateChanged(Event):
    """A subscribed video track paused or resumed (JS only)."""

    name: ClassVar[str] = "track_stream_state_changed"
    sdks: ClassVar[tuple[str, ...]] = ("js",)
    participant: str
    track_sid: str
    state: StreamState


@final
@attrs.frozen(kw_only=True)
class TrackSubscriptionPermissionChanged(Event):
    """The publisher allowed or denied this client a track it wants (JS only)."""

    name: ClassVar[str] = "track_subscription_permission_changed"
    sdks: ClassVar[tuple[str, ...]] = ("js",)
    participant: str
    track_sid: str
    allowed: bool


@final
@attrs.frozen(kw_only=True)
class RoomMetadataChanged(Event):
    """The room's metadata changed."""

    name: ClassVar[str] = "room_metadata_changed"
    old_metadata: str
    new_metadata: str


@final
@attrs.frozen(kw_only=True)
class DataReceived(Event):
    """A data packet arrived; ``participant`` is None for the server or a hidden sender."""

    name: ClassVar[str] = "data_received"
    participant: str | None
    data: bytes
    topic: str | None
    kind: DataPacketKind


@final
@attrs.frozen(kw_only=True)
class ConnectionStateChanged(Event):
    """This client's own connection state changed."""

    name: ClassVar[str] = "connection_state_changed"
    state: ConnectionState


@final
@attrs.frozen(kw_only=True)
class Disconnected(Event):
    """This client's own session ended."""

    name: ClassVar[str] = "disconnected"
    reason: DisconnectReason


@final
@attrs.frozen(kw_only=True)
class Reconnecting(Event):
    """This client lost its connection and is trying to resume it (faults §2.2)."""

    name: ClassVar[str] = "reconnecting"


@final
@attrs.frozen(kw_only=True)
class SignalReconnecting(Event):
    """This client lost its signal connection only and is resuming it (JS
    ``RoomEvent.SignalReconnecting``, faults §2.3)."""

    name: ClassVar[str] = "signal_reconnecting"
    sdks: ClassVar[tuple[str, ...]] = ("js",)


@final
@attrs.frozen(kw_only=True)
class Reconnected(Event):
    """This client's connection is back; its session (and sid) is the same (faults §2.2)."""

    name: ClassVar[str] = "reconnected"


@final
@attrs.frozen(kw_only=True)
class TokenRefreshed(Event):
    """The server sent this client a fresh token (faults §7); ``livekit.rtc`` passes no
    arguments.  JS has no public event for it."""

    name: ClassVar[str] = "token_refreshed"
    sdks: ClassVar[tuple[str, ...]] = ("python",)


@final
@attrs.frozen(kw_only=True)
class Moved(Event):
    """The server moved this client's participant to the room named ``room`` (faults §5):
    the client goes on there under a new sid.  ``livekit.rtc`` passes no arguments (its
    ``room.name`` is already the new one); JS passes the room's name."""

    name: ClassVar[str] = "moved"
    room: str


@final
@attrs.frozen(kw_only=True)
class RoomUpdated(Event):
    """The room's info changed (``livekit.rtc``'s ``room_updated``; faults §5).  roomsim
    emits it only on a move, whose room has another name: other ``RoomInfo`` updates
    (participant counts, recording) are not simulated.  JS has no such event."""

    name: ClassVar[str] = "room_updated"
    sdks: ClassVar[tuple[str, ...]] = ("python",)


ALL_EVENTS: Final[tuple[type[Event], ...]] = (
    ParticipantConnected,
    ParticipantActive,
    ParticipantDisconnected,
    TrackPublished,
    TrackUnpublished,
    LocalTrackPublished,
    LocalTrackUnpublished,
    LocalTrackSubscribed,
    LocalTrackRepublished,
    TrackSubscribed,
    TrackUnsubscribed,
    TrackSubscriptionFailed,
    TrackMuted,
    TrackUnmuted,
    ParticipantMetadataChanged,
    ParticipantNameChanged,
    ParticipantAttributesChanged,
    ParticipantPermissionsChanged,
    ActiveSpeakersChanged,
    IsSpeakingChanged,
    ConnectionQualityChanged,
    TrackStreamStateChanged,
    TrackSubscriptionPermissionChanged,
    RoomMetadataChanged,
    DataReceived,
    ConnectionStateChanged,
    Disconnected,
    Reconnecting,
    SignalReconnecting,
    Reconnected,
    TokenRefreshed,
    Moved,
    RoomUpdated,
)


def _slot_init(cls: type[Event]) -> None:
    """Give ``cls`` an ``__init__`` that fills its slots through their descriptors.

    attrs' frozen ``__init__`` sets each field with ``object.__setattr__`` (to get past the
    frozen ``__setattr__``); a slot's own descriptor does the same store for less than half
    the cost, which matters when a room makes an event per client per change (issue 21).
    Same signature (keyword-only, no defaults), same class: equality, hashing, ``repr``,
    pickling and ``attrs.fields`` are attrs' own.
    """
    names = [f.name for f in attrs.fields(cls)]
    assert all(
        f.default is attrs.NOTHING and f.converter is None and f.validator is None and f.init
        for f in attrs.fields(cls)
    ), f"{cls.__name__}: _slot_init handles plain fields only"
    namespace = {f"_set_{n}": cls.__dict__[n].__set__ for n in names}
    body = "".join(f"\n    _set_{n}(self, {n})" for n in names) or "\n    pass"
    params = ", *, " + ", ".join(names) if names else ""
    source = f"def __init__(self{params}) -> None:{body}\n"
    exec(compile(source, f"<roomsim event {cls.__name__}>", "exec"), namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = {**cls.__init__.__annotations__}
    type.__setattr__(cls, "__init__", init)


for _cls in ALL_EVENTS:
    _slot_init(_cls)

EVENTS_BY_NAME: Final[Mapping[str, type[Event]]] = {cls.name: cls for cls in ALL_EVENTS}

#: ``livekit.rtc`` events roomsim does not simulate yet, and why (listed in docs/)
NOT_SIMULATED: Final[Mapping[str, str]] = {
    "connected": "a client is connected when connect() returns; there is no connecting phase",
    "e2ee_state_changed": "end-to-end encryption is not simulated",
    "participant_encryption_status_changed": "end-to-end encryption is not simulated",
    "transcription_received": "transcription is not simulated",
    "sip_dtmf_received": "SIP DTMF is not simulated",
    "data_track_published": "data tracks are not simulated",
    "data_track_unpublished": "data tracks are not simulated",
    "participants_updated": "an internal SDK event that replaces state silently",
}
