"""The enums, the permission set and the snapshots that cross roomsim's API.

Every class here is a value: frozen, compared with ``==``, and referring to participants by
identity and to tracks by sid, never by live object.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, final

import attrs

from roomsim._validate import nbytes as utf8_length
from roomsim.errors import InvalidType

__all__ = [
    "ParticipantKind",
    "KindDetail",
    "ParticipantState",
    "TrackKind",
    "TrackSource",
    "ConnectionQuality",
    "StreamState",
    "DisconnectReason",
    "ConnectionState",
    "DataPacketKind",
    "InterruptKind",
    "Permission",
    "PublicationSnapshot",
    "ParticipantSnapshot",
    "EMPTY_MAP",
    "is_dependent",
    "utf8_length",
]

EMPTY_MAP: Final[Mapping[Any, Any]] = MappingProxyType({})


class _Enum(enum.Enum):
    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


@final
class ParticipantKind(_Enum):
    """What kind of client a participant is (protocol ``ParticipantInfo.Kind``)."""

    #: a person's app
    STANDARD = "standard"
    #: a stream brought in by LiveKit Ingress
    INGRESS = "ingress"
    #: a recorder (LiveKit Egress); dependent: it neither counts nor keeps the room open
    EGRESS = "egress"
    #: a SIP call
    SIP = "sip"
    #: an agent; dependent: it neither counts nor keeps the room open
    AGENT = "agent"
    #: a connector (WhatsApp, Twilio, ...)
    CONNECTOR = "connector"
    #: a bridge (RTSP, ...)
    BRIDGE = "bridge"


@final
class KindDetail(_Enum):
    """Extra detail on a participant's kind (protocol ``ParticipantInfo.KindDetail``)."""

    CLOUD_AGENT = "cloud_agent"
    FORWARDED = "forwarded"
    CONNECTOR_WHATSAPP = "connector_whatsapp"
    CONNECTOR_TWILIO = "connector_twilio"
    BRIDGE_RTSP = "bridge_rtsp"
    SIMULATION = "simulation"


@final
class ParticipantState(_Enum):
    """A session's lifecycle; it only moves forward (server §4)."""

    JOINING = "joining"
    JOINED = "joined"
    ACTIVE = "active"
    DISCONNECTED = "disconnected"


@final
class TrackKind(_Enum):
    """A media track's kind."""

    AUDIO = "audio"
    VIDEO = "video"


@final
class TrackSource(_Enum):
    """Where a track comes from; ``can_publish_sources`` lists these."""

    UNKNOWN = "unknown"
    CAMERA = "camera"
    MICROPHONE = "microphone"
    SCREEN_SHARE = "screen_share"
    SCREEN_SHARE_AUDIO = "screen_share_audio"


@final
class ConnectionQuality(_Enum):
    """A participant's connection quality as the SDK reports it; ``UNKNOWN`` before any update."""

    UNKNOWN = "unknown"
    POOR = "poor"
    GOOD = "good"
    EXCELLENT = "excellent"
    LOST = "lost"


@final
class StreamState(_Enum):
    """Whether a subscribed video track is flowing (JS ``Track.StreamState``)."""

    UNKNOWN = "unknown"
    ACTIVE = "active"
    PAUSED = "paused"


@final
class DisconnectReason(_Enum):
    """Why a session ended (protocol ``DisconnectReason``, server §11)."""

    UNKNOWN_REASON = "unknown_reason"
    CLIENT_INITIATED = "client_initiated"
    DUPLICATE_IDENTITY = "duplicate_identity"
    SERVER_SHUTDOWN = "server_shutdown"
    PARTICIPANT_REMOVED = "participant_removed"
    ROOM_DELETED = "room_deleted"
    STATE_MISMATCH = "state_mismatch"
    JOIN_FAILURE = "join_failure"
    MIGRATION = "migration"
    SIGNAL_CLOSE = "signal_close"
    ROOM_CLOSED = "room_closed"
    USER_UNAVAILABLE = "user_unavailable"
    USER_REJECTED = "user_rejected"
    SIP_TRUNK_FAILURE = "sip_trunk_failure"
    CONNECTION_TIMEOUT = "connection_timeout"
    MEDIA_FAILURE = "media_failure"
    AGENT_ERROR = "agent_error"


@final
class ConnectionState(_Enum):
    """A client's own connection (Python SDK ``ConnectionState``; JS adds
    ``SIGNAL_RECONNECTING``, faults §2.3)."""

    DISCONNECTED = "disconnected"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    #: JS only: the signal is lost but the peer connection is up (``'signalReconnecting'``)
    SIGNAL_RECONNECTING = "signal_reconnecting"


@final
class InterruptKind(_Enum):
    """What ``Room.interrupt`` cuts (faults §2.1, §10): only the WebSocket, or the whole
    network (signal, media and data channels)."""

    SIGNAL = "signal"
    NETWORK = "network"


@final
class DataPacketKind(_Enum):
    """How a data packet was sent."""

    LOSSY = "lossy"
    RELIABLE = "reliable"


def _check_bool(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not bool:
        raise InvalidType(
            f"Permission.{attribute.name} must be a bool, got {value!r} "
            f"(type {type(value).__name__}); pass True or False"
        )


def _to_sources(value: Any) -> tuple[TrackSource, ...]:
    if isinstance(value, TrackSource | str | bytes) or value is None:
        raise InvalidType(
            f"Permission.can_publish_sources must be a tuple of TrackSource, got {value!r} "
            f"(type {type(value).__name__}); pass e.g. (TrackSource.MICROPHONE,)"
        )
    if not isinstance(value, Iterable):
        raise InvalidType(
            f"Permission.can_publish_sources must be a tuple of TrackSource, got {value!r} "
            f"(type {type(value).__name__})"
        )
    out = tuple(value)
    for s in out:
        if not isinstance(s, TrackSource):
            raise InvalidType(
                f"Permission.can_publish_sources holds {s!r} (type {type(s).__name__}); "
                "every entry must be a TrackSource, e.g. TrackSource.CAMERA"
            )
    return out


def _default_publish_data(self: Any) -> bool:
    return bool(self.can_publish)


@final
@attrs.frozen(kw_only=True, init=False)
class Permission:
    """A participant's complete grant set (protocol ``ParticipantPermission``, server §3).

    Omitted fields take the token defaults: ``can_subscribe`` and ``can_publish`` are True,
    ``can_publish_data`` follows ``can_publish``, everything else is False or empty.  An update
    replaces the whole set.  An empty ``can_publish_sources`` allows every source.
    """

    can_subscribe: bool = attrs.field(default=True, validator=_check_bool)
    can_publish: bool = attrs.field(default=True, validator=_check_bool)
    can_publish_data: bool = attrs.field(
        default=attrs.Factory(_default_publish_data, takes_self=True), validator=_check_bool
    )
    hidden: bool = attrs.field(default=False, validator=_check_bool)
    recorder: bool = attrs.field(default=False, validator=_check_bool)
    can_publish_sources: tuple[TrackSource, ...] = attrs.field(default=(), converter=_to_sources)
    can_update_metadata: bool = attrs.field(default=False, validator=_check_bool)
    agent: bool = attrs.field(default=False, validator=_check_bool)
    can_subscribe_metrics: bool = attrs.field(default=False, validator=_check_bool)
    can_manage_agent_session: bool = attrs.field(default=False, validator=_check_bool)

    def __init__(
        self,
        *,
        can_subscribe: bool = True,
        can_publish: bool = True,
        can_publish_data: bool = attrs.NOTHING,  # type: ignore[assignment]
        hidden: bool = False,
        recorder: bool = False,
        can_publish_sources: Any = (),
        can_update_metadata: bool = False,
        agent: bool = False,
        can_subscribe_metrics: bool = False,
        can_manage_agent_session: bool = False,
    ) -> None:
        # bools and no sources, stored at once; anything else through attrs' own checks
        data: Any = can_publish_data
        if data is attrs.NOTHING and type(can_publish) is bool:
            data = can_publish
        if (
            type(can_subscribe) is bool
            and type(can_publish) is bool
            and type(data) is bool
            and type(hidden) is bool
            and type(recorder) is bool
            and type(can_publish_sources) is tuple
            and not can_publish_sources
            and type(can_update_metadata) is bool
            and type(agent) is bool
            and type(can_subscribe_metrics) is bool
            and type(can_manage_agent_session) is bool
        ):
            _set_can_subscribe(self, can_subscribe)
            _set_can_publish(self, can_publish)
            _set_can_publish_data(self, data)
            _set_hidden(self, hidden)
            _set_recorder(self, recorder)
            _set_can_publish_sources(self, ())
            _set_can_update_metadata(self, can_update_metadata)
            _set_agent(self, agent)
            _set_can_subscribe_metrics(self, can_subscribe_metrics)
            _set_can_manage_agent_session(self, can_manage_agent_session)
            return
        self.__attrs_init__(
            can_subscribe=can_subscribe,
            can_publish=can_publish,
            can_publish_data=can_publish_data,
            hidden=hidden,
            recorder=recorder,
            can_publish_sources=can_publish_sources,
            can_update_metadata=can_update_metadata,
            agent=agent,
            can_subscribe_metrics=can_subscribe_metrics,
            can_manage_agent_session=can_manage_agent_session,
        )

    def can_publish_source(self, source: TrackSource) -> bool:
        """Whether a track from ``source`` may be published under this grant set."""
        return self.can_publish and (
            not self.can_publish_sources or source in self.can_publish_sources
        )


# the slots' own setters, for ``Permission.__init__``'s common case
(
    _set_can_subscribe,
    _set_can_publish,
    _set_can_publish_data,
    _set_hidden,
    _set_recorder,
    _set_can_publish_sources,
    _set_can_update_metadata,
    _set_agent,
    _set_can_subscribe_metrics,
    _set_can_manage_agent_session,
) = (Permission.__dict__[a.name].__set__ for a in attrs.fields(Permission))

DEFAULT_PERMISSION: Final = Permission()


@final
@attrs.frozen(kw_only=True)
class PublicationSnapshot:
    """A track publication as one perspective sees it.

    ``subscribed``, ``stream_state`` and ``allowed`` describe a client's remote view of the
    track; they are ``None`` on the server's truth and on a participant's own (local) tracks.
    """

    sid: str
    name: str
    kind: TrackKind
    source: TrackSource
    muted: bool
    subscribed: bool | None = None
    stream_state: StreamState | None = None
    allowed: bool | None = None


@final
@attrs.frozen(kw_only=True)
class ParticipantSnapshot:
    """A participant session as one perspective (the server, or one client) sees it."""

    sid: str
    identity: str
    name: str
    metadata: str
    attributes: Mapping[str, str] = attrs.field(hash=False)
    kind: ParticipantKind
    kind_details: tuple[KindDetail, ...]
    state: ParticipantState
    permission: Permission
    joined_at: float
    disconnect_reason: DisconnectReason | None
    track_publications: Mapping[str, PublicationSnapshot] = attrs.field(hash=False)
    connection_quality: ConnectionQuality
    is_speaking: bool
    audio_level: float

    @property
    def dependent(self) -> bool:
        """Whether this participant neither counts toward ``max_participants`` nor keeps the
        room open (agents, egress and recorders; server §3, §4)."""
        return is_dependent(self.kind, self.permission)


def is_dependent(kind: ParticipantKind, permission: Permission) -> bool:
    """Agents, egress and recorders neither count toward ``max_participants`` nor keep a room
    open (server §3, §4): the one place this rule is written."""
    return (
        kind is ParticipantKind.AGENT
        or kind is ParticipantKind.EGRESS
        or permission.agent
        or permission.recorder
    )
