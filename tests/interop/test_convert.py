"""Conversion between roomsim values and LiveKit's messages, both numberings (client §12)."""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import Any

import attrs
import pytest

pytest.importorskip("livekit.rtc")
pytest.importorskip("livekit.protocol")

from hypothesis import given
from hypothesis import strategies as st
from livekit import rtc
from livekit.protocol import models

from roomsim import (
    ConnectionQuality,
    ConnectionState,
    DataPacketKind,
    DisconnectReason,
    InvalidArgument,
    InvalidType,
    KindDetail,
    ParticipantKind,
    ParticipantSnapshot,
    ParticipantState,
    Permission,
    PublicationSnapshot,
    Room,
    StreamState,
    TrackKind,
    TrackSource,
)
from roomsim.livekit import (
    RoomInfo,
    enum_from_proto,
    enum_from_rtc,
    from_proto,
    from_rtc,
    to_proto,
    to_rtc,
)

PROTO_ENUMS = (
    ParticipantKind,
    KindDetail,
    ParticipantState,
    TrackKind,
    TrackSource,
    ConnectionQuality,
    StreamState,
    DisconnectReason,
    DataPacketKind,
)
RTC_ENUMS = (*PROTO_ENUMS, ConnectionState)


def test_participant_kinds_use_each_packages_own_numbers() -> None:
    """Client §12: the protocol has CONNECTOR=7, BRIDGE=8; the Python SDK 5 and 6."""
    proto = {k.name: to_proto(k) for k in ParticipantKind}
    sdk = {k.name: to_rtc(k) for k in ParticipantKind}
    assert proto == {
        "STANDARD": 0,
        "INGRESS": 1,
        "EGRESS": 2,
        "SIP": 3,
        "AGENT": 4,
        "CONNECTOR": 7,
        "BRIDGE": 8,
    }
    assert sdk == {**proto, "CONNECTOR": 5, "BRIDGE": 6}
    assert sdk["BRIDGE"] == rtc.ParticipantKind.PARTICIPANT_KIND_BRIDGE
    assert [to_rtc(d) for d in KindDetail] == [to_proto(d) for d in KindDetail] == [*range(6)]


def test_the_other_enums_that_differ() -> None:
    assert (to_proto(TrackKind.AUDIO), to_proto(TrackKind.VIDEO)) == (0, 1)
    assert (to_rtc(TrackKind.AUDIO), to_rtc(TrackKind.VIDEO)) == (1, 2)
    assert to_proto(DataPacketKind.RELIABLE) == models.DataPacket.RELIABLE == 0
    assert to_rtc(DataPacketKind.RELIABLE) == rtc.DataPacketKind.KIND_RELIABLE == 1
    assert to_proto(StreamState.PAUSED) == 1 and to_rtc(StreamState.PAUSED) == 2
    assert to_rtc(TrackSource.SCREEN_SHARE) == rtc.TrackSource.SOURCE_SCREENSHARE
    assert to_rtc(ConnectionQuality.UNKNOWN) == rtc.ConnectionQuality.QUALITY_UNKNOWN
    assert int(rtc.ConnectionQuality.QUALITY_UNKNOWN) == -1
    with pytest.raises(InvalidArgument, match="never sends"):
        to_proto(ConnectionQuality.UNKNOWN)
    with pytest.raises(InvalidType):
        to_proto(ConnectionState.CONNECTED)
    with pytest.raises(InvalidArgument):
        enum_from_proto(ParticipantKind, 5)


@pytest.mark.parametrize("cls", PROTO_ENUMS, ids=lambda c: c.__name__)
def test_protocol_enums_round_trip(cls: type[enum.Enum]) -> None:
    for m in cls:
        if m.name == "UNKNOWN" and cls in (ConnectionQuality, StreamState):
            continue
        assert enum_from_proto(cls, to_proto(m)) is m


@pytest.mark.parametrize("cls", RTC_ENUMS, ids=lambda c: c.__name__)
def test_sdk_enums_round_trip(cls: type[enum.Enum]) -> None:
    for m in cls:
        if m is ConnectionState.SIGNAL_RECONNECTING:
            continue  # JS only (faults §2.3): livekit.rtc has no such state
        assert enum_from_rtc(cls, to_rtc(m)) is m


permissions = st.builds(
    Permission,
    can_subscribe=st.booleans(),
    can_publish=st.booleans(),
    can_publish_data=st.booleans(),
    hidden=st.booleans(),
    recorder=st.booleans(),
    can_publish_sources=st.lists(st.sampled_from(TrackSource), unique=True).map(tuple),
    can_update_metadata=st.booleans(),
    agent=st.booleans(),
    can_subscribe_metrics=st.booleans(),
    can_manage_agent_session=st.booleans(),
)
text = st.text(max_size=8)
publications = st.builds(
    PublicationSnapshot,
    sid=st.from_regex(r"TR_[0-9]{1,3}", fullmatch=True),
    name=text,
    kind=st.sampled_from(TrackKind),
    source=st.sampled_from(TrackSource),
    muted=st.booleans(),
)


@st.composite
def participants(draw: st.DrawFn) -> ParticipantSnapshot:
    state = draw(st.sampled_from(ParticipantState))
    reason = None
    if state is ParticipantState.DISCONNECTED:
        reason = draw(st.sampled_from(DisconnectReason))
    pubs = draw(st.lists(publications, unique_by=lambda p: p.sid, max_size=3))
    return ParticipantSnapshot(
        sid=draw(st.from_regex(r"PA_[0-9]{1,3}", fullmatch=True)),
        identity=draw(text),
        name=draw(text),
        metadata=draw(text),
        attributes=MappingProxyType(draw(st.dictionaries(text, text, max_size=3))),
        kind=draw(st.sampled_from(ParticipantKind)),
        kind_details=tuple(draw(st.lists(st.sampled_from(KindDetail), max_size=2))),
        state=state,
        permission=draw(permissions),
        joined_at=draw(st.integers(0, 10**9)) / 1000,
        disconnect_reason=reason,
        track_publications=MappingProxyType({p.sid: p for p in pubs}),
        connection_quality=ConnectionQuality.UNKNOWN,
        is_speaking=False,
        audio_level=0.0,
    )


rooms = st.builds(
    RoomInfo,
    sid=st.from_regex(r"RM_[0-9]{1,3}", fullmatch=True),
    name=text,
    metadata=text,
    empty_timeout=st.integers(0, 10**6),
    departure_timeout=st.integers(0, 10**6),
    max_participants=st.integers(0, 10**4),
    creation_time=st.integers(0, 10**9).map(lambda ms: ms / 1000),
    num_participants=st.integers(0, 10**4),
    num_publishers=st.integers(0, 10**4),
)


def _wire(msg: Any) -> Any:
    # what reaches the other side is the serialized message
    out = type(msg)()
    out.ParseFromString(msg.SerializeToString())
    return out


@given(permissions)
def test_permission_round_trips(p: Permission) -> None:
    assert from_proto(_wire(to_proto(p))) == p
    # the SDK's ParticipantPermission has no recorder and no agent field
    assert from_rtc(_wire(to_rtc(p))) == attrs.evolve(p, recorder=False, agent=False)


@given(publications)
def test_publication_round_trips(p: PublicationSnapshot) -> None:
    assert from_proto(_wire(to_proto(p))) == p
    assert from_rtc(_wire(to_rtc(p))) == p


@given(participants())
def test_participant_round_trips(p: ParticipantSnapshot) -> None:
    back = from_proto(_wire(to_proto(p)))
    assert back == p
    assert dict(back.attributes) == dict(p.attributes)
    assert dict(back.track_publications) == dict(p.track_publications)
    # the SDK's ParticipantInfo carries no tracks, recorder or agent
    sdk = from_rtc(_wire(to_rtc(p)))
    perm = attrs.evolve(p.permission, recorder=False, agent=False)
    assert sdk == attrs.evolve(p, track_publications=MappingProxyType({}), permission=perm)


@given(rooms)
def test_room_info_round_trips(r: RoomInfo) -> None:
    assert from_proto(_wire(to_proto(r))) == r
    assert from_rtc(_wire(to_rtc(r))) == r


def test_a_rooms_participants_convert_as_a_server_sends_them() -> None:
    room = Room("standup")
    alice = room.connect("alice", attributes={"role": "host"}, kind=ParticipantKind.SIP)
    alice.publish_track(TrackKind.VIDEO, TrackSource.SCREEN_SHARE, name="screen")
    room.connect("agent", kind=ParticipantKind.AGENT)
    info = to_proto(room.participants["alice"])
    assert info.kind == models.ParticipantInfo.SIP and info.is_publisher
    assert info.tracks[0].type == models.TrackType.VIDEO and info.tracks[0].name == "screen"
    assert info.permission.can_publish and dict(info.attributes) == {"role": "host"}
    # what the message can't carry comes back as "not known": the quality
    server = attrs.evolve(room.participants["alice"], connection_quality=ConnectionQuality.UNKNOWN)
    assert from_proto(info) == server
    r = to_proto(RoomInfo.of(room))
    assert (r.name, r.sid, r.empty_timeout, r.departure_timeout) == ("standup", "RM_1", 300, 20)
    # the agent is not counted (server §3)
    assert (r.num_participants, r.num_publishers) == (1, 1)


def test_wrong_types_are_refused() -> None:
    with pytest.raises(InvalidType):
        to_proto("alice")  # type: ignore[call-overload]
    with pytest.raises(InvalidType):
        from_proto(object())  # type: ignore[call-overload]
    with pytest.raises(InvalidType):
        to_rtc(3)  # type: ignore[call-overload]
    with pytest.raises(InvalidType):
        from_rtc(models.Room())  # type: ignore[call-overload]
