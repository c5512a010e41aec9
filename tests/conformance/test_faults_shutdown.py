"""Conformance transcripts: the server node shuts down (faults §6, §10)."""

from __future__ import annotations

import pytest

from roomsim import ConnectionState, DisconnectReason, Room, RoomClosed, TrackKind, TrackSource
from roomsim import events as E

SHUTDOWN = DisconnectReason.SERVER_SHUTDOWN


def test_a_forced_stop_disconnects_everyone_with_server_shutdown() -> None:
    """faults §6: RoomManager.Stop closes every room: each participant gets
    Leave{DISCONNECT, SERVER_SHUTDOWN}; Python: connection_state_changed(DISCONNECTED), then
    disconnected(SERVER_SHUTDOWN); webhooks participant_left and track_unpublished per
    participant, room_finished last."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    sid = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    alice.drain()
    bob.drain()
    first = len(room.webhooks)
    room.shutdown()
    assert alice.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=SHUTDOWN),
    )
    assert bob.drain()[-2:] == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=SHUTDOWN),
    )
    assert [(w.event, w.participant_identity) for w in room.webhooks[first:]] == [
        ("track_unpublished", "alice"),
        ("participant_left", "alice"),
        ("participant_left", "bob"),
        ("room_finished", None),
    ]
    track = room.webhooks[first].track
    assert track is not None
    assert track.sid == sid
    assert room.closed
    with pytest.raises(RoomClosed):
        room.connect("carol")


def test_a_client_cut_off_at_shutdown_hears_nothing_and_gives_up() -> None:
    """faults §6 with §4.2: the shutdown's Leave can't reach a client whose signal is down; it
    keeps reconnecting until it gives up (44.3 s), even though the room is closed."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob")
    room.interrupt("alice")
    alice.drain()
    room.shutdown()
    assert alice.drain() == ()
    room.advance(44.3)
    assert alice.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=DisconnectReason.UNKNOWN_REASON),
    )
