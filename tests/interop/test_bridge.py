"""The bridge: a real ``livekit.rtc.Room`` fed a roomsim client's events (client §1c, §14).

Each event reaches the SDK's own ``Room._on_room_event`` as the FFI ``RoomEvent``; these tests
check the handlers' arguments are the SDK's objects in the order §1c gives.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

rtc = pytest.importorskip("livekit.rtc")

from livekit.rtc._ffi_client import FfiClient  # noqa: E402

from roomsim import (  # noqa: E402
    ConnectionQuality,
    ConnectionState,
    DataPacketKind,
    DisconnectReason,
    HandlerError,
    InternalError,
    InvalidArgument,
    ParticipantKind,
    Permission,
    Room,
    TrackKind,
    TrackSource,
)
from roomsim import events as E  # noqa: E402
from roomsim.livekit import (  # noqa: E402
    FED_EVENTS,
    ROOMSIM_ONLY_EVENTS,
    NotBridged,
    UnsupportedVersion,
    bridge_of,
    check_versions,
    rtc_room,
    to_rtc,
)

AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO
MIC, CAM = TrackSource.MICROPHONE, TrackSource.CAMERA
META = Permission(can_update_metadata=True)


def _record(sdk: Any, *names: str) -> list[tuple[Any, ...]]:
    got: list[tuple[Any, ...]] = []
    for name in names:
        sdk.on(name, lambda *args, _n=name: got.append((_n, *args)))
    return got


def test_the_room_is_set_up_as_connect_sets_it_up() -> None:
    """Client §13/§14: those already there, their publications, subscriptions, as state."""
    room = Room("standup")
    room.update_room_metadata("agenda")
    alice = room.connect("alice", name="Alice", attributes={"role": "host"}, permission=META)
    mic = alice.publish_track(AUDIO, MIC, name="mic")
    cam = alice.publish_track(VIDEO, CAM, muted=True)
    room.connect("agent", kind=ParticipantKind.AGENT)
    bob = room.connect("bob", auto_subscribe=False)
    bob.set_subscribed("alice", cam, True)
    own = bob.publish_track(AUDIO, MIC)
    sdk = rtc_room(bob)
    assert isinstance(sdk, rtc.Room)
    assert sdk.isconnected() and sdk.connection_state == rtc.ConnectionState.CONN_CONNECTED
    assert (sdk.name, sdk.metadata) == ("standup", "agenda")
    assert sdk.local_participant.identity == "bob"
    lpub = sdk.local_participant.track_publications[own]
    assert isinstance(lpub.track, rtc.LocalAudioTrack) and lpub.track.sid == own
    assert list(sdk.remote_participants) == ["alice", "agent"]
    a = sdk.remote_participants["alice"]
    assert (a.sid, a.name, a.attributes) == (alice.sid, "Alice", {"role": "host"})
    assert a.kind == rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD
    assert sdk.remote_participants["agent"].kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT
    assert a.permissions.can_update_metadata
    assert a.state == rtc.ParticipantState.PARTICIPANT_STATE_ACTIVE
    pubs = a.track_publications
    assert (pubs[mic].name, pubs[mic].subscribed, pubs[mic].track) == ("mic", False, None)
    assert pubs[cam].subscribed and pubs[cam].muted
    assert isinstance(pubs[cam].track, rtc.RemoteVideoTrack)
    # the qualities the client knows are state too
    known = bob.remote_participants["alice"].connection_quality
    assert a.connection_quality == rtc.ConnectionQuality(to_rtc(known))


def test_participant_and_track_events_reach_handlers_with_sdk_objects() -> None:
    """Client §1c: argument shapes; §10: a leaver's tracks go before it does."""
    room = Room("r")
    bob = room.connect("bob")
    sdk = rtc_room(bob)
    got = _record(
        sdk,
        "participant_connected",
        "participant_active",
        "track_published",
        "track_subscribed",
        "track_muted",
        "track_unmuted",
        "track_unsubscribed",
        "track_unpublished",
        "participant_disconnected",
    )
    carol = room.connect("carol", active=False)
    carol.activate()
    mic = carol.publish_track(AUDIO, MIC)
    carol.set_track_muted(mic, True)
    carol.set_track_muted(mic, False)
    carol.disconnect()
    names = [g[0] for g in got]
    assert names == [
        "participant_connected",
        "participant_active",
        "track_published",
        "track_subscribed",
        "track_muted",
        "track_unmuted",
        "track_unsubscribed",
        "track_unpublished",
        "participant_disconnected",
    ]
    rp = got[0][1]
    assert isinstance(rp, rtc.RemoteParticipant) and rp.identity == "carol"
    _, track, pub, who = got[3]
    assert isinstance(track, rtc.RemoteAudioTrack) and pub.sid == mic and who is rp
    assert got[4][1:] == (rp, pub) and got[6][1:] == (track, pub, rp)
    assert rp.disconnect_reason == rtc.DisconnectReason.CLIENT_INITIATED
    assert sdk.remote_participants == {}


def test_changes_carry_old_and_new_values() -> None:
    """Client §1c: (participant, old, new); attributes (changed, participant) with ''."""
    room = Room("r")
    alice = room.connect("alice", name="A", attributes={"role": "host"}, permission=META)
    bob = room.connect("bob")
    sdk = rtc_room(bob)
    got = _record(
        sdk,
        "participant_name_changed",
        "participant_metadata_changed",
        "participant_attributes_changed",
        "participant_permissions_changed",
        "room_metadata_changed",
    )
    alice.set_name("Alice")
    alice.set_metadata("m")
    alice.set_attributes({"role": "", "mood": "ok"})
    room.update_participant("alice", permission=Permission(can_publish=False))
    room.update_room_metadata("r1")
    a = sdk.remote_participants["alice"]
    assert got == [
        ("participant_name_changed", a, "A", "Alice"),
        ("participant_metadata_changed", a, "", "m"),
        ("participant_attributes_changed", {"role": "", "mood": "ok"}, a),
        ("participant_permissions_changed", a, a.permissions),
        ("room_metadata_changed", "", "r1"),
    ]
    assert a.attributes == {"mood": "ok"}
    assert not a.permissions.can_publish and not a.permissions.can_publish_data


def test_local_events_use_the_local_participant() -> None:
    room = Room("r")
    bob = room.connect("bob", permission=META)
    sdk = rtc_room(bob)
    got = _record(
        sdk,
        "local_track_published",
        "local_track_subscribed",
        "track_muted",
        "local_track_unpublished",
        "participant_attributes_changed",
    )
    mic = bob.publish_track(AUDIO, MIC)
    room.connect("carol")
    bob.set_track_muted(mic, True)
    bob.set_attributes({"k": "v"})
    bob.unpublish_track(mic)
    lp = sdk.local_participant
    (_, pub, track), (_, sub_track), (_, who, mpub), (_, ch, who2), (_, upub) = got
    assert isinstance(pub, rtc.LocalTrackPublication) and isinstance(track, rtc.LocalAudioTrack)
    assert sub_track is track and pub._first_subscription.done()
    assert (who, mpub, mpub.muted) == (lp, pub, True)
    assert (ch, who2, lp.attributes) == ({"k": "v"}, lp, {"k": "v"})
    assert upub is pub and lp.track_publications == {}


def test_data_arrives_as_a_data_packet() -> None:
    room = Room("r")
    alice = room.connect("alice")
    hidden = room.connect("ghost", permission=Permission(hidden=True))
    sdk = rtc_room(room.connect("bob"))
    got = _record(sdk, "data_received")
    alice.send_data(b"hi", topic="chat", reliable=False)
    hidden.send_data("boo")
    room.send_data(b"")
    (_, p1), (_, p2), (_, p3) = got
    assert (p1.data, p1.topic, p1.kind) == (b"hi", "chat", rtc.DataPacketKind.KIND_LOSSY)
    assert p1.participant is sdk.remote_participants["alice"]
    # a hidden or server sender is None; roomsim's topic None is the SDK's ""
    assert (p2.data, p2.participant, p2.topic) == (b"boo", None, "")
    assert (p3.data, p3.participant, p3.kind) == (b"", None, rtc.DataPacketKind.KIND_RELIABLE)


def test_own_disconnect_changes_connection_state_then_emits_disconnected() -> None:
    room = Room("r")
    bob = room.connect("bob")
    sdk = rtc_room(bob)
    got = _record(sdk, "connection_state_changed", "disconnected")
    room.remove_participant("bob")
    assert got == [
        ("connection_state_changed", rtc.ConnectionState.CONN_DISCONNECTED),
        ("disconnected", rtc.DisconnectReason.PARTICIPANT_REMOVED),
    ]
    assert not sdk.isconnected()


def test_speakers_and_quality_events_are_fed() -> None:
    """Client §6/§7: speakers as the SDK's participants; quality (participant, quality)."""
    room = Room("r")
    room.connect("alice")
    bob = room.connect("bob")
    sdk = rtc_room(bob)
    got = _record(sdk, "active_speakers_changed", "connection_quality_changed")
    feed = bridge_of(sdk)._feed
    feed(E.ActiveSpeakersChanged(speakers=("bob", "alice")))
    feed(E.ActiveSpeakersChanged(speakers=()))
    feed(E.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.POOR))
    a, lp = sdk.remote_participants["alice"], sdk.local_participant
    assert got == [
        ("active_speakers_changed", [lp, a]),
        ("active_speakers_changed", []),
        ("connection_quality_changed", a, rtc.ConnectionQuality.QUALITY_POOR),
    ]
    assert a.connection_quality == rtc.ConnectionQuality.QUALITY_POOR
    with pytest.raises(InternalError, match="UNKNOWN"):
        feed(E.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.UNKNOWN))


def test_js_only_events_are_not_fed() -> None:
    assert {c.name for c in ROOMSIM_ONLY_EVENTS} == {
        "is_speaking_changed",
        "track_stream_state_changed",
        "track_subscription_permission_changed",
        "signal_reconnecting",
    }
    assert set(FED_EVENTS) | set(ROOMSIM_ONLY_EVENTS) == set(E.ALL_EVENTS)
    room = Room("r")
    alice = room.connect("alice")
    cam = alice.publish_track(VIDEO, CAM)
    bob = room.connect("bob")
    sdk = rtc_room(bob)
    room.set_stream_state("bob", cam, __import__("roomsim").StreamState.PAUSED)
    assert "track_stream_state_changed" not in [e.name for e in bob.drain()]
    assert bridge_of(sdk).errors == []


def test_a_js_client_is_refused_with_a_clear_error() -> None:
    room = Room("r")
    carol = room.connect("carol", sdk="js")
    with pytest.raises(InvalidArgument, match=r"sdk='python'"):
        rtc_room(carol)
    assert room.clients["carol"] is carol and carol.sdk == "js"


def test_every_fed_event_is_a_livekit_rtc_event() -> None:
    """Each non-JS roomsim event has a feeder and a namesake in the SDK's EventTypes."""
    import typing

    from livekit.rtc.room import EventTypes

    sdk_names = set(typing.get_args(EventTypes))
    assert {cls.name for cls in FED_EVENTS} <= sdk_names
    assert not {cls.name for cls in ROOMSIM_ONLY_EVENTS} & sdk_names
    room = Room("r")
    assert bridge_of(rtc_room(room.connect("bob")))._encoder.handled == set(FED_EVENTS)


def test_a_stream_the_sdk_rejects_raises_through_the_verb() -> None:
    """A roomsim stream the SDK can't take is a roomsim bug: loud, never silent."""
    room = Room("r")
    bob = room.connect("bob")
    sdk = rtc_room(bob)
    del sdk._remote_participants  # any failure inside the SDK's handler
    with pytest.raises(HandlerError) as info:
        room.connect("carol")
    failure = info.value.failures[0]
    assert isinstance(failure.exception, AttributeError)
    assert "roomsim.livekit: while feeding" in "".join(failure.exception.__notes__)
    assert bridge_of(sdk).errors == [f.exception for f in info.value.failures]


def test_calls_to_a_server_are_not_bridged() -> None:
    room = Room("r")
    sdk = rtc_room(room.connect("bob"))
    with pytest.raises(NotBridged, match="client's disconnect"):
        sdk._loop.run_until_complete(sdk.disconnect())


def test_detach_stops_the_feed() -> None:
    room = Room("r")
    bob = room.connect("bob")
    sdk = rtc_room(bob)
    bridge_of(sdk).detach()
    room.connect("carol")
    assert sdk.remote_participants == {}


def test_an_ended_client_is_refused() -> None:
    room = Room("r")
    bob = room.connect("bob")
    bob.disconnect()
    with pytest.raises(__import__("roomsim").ClientDisconnected):
        rtc_room(bob)


@pytest.mark.parametrize(
    "installed",
    [{"livekit": "1.3.0"}, {"livekit": "1.2.0"}, {"livekit-protocol": "1.2.0"}, {"livekit": "2.0"}],
)
def test_untested_sdk_versions_are_refused(installed: dict[str, str]) -> None:
    with pytest.raises(UnsupportedVersion, match=r"roomsim\[livekit\]"):
        check_versions(installed)
    assert issubclass(UnsupportedVersion, ImportError)


def test_tested_versions_pass() -> None:
    check_versions({"livekit": "1.2.1", "livekit-protocol": "1.1.29"})
    check_versions({"livekit": "1.2.9.post1", "livekit-protocol": "1.1.30rc1"})
    check_versions()


def test_rtc_room_refuses_an_untested_installed_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    monkeypatch.setattr(metadata, "version", lambda dist: "9.0.0")
    room = Room("r")
    with pytest.raises(UnsupportedVersion, match=r"livekit 9\.0\.0 is installed"):
        rtc_room(room.connect("bob"))


def test_the_native_library_is_never_loaded() -> None:
    """Spec client §14: handle id 0 only; FfiClient.instance never touched."""
    room = Room("r")
    alice = room.connect("alice")
    sdk = rtc_room(room.connect("bob"))
    alice.publish_track(AUDIO, MIC)
    alice.send_data(b"x")
    alice.disconnect()
    del sdk
    assert FfiClient._instance is None
    code = (
        "import sys, roomsim\n"
        "from roomsim import Room\n"
        "from roomsim.livekit import rtc_room\n"
        "room = Room('r'); a = room.connect('a'); s = rtc_room(room.connect('b'))\n"
        "a.send_data(b'x'); a.disconnect(); del s, room; import gc; gc.collect()\n"
        "maps = ''\n"
        "if sys.platform == 'linux':\n"
        "    with open('/proc/self/maps') as f: maps = f.read()\n"
        "print('livekit_ffi' in maps)\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False", out.stderr
    assert out.stderr == ""


def test_importing_roomsim_does_not_import_the_bridge() -> None:
    code = "import sys, roomsim; print([m for m in sys.modules if 'livekit' in m])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_connection_state_enum_maps() -> None:
    from roomsim.livekit import to_rtc

    assert to_rtc(ConnectionState.CONNECTED) == rtc.ConnectionState.CONN_CONNECTED
    assert to_rtc(DataPacketKind.RELIABLE) == rtc.DataPacketKind.KIND_RELIABLE
    assert to_rtc(DisconnectReason.DUPLICATE_IDENTITY) == rtc.DisconnectReason.DUPLICATE_IDENTITY


def test_an_exception_in_a_livekit_rtc_handler_fails_the_roomsim_verb(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The SDK logs its handlers' exceptions and goes on; with handler_errors="raise" the
    roomsim verb that caused the event raises HandlerError (the SDK room stays usable)."""
    from roomsim import HandlerError

    room = Room("r")
    bob = room.connect("bob")
    sdk = rtc_room(bob)

    def broken(participant: object) -> None:
        raise ValueError("the app's bug")

    sdk.on("participant_connected", broken)
    with pytest.raises(HandlerError, match="the app's bug"):
        room.connect("alice")
    assert "alice" in sdk.remote_participants


def test_handlers_given_to_rtc_room_see_the_join_time_subscriptions() -> None:
    room = Room("r")
    alice = room.connect("alice")
    mic = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    bob = room.connect("bob")
    seen: list[tuple[str, str]] = []

    def subscribed(track: Any, publication: Any, participant: Any) -> None:
        seen.append((participant.identity, publication.sid))

    sdk = rtc_room(bob, on={"track_subscribed": subscribed})
    assert seen == [("alice", mic)]
    assert sdk.remote_participants["alice"].track_publications[mic].subscribed
    plain = rtc_room(room.connect("carol"))  # without on=: the state only, no events
    assert plain.remote_participants["alice"].track_publications[mic].subscribed
