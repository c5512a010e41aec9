"""Conformance transcripts: leaving (server §4, §11; client §10; design §2)."""

from __future__ import annotations

import pytest

from roomsim import (
    ClientDisconnected,
    ConnectionState,
    DisconnectReason,
    InvalidArgument,
    InvalidType,
    ParticipantState,
    Room,
    TrackKind,
    TrackSource,
    UnknownParticipant,
)
from roomsim import events as E

CLIENT = DisconnectReason.CLIENT_INITIATED
REMOVED = DisconnectReason.PARTICIPANT_REMOVED


def test_disconnect_is_client_initiated() -> None:
    """server §11: a client LeaveRequest -> CLIENT_INITIATED; client §10 local disconnect:
    connection_state_changed(DISCONNECTED), then disconnected(reason)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    alice.drain()
    bob.disconnect()
    assert alice.drain() == (E.ParticipantDisconnected(participant="bob", reason=CLIENT),)
    assert bob.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=CLIENT),
    )
    assert "bob" not in room.participants
    assert "bob" not in room.clients
    assert "bob" not in alice.remote_participants


def test_remove_participant_is_participant_removed() -> None:
    """server §11: RoomService.RemoveParticipant -> PARTICIPANT_REMOVED."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    alice.drain()
    room.remove_participant("bob")
    assert alice.drain() == (E.ParticipantDisconnected(participant="bob", reason=REMOVED),)
    assert bob.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=REMOVED),
    )
    assert bob.disconnect_reason is REMOVED
    assert bob.state is ParticipantState.DISCONNECTED
    assert bob.connection_state is ConnectionState.DISCONNECTED
    assert dict(bob.remote_participants) == {}


def test_departed_holds_final_snapshots_in_leave_order() -> None:
    """design §2 room.departed; server §10 participant_left payload: state DISCONNECTED with
    disconnect_reason set."""
    room = Room("r")
    a = room.connect("alice", name="Alice", metadata="ma", attributes={"k": "v"})
    b = room.connect("bob")
    c = room.connect("carol")
    room.update_participant("alice", metadata="mb")
    c.disconnect()
    room.remove_participant("alice")
    b.disconnect()
    assert [(p.identity, p.sid) for p in room.departed] == [
        ("carol", c.sid),
        ("alice", a.sid),
        ("bob", b.sid),
    ]
    assert [p.disconnect_reason for p in room.departed] == [CLIENT, REMOVED, CLIENT]
    assert all(p.state is ParticipantState.DISCONNECTED for p in room.departed)
    alice = room.departed[1]
    assert (alice.name, alice.metadata, dict(alice.attributes)) == ("Alice", "mb", {"k": "v"})
    assert dict(room.participants) == {}


def test_tracks_go_before_the_participant() -> None:
    """client §10: track_unsubscribed, track_unpublished per track, then
    participant_disconnected."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    mic = bob.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    cam = bob.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
    alice.drain()
    bob.drain()
    room.remove_participant("bob")
    assert alice.drain() == (
        E.TrackUnsubscribed(participant="bob", track_sid=mic),
        E.TrackUnpublished(participant="bob", track_sid=mic),
        E.TrackUnsubscribed(participant="bob", track_sid=cam),
        E.TrackUnpublished(participant="bob", track_sid=cam),
        E.ActiveSpeakersChanged(speakers=()),  # after the last pair (client §16.5, §16.6)
        E.ParticipantDisconnected(participant="bob", reason=REMOVED),
    )
    # the leaver sees its own session end; no local_track_unpublished when the server ended
    # it (client §10, §17.1)
    assert bob.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=REMOVED),
    )


def test_a_held_join_can_leave() -> None:
    """design §2 held join: connected without active, then disconnected."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol", active=False)
    carol.disconnect()
    assert alice.drain() == (
        E.ParticipantConnected(participant="carol"),
        E.ParticipantDisconnected(participant="carol", reason=CLIENT),
    )
    assert room.departed[0].state is ParticipantState.DISCONNECTED


def test_a_disconnected_client_refuses_actions() -> None:
    """design §2: a client whose session ended refuses every later action; atomic."""
    room = Room("r")
    room.connect("alice")
    bob = room.connect("bob")
    bob.disconnect()
    before = room.snapshot()
    for act in (bob.disconnect, bob.activate, lambda: bob.set_name("x")):
        with pytest.raises(ClientDisconnected) as exc:
            act()
        assert exc.value.code == "DISCONNECTED"
        assert room.snapshot() == before


def test_remove_unknown_participant() -> None:
    """server §1 Other API errors: not_found "participant does not exist"; atomic."""
    room = Room("r")
    room.connect("alice")
    bob = room.connect("bob")
    bob.disconnect()
    before = room.snapshot()
    for identity in ("ghost", "bob"):
        with pytest.raises(UnknownParticipant) as exc:
            room.remove_participant(identity)
        assert exc.value.code == "not_found"
        assert room.snapshot() == before
    with pytest.raises(InvalidArgument) as exc2:
        room.remove_participant("")
    assert type(exc2.value) is InvalidArgument
    with pytest.raises(InvalidType):
        room.remove_participant(1)  # type: ignore[arg-type]
    assert room.snapshot() == before


def test_rejoin_after_leaving_is_a_new_session() -> None:
    """server §4: a new join gets a new sid; earlier clients see it as a later join."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    bob.disconnect()
    bob2 = room.connect("bob")
    assert bob2.sid != bob.sid
    assert alice.drain() == (
        E.ParticipantConnected(participant="bob"),
        E.ParticipantActive(participant="bob"),
        E.ParticipantDisconnected(participant="bob", reason=CLIENT),
        E.ParticipantConnected(participant="bob"),
        E.ParticipantActive(participant="bob"),
    )
