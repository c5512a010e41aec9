"""Conversion between roomsim values and LiveKit's protocol messages.

Two families of messages, two numberings:

- ``livekit.protocol.models`` (the signalling protocol a server speaks, package
  ``livekit-protocol``): :func:`to_proto`, :func:`from_proto`, :func:`enum_from_proto`;
- ``livekit.rtc._proto`` (the FFI messages the Python SDK's Rust core sends, package
  ``livekit``): :func:`to_rtc`, :func:`from_rtc`, :func:`enum_from_rtc`.

They disagree on numbers: the protocol's ``ParticipantInfo.Kind`` has CONNECTOR=7, BRIDGE=8
where the Python SDK has CONNECTOR=5, BRIDGE=6 (client §12); the protocol's
``TrackType`` is AUDIO=0, VIDEO=1 where the SDK's ``TrackKind`` is KIND_AUDIO=1, KIND_VIDEO=2;
the protocol's ``DataPacket.Kind`` is RELIABLE=0, LOSSY=1 where the SDK's is KIND_LOSSY=0,
KIND_RELIABLE=1.  Every table below is resolved by name from the installed generated code, so
a renumbering upstream shows up here rather than as a silently wrong number.

What the messages cannot carry comes back as roomsim's "not known" value: a participant's
``connection_quality`` (UNKNOWN), ``is_speaking`` (False) and ``audio_level`` (0.0); a
publication's remote-view fields (``subscribed``, ``stream_state``, ``allowed``: None).  The
SDK's ``ParticipantPermission`` has no ``recorder`` and no ``agent`` field: :func:`to_rtc`
drops them and :func:`from_rtc` reads them as False.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, TypeVar, final, overload

import attrs
from livekit.protocol import models as _pm
from livekit.protocol import rtc as _prtc
from livekit.rtc._proto import e2ee_pb2 as _fe
from livekit.rtc._proto import participant_pb2 as _fp
from livekit.rtc._proto import room_pb2 as _fr
from livekit.rtc._proto import track_pb2 as _ft

from roomsim.errors import InvalidArgument, InvalidType
from roomsim.model import (
    ConnectionQuality,
    ConnectionState,
    DataPacketKind,
    DisconnectReason,
    KindDetail,
    ParticipantKind,
    ParticipantSnapshot,
    ParticipantState,
    Permission,
    PublicationSnapshot,
    StreamState,
    TrackKind,
    TrackSource,
)

__all__ = [
    "RoomInfo",
    "to_proto",
    "from_proto",
    "enum_from_proto",
    "to_rtc",
    "from_rtc",
    "enum_from_rtc",
    "rtc_track_info",
]

_E = TypeVar("_E", bound=enum.Enum)


@final
@attrs.frozen(kw_only=True)
class RoomInfo:
    """A room as LiveKit describes it (protocol ``Room``, the SDK's ``RoomInfo``).

    Times are roomsim's virtual seconds; the messages carry whole seconds for the timeouts
    and milliseconds (``creation_time_ms``) or seconds (``creation_time``) for the creation
    time.  ``num_participants`` counts what the server counts (server §3).
    """

    sid: str
    name: str
    metadata: str = ""
    empty_timeout: int = 0
    departure_timeout: int = 0
    max_participants: int = 0
    creation_time: float = 0.0
    num_participants: int = 0
    num_publishers: int = 0

    @classmethod
    def of(cls, room: Any) -> RoomInfo:
        """The info of a ``roomsim.Room`` as a server would send it now."""
        parts = room.participants.values()
        counted = [p for p in parts if not _dependent(p)]
        return cls(
            sid=room.sid,
            name=room.name,
            metadata=room.metadata,
            empty_timeout=int(room.config.empty_timeout),
            departure_timeout=int(room.config.departure_timeout),
            max_participants=room.config.max_participants,
            creation_time=float(room.created_at),
            num_participants=len(counted),
            num_publishers=sum(1 for p in parts if p.track_publications),
        )


def _dependent(p: ParticipantSnapshot) -> bool:
    return (
        p.kind in (ParticipantKind.AGENT, ParticipantKind.EGRESS)
        or p.permission.agent
        or p.permission.recorder
    )


# --------------------------------------------------------------------------------------------
# enum tables: roomsim member -> (number in the protocol, number in the Python SDK)


class _Table:
    __slots__ = ("cls", "fwd", "rev", "where")

    def __init__(self, cls: type[enum.Enum], where: str, fwd: dict[enum.Enum, int]) -> None:
        self.cls = cls
        self.where = where
        self.fwd = fwd
        self.rev = {n: m for m, n in fwd.items()}


def _table(
    cls: type[enum.Enum],
    wrapper: Any,
    prefix: str = "",
    *,
    names: Mapping[str, str] | None = None,
    skip: tuple[str, ...] = (),
) -> _Table:
    """Resolve each member of ``cls`` by name (``prefix + member.name`` unless ``names``)."""
    if names is None:
        names = {m.name: prefix + m.name for m in cls if m.name not in skip}
    fwd = {cls[m]: int(wrapper.Value(n)) for m, n in names.items()}
    return _Table(cls, wrapper.DESCRIPTOR.full_name, fwd)


_UNKNOWN = ("UNKNOWN",)

_PROTO: Final[dict[type[enum.Enum], _Table]] = {
    t.cls: t
    for t in (
        _table(ParticipantKind, _pm.ParticipantInfo.Kind),
        _table(KindDetail, _pm.ParticipantInfo.KindDetail),
        _table(ParticipantState, _pm.ParticipantInfo.State),
        _table(TrackKind, _pm.TrackType),
        _table(TrackSource, _pm.TrackSource),
        _table(ConnectionQuality, _pm.ConnectionQuality, skip=_UNKNOWN),
        _table(StreamState, _prtc.StreamState, skip=_UNKNOWN),
        _table(DisconnectReason, _pm.DisconnectReason),
        _table(DataPacketKind, _pm.DataPacket.Kind),
    )
}

_SOURCE_RTC: Final = {
    "UNKNOWN": "SOURCE_UNKNOWN",
    "CAMERA": "SOURCE_CAMERA",
    "MICROPHONE": "SOURCE_MICROPHONE",
    "SCREEN_SHARE": "SOURCE_SCREENSHARE",
    "SCREEN_SHARE_AUDIO": "SOURCE_SCREENSHARE_AUDIO",
}

_RTC: Final[dict[type[enum.Enum], _Table]] = {
    t.cls: t
    for t in (
        _table(ParticipantKind, _fp.ParticipantKind, "PARTICIPANT_KIND_"),
        _table(KindDetail, _fp.ParticipantKindDetail, "PARTICIPANT_KIND_DETAIL_"),
        _table(ParticipantState, _fp.ParticipantState, "PARTICIPANT_STATE_"),
        _table(TrackKind, _ft.TrackKind, "KIND_"),
        _table(TrackSource, _ft.TrackSource, names=_SOURCE_RTC),
        _table(StreamState, _ft.StreamState, "STATE_"),
        _table(DisconnectReason, _fp.DisconnectReason),
        _table(ConnectionState, _fr.ConnectionState, "CONN_", skip=("SIGNAL_RECONNECTING",)),
        _table(DataPacketKind, _fr.DataPacketKind, "KIND_"),
    )
}

# the Python SDK's rtc.ConnectionQuality adds QUALITY_UNKNOWN = -1 (no FFI number: proto2 enum)
_RTC[ConnectionQuality] = _Table(
    ConnectionQuality,
    "rtc.ConnectionQuality",
    {
        **_table(ConnectionQuality, _fr.ConnectionQuality, "QUALITY_", skip=_UNKNOWN).fwd,
        ConnectionQuality.UNKNOWN: -1,
    },
)


def _enum_to(tables: dict[type[enum.Enum], _Table], family: str, value: enum.Enum) -> int:
    table = tables.get(type(value))
    if table is None:
        raise InvalidType(f"{value!r} has no {family} counterpart")
    n = table.fwd.get(value)
    if n is None:
        raise InvalidArgument(
            f"{value!r} has no number in the {family} {table.where} enum; roomsim uses it for "
            "'not known yet', which LiveKit never sends"
        )
    return n


def _enum_from(tables: dict[type[enum.Enum], _Table], family: str, cls: type[_E], n: int) -> _E:
    table = tables.get(cls)
    if table is None:
        raise InvalidType(f"{cls.__name__} has no {family} counterpart")
    member = table.rev.get(int(n))
    if member is None:
        raise InvalidArgument(f"{n!r} is not a value of the {family} {table.where} enum")
    assert isinstance(member, cls)
    return member


def enum_from_proto(cls: type[_E], number: int) -> _E:
    """The roomsim member of ``cls`` for a number of the protocol's matching enum."""
    return _enum_from(_PROTO, "protocol", cls, number)


def enum_from_rtc(cls: type[_E], number: int) -> _E:
    """The roomsim member of ``cls`` for a number of the Python SDK's matching enum."""
    return _enum_from(_RTC, "Python SDK", cls, number)


# --------------------------------------------------------------------------------------------
# the protocol (livekit-protocol)


def _ms(t: float) -> int:
    return round(t * 1000)


@overload
def to_proto(value: Permission) -> _pm.ParticipantPermission: ...
@overload
def to_proto(value: PublicationSnapshot) -> _pm.TrackInfo: ...
@overload
def to_proto(value: ParticipantSnapshot) -> _pm.ParticipantInfo: ...
@overload
def to_proto(value: RoomInfo) -> _pm.Room: ...
@overload
def to_proto(value: enum.Enum) -> Any: ...  # an int; Any fits the generated enum ValueTypes
def to_proto(value: Any) -> Any:
    """The ``livekit.protocol.models`` message (or enum number) for a roomsim value."""
    if isinstance(value, enum.Enum):
        return _enum_to(_PROTO, "protocol", value)
    if isinstance(value, Permission):
        return _pm.ParticipantPermission(
            can_subscribe=value.can_subscribe,
            can_publish=value.can_publish,
            can_publish_data=value.can_publish_data,
            can_publish_sources=[to_proto(s) for s in value.can_publish_sources],
            hidden=value.hidden,
            recorder=value.recorder,
            can_update_metadata=value.can_update_metadata,
            agent=value.agent,
            can_subscribe_metrics=value.can_subscribe_metrics,
            can_manage_agent_session=value.can_manage_agent_session,
        )
    if isinstance(value, PublicationSnapshot):
        return _pm.TrackInfo(
            sid=value.sid,
            type=to_proto(value.kind),
            name=value.name,
            muted=value.muted,
            source=to_proto(value.source),
        )
    if isinstance(value, ParticipantSnapshot):
        return _pm.ParticipantInfo(
            sid=value.sid,
            identity=value.identity,
            state=to_proto(value.state),
            tracks=[to_proto(t) for t in value.track_publications.values()],
            metadata=value.metadata,
            joined_at=int(value.joined_at),
            joined_at_ms=_ms(value.joined_at),
            name=value.name,
            permission=to_proto(value.permission),
            is_publisher=bool(value.track_publications),
            kind=to_proto(value.kind),
            attributes=dict(value.attributes),
            disconnect_reason=(
                to_proto(value.disconnect_reason or DisconnectReason.UNKNOWN_REASON)
            ),
            kind_details=[to_proto(d) for d in value.kind_details],
        )
    if isinstance(value, RoomInfo):
        return _pm.Room(
            sid=value.sid,
            name=value.name,
            empty_timeout=value.empty_timeout,
            departure_timeout=value.departure_timeout,
            max_participants=value.max_participants,
            creation_time=int(value.creation_time),
            creation_time_ms=_ms(value.creation_time),
            metadata=value.metadata,
            num_participants=value.num_participants,
            num_publishers=value.num_publishers,
        )
    raise InvalidType(
        f"to_proto() takes a Permission, PublicationSnapshot, ParticipantSnapshot, RoomInfo or "
        f"roomsim enum member, got {value!r} (type {type(value).__name__})"
    )


def _permission_from(msg: Any, proto: bool) -> Permission:
    conv = enum_from_proto if proto else enum_from_rtc
    return Permission(
        can_subscribe=msg.can_subscribe,
        can_publish=msg.can_publish,
        can_publish_data=msg.can_publish_data,
        hidden=msg.hidden,
        recorder=msg.recorder if proto else False,
        can_publish_sources=tuple(conv(TrackSource, s) for s in msg.can_publish_sources),
        can_update_metadata=msg.can_update_metadata,
        agent=msg.agent if proto else False,
        can_subscribe_metrics=msg.can_subscribe_metrics,
        can_manage_agent_session=msg.can_manage_agent_session,
    )


def _reason_from(state: ParticipantState, n: int, proto: bool) -> DisconnectReason | None:
    # 0 is UNKNOWN_REASON, which the messages also use for "not disconnected"
    if n == 0 and state is not ParticipantState.DISCONNECTED:
        return None
    conv = enum_from_proto if proto else enum_from_rtc
    return conv(DisconnectReason, n)


@overload
def from_proto(msg: _pm.ParticipantPermission) -> Permission: ...
@overload
def from_proto(msg: _pm.TrackInfo) -> PublicationSnapshot: ...
@overload
def from_proto(msg: _pm.ParticipantInfo) -> ParticipantSnapshot: ...
@overload
def from_proto(msg: _pm.Room) -> RoomInfo: ...
def from_proto(msg: Any) -> Any:
    """The roomsim value for a ``livekit.protocol.models`` message."""
    if isinstance(msg, _pm.ParticipantPermission):
        return _permission_from(msg, proto=True)
    if isinstance(msg, _pm.TrackInfo):
        return PublicationSnapshot(
            sid=msg.sid,
            name=msg.name,
            kind=enum_from_proto(TrackKind, msg.type),
            source=enum_from_proto(TrackSource, msg.source),
            muted=msg.muted,
        )
    if isinstance(msg, _pm.ParticipantInfo):
        state = enum_from_proto(ParticipantState, msg.state)
        pubs = {t.sid: from_proto(t) for t in msg.tracks}
        return ParticipantSnapshot(
            sid=msg.sid,
            identity=msg.identity,
            name=msg.name,
            metadata=msg.metadata,
            attributes=MappingProxyType(dict(msg.attributes)),
            kind=enum_from_proto(ParticipantKind, msg.kind),
            kind_details=tuple(enum_from_proto(KindDetail, d) for d in msg.kind_details),
            state=state,
            permission=from_proto(msg.permission),
            joined_at=(msg.joined_at_ms / 1000) if msg.joined_at_ms else float(msg.joined_at),
            disconnect_reason=_reason_from(state, msg.disconnect_reason, proto=True),
            track_publications=MappingProxyType(pubs),
            connection_quality=ConnectionQuality.UNKNOWN,
            is_speaking=False,
            audio_level=0.0,
        )
    if isinstance(msg, _pm.Room):
        return RoomInfo(
            sid=msg.sid,
            name=msg.name,
            metadata=msg.metadata,
            empty_timeout=msg.empty_timeout,
            departure_timeout=msg.departure_timeout,
            max_participants=msg.max_participants,
            creation_time=(
                msg.creation_time_ms / 1000 if msg.creation_time_ms else float(msg.creation_time)
            ),
            num_participants=msg.num_participants,
            num_publishers=msg.num_publishers,
        )
    raise InvalidType(
        f"from_proto() takes a livekit.protocol.models ParticipantPermission, TrackInfo, "
        f"ParticipantInfo or Room, got {type(msg).__name__}"
    )


# --------------------------------------------------------------------------------------------
# the Python SDK's FFI messages (livekit)


@overload
def to_rtc(value: Permission) -> _fp.ParticipantPermission: ...
@overload
def to_rtc(value: PublicationSnapshot) -> _ft.TrackPublicationInfo: ...
@overload
def to_rtc(value: ParticipantSnapshot) -> _fp.ParticipantInfo: ...
@overload
def to_rtc(value: RoomInfo) -> _fr.RoomInfo: ...
@overload
def to_rtc(value: enum.Enum) -> Any: ...  # an int; Any fits the generated enum ValueTypes
def to_rtc(value: Any) -> Any:
    """The ``livekit.rtc`` FFI message (or enum number) the Python SDK uses for a value.

    Publications and participants come out as the SDK holds them, without FFI handles; a
    participant's tracks are not part of the SDK's ``ParticipantInfo``.
    """
    if isinstance(value, enum.Enum):
        return _enum_to(_RTC, "Python SDK", value)
    if isinstance(value, Permission):
        return _fp.ParticipantPermission(
            can_subscribe=value.can_subscribe,
            can_publish=value.can_publish,
            can_publish_data=value.can_publish_data,
            can_publish_sources=[to_rtc(s) for s in value.can_publish_sources],
            hidden=value.hidden,
            can_update_metadata=value.can_update_metadata,
            can_subscribe_metrics=value.can_subscribe_metrics,
            can_manage_agent_session=value.can_manage_agent_session,
        )
    if isinstance(value, PublicationSnapshot):
        return _ft.TrackPublicationInfo(
            sid=value.sid,
            name=value.name,
            kind=to_rtc(value.kind),
            source=to_rtc(value.source),
            simulcasted=False,
            width=0,
            height=0,
            mime_type="",
            muted=value.muted,
            remote=value.subscribed is not None,
            encryption_type=_fe.EncryptionType.NONE,
        )
    if isinstance(value, ParticipantSnapshot):
        return _fp.ParticipantInfo(
            sid=value.sid,
            name=value.name,
            identity=value.identity,
            state=to_rtc(value.state),
            metadata=value.metadata,
            attributes=dict(value.attributes),
            kind=to_rtc(value.kind),
            disconnect_reason=(to_rtc(value.disconnect_reason or DisconnectReason.UNKNOWN_REASON)),
            joined_at=_ms(value.joined_at),
            kind_details=[to_rtc(d) for d in value.kind_details],
            permission=to_rtc(value.permission),
            client_protocol=0,
        )
    if isinstance(value, RoomInfo):
        return _fr.RoomInfo(
            sid=value.sid,
            name=value.name,
            metadata=value.metadata,
            empty_timeout=value.empty_timeout,
            departure_timeout=value.departure_timeout,
            max_participants=value.max_participants,
            creation_time=_ms(value.creation_time),
            num_participants=value.num_participants,
            num_publishers=value.num_publishers,
            active_recording=False,
            # data channels are not simulated: no buffered-amount thresholds
            lossy_dc_buffered_amount_low_threshold=0,
            reliable_dc_buffered_amount_low_threshold=0,
        )
    raise InvalidType(
        f"to_rtc() takes a Permission, PublicationSnapshot, ParticipantSnapshot, RoomInfo or "
        f"roomsim enum member, got {value!r} (type {type(value).__name__})"
    )


@overload
def from_rtc(msg: _fp.ParticipantPermission) -> Permission: ...
@overload
def from_rtc(msg: _ft.TrackPublicationInfo) -> PublicationSnapshot: ...
@overload
def from_rtc(msg: _fp.ParticipantInfo) -> ParticipantSnapshot: ...
@overload
def from_rtc(msg: _fr.RoomInfo) -> RoomInfo: ...
def from_rtc(msg: Any) -> Any:
    """The roomsim value for a ``livekit.rtc`` FFI message (tracks: none, see to_rtc)."""
    if isinstance(msg, _fp.ParticipantPermission):
        return _permission_from(msg, proto=False)
    if isinstance(msg, _ft.TrackPublicationInfo):
        return PublicationSnapshot(
            sid=msg.sid,
            name=msg.name,
            kind=enum_from_rtc(TrackKind, msg.kind),
            source=enum_from_rtc(TrackSource, msg.source),
            muted=msg.muted,
        )
    if isinstance(msg, _fp.ParticipantInfo):
        state = enum_from_rtc(ParticipantState, msg.state)
        return ParticipantSnapshot(
            sid=msg.sid,
            identity=msg.identity,
            name=msg.name,
            metadata=msg.metadata,
            attributes=MappingProxyType(dict(msg.attributes)),
            kind=enum_from_rtc(ParticipantKind, msg.kind),
            kind_details=tuple(enum_from_rtc(KindDetail, d) for d in msg.kind_details),
            state=state,
            permission=from_rtc(msg.permission),
            joined_at=msg.joined_at / 1000,
            disconnect_reason=_reason_from(state, msg.disconnect_reason, proto=False),
            track_publications=MappingProxyType({}),
            connection_quality=ConnectionQuality.UNKNOWN,
            is_speaking=False,
            audio_level=0.0,
        )
    if isinstance(msg, _fr.RoomInfo):
        return RoomInfo(
            sid=msg.sid,
            name=msg.name,
            metadata=msg.metadata,
            empty_timeout=msg.empty_timeout,
            departure_timeout=msg.departure_timeout,
            max_participants=msg.max_participants,
            creation_time=msg.creation_time / 1000,
            num_participants=msg.num_participants,
            num_publishers=msg.num_publishers,
        )
    raise InvalidType(
        f"from_rtc() takes a livekit.rtc FFI ParticipantPermission, TrackPublicationInfo, "
        f"ParticipantInfo or RoomInfo, got {type(msg).__name__}"
    )


def rtc_track_info(pub: PublicationSnapshot, *, remote: bool) -> _ft.TrackInfo:
    """The SDK's ``TrackInfo`` for the media track behind a publication."""
    state = pub.stream_state if pub.stream_state is not None else StreamState.UNKNOWN
    return _ft.TrackInfo(
        sid=pub.sid,
        name=pub.name,
        kind=to_rtc(pub.kind),
        stream_state=to_rtc(state),
        muted=pub.muted,
        remote=remote,
    )
