"""Conformance transcripts: duplicate identity (server §4, §11; client §4.2, §10;
design §2)."""

from __future__ import annotations

import pytest

from roomsim import (
    ClientDisconnected,
    ConnectionState,
    DisconnectReason,
    ParticipantState,
    Permission,
    Room,
    TrackKind,
    TrackSource,
)
from roomsim import events as E

DUP = DisconnectReason.DUPLICATE_IDENTITY
#: what the others see: the server drops the old session's update, and the SDK ends it with
#: no reason when the new session's info arrives (client §16.4)
SEEN = DisconnectReason.UNKNOWN_REASON


def test_second_connect_replaces_the_session() -> None:
    """server §4 Duplicate identity; client §4.2, §16.4: others see the old session leave
    (UNKNOWN_REASON), then the new one join; the old client is told DUPLICATE_IDENTITY; the new
    session has a new sid."""
    room = Room("r")
    alice = room.connect("alice")
    old = room.connect("bob", name="Bob")
    alice.drain()
    new = room.connect("bob", name="Bobby")
    assert alice.drain() == (
        E.ParticipantDisconnected(participant="bob", reason=SEEN),
        E.ParticipantConnected(participant="bob"),
        E.ParticipantActive(participant="bob"),
    )
    assert old.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=DUP),
    )
    assert new.drain() == ()  # alice is state (client §13)
    assert new.sid != old.sid
    assert new.identity == old.identity == "bob"
    assert room.clients["bob"] is new
    assert room.participants["bob"].sid == new.sid
    assert alice.remote_participants["bob"].sid == new.sid
    assert alice.remote_participants["bob"].name == "Bobby"
    assert list(new.remote_participants) == ["alice"]


def test_the_old_session_is_departed_with_duplicate_identity() -> None:
    """server §4: the old session's ParticipantInfo.disconnect_reason is DUPLICATE_IDENTITY."""
    room = Room("r")
    old = room.connect("bob", attributes={"k": "v"})
    room.connect("bob")
    (gone,) = room.departed
    assert gone.sid == old.sid
    assert gone.state is ParticipantState.DISCONNECTED
    assert gone.disconnect_reason is DUP
    assert dict(gone.attributes) == {"k": "v"}


def test_the_old_client_state_and_refusals() -> None:
    """design §2: the old Client refuses every later action with ClientDisconnected."""
    room = Room("r")
    old = room.connect("bob", permission=Permission(can_update_metadata=True))
    room.connect("bob", permission=Permission(can_update_metadata=True))
    assert old.state is ParticipantState.DISCONNECTED
    assert old.connection_state is ConnectionState.DISCONNECTED
    assert old.disconnect_reason is DUP
    assert old.local_participant.state is ParticipantState.DISCONNECTED
    before = room.snapshot()
    actions = [
        lambda: old.set_attributes({"k": "v"}),
        lambda: old.set_metadata("m"),
        lambda: old.set_name("n"),
        lambda: old.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE),
        lambda: old.send_data(b"x"),
        old.activate,
        old.disconnect,
    ]
    for act in actions:
        with pytest.raises(ClientDisconnected) as exc:
            act()
        assert exc.value.code == "DISCONNECTED"
        assert room.snapshot() == before
    assert old.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=DUP),
    )


def test_the_old_sessions_tracks_go_before_it() -> None:
    """client §4.2 + §10: full disconnect of the old session (tracks first), then the new one."""
    room = Room("r")
    alice = room.connect("alice")
    old = room.connect("bob")
    mic = old.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    alice.drain()
    room.connect("bob")
    assert alice.drain() == (
        E.TrackUnsubscribed(participant="bob", track_sid=mic),
        E.TrackUnpublished(participant="bob", track_sid=mic),
        E.ActiveSpeakersChanged(speakers=()),  # after the pair (client §16.5, §16.6)
        E.ParticipantDisconnected(participant="bob", reason=SEEN),
        E.ParticipantConnected(participant="bob"),
        E.ParticipantActive(participant="bob"),
    )
    assert room.participants["bob"].track_publications == {}


def test_the_new_session_works_and_the_old_sees_nothing_more() -> None:
    """design §2: the old Client's history ends at its disconnect."""
    room = Room("r")
    alice = room.connect("alice")
    old = room.connect("bob")
    new = room.connect("bob")
    alice.drain()
    old.drain()
    room.update_participant("bob", metadata="m")
    room.update_participant("alice", metadata="a")
    new.disconnect()
    assert old.drain() == ()
    assert new.drain() == (
        E.ParticipantMetadataChanged(participant="bob", old_metadata="", new_metadata="m"),
        E.ParticipantMetadataChanged(participant="alice", old_metadata="", new_metadata="a"),
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=DisconnectReason.CLIENT_INITIATED),
    )
    assert [(p.sid, p.disconnect_reason) for p in room.departed] == [
        (old.sid, DUP),
        (new.sid, DisconnectReason.CLIENT_INITIATED),
    ]
    assert alice.drain()[-1] == E.ParticipantDisconnected(
        participant="bob", reason=DisconnectReason.CLIENT_INITIATED
    )


def test_the_new_session_joins_last() -> None:
    """design §1 Deterministic: participants iterate in join order; the replacement session
    joined last (server §4: the old one was removed first)."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob")
    room.connect("carol")
    room.connect("bob")
    assert list(room.participants) == ["alice", "carol", "bob"]
    assert list(alice.remote_participants) == ["carol", "bob"]
    assert [p.sid for p in room.participants.values()] == ["PA_1", "PA_3", "PA_4"]
