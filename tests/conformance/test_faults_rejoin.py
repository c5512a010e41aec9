"""Conformance transcripts: a client comes back after the server closed its session (faults
§2.1, §4.3, §10).

The server closed the session while the client was away (its CONNECTION_TIMEOUT, or a
``RemoveParticipant`` whose ``Leave`` the client never heard): the client's resume is
refused with ``Leave{RECONNECT, STATE_MISMATCH}`` (``roommanager.go`` ``StartSession``) and
it joins again with its token, a full reconnect whose old session is already gone.  Others
saw the session leave with the server's reason; now they see a new session of the same
identity join and publish.
"""

from __future__ import annotations

import io

import pytest

from roomsim import (
    ConnectionState,
    DisconnectReason,
    IllegalState,
    InterruptKind,
    Room,
    TrackKind,
    TrackSource,
    scenario,
)
from roomsim import events as E


def _room(sdk: str) -> tuple[Room, str, str]:
    room = Room("r")
    alice = room.connect("alice", sdk=sdk)
    bob = room.connect("bob")
    mine = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    theirs = bob.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    alice.drain()
    bob.drain()
    return room, mine, theirs


def _news(events: tuple[E.Event, ...]) -> list[str]:
    return [e.name for e in events if e.name not in ("connection_quality_changed",)]


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_back_after_the_server_timeout_it_joins_again(sdk: str) -> None:
    """faults §4.1: the server closes a NETWORK-cut session at +20 s (CONNECTION_TIMEOUT);
    faults §2.1, §4.3: a resume at +25 s finds no participant, is answered
    ``Leave{RECONNECT}`` and the client fully reconnects (faults §3.3 for its events)."""
    room, mine, theirs = _room(sdk)
    alice, bob = room.clients["alice"], room.clients["bob"]
    old_sid = alice.sid
    room.interrupt("alice", kind=InterruptKind.NETWORK, resume_after=25.0)
    room.advance(20.0)
    assert _news(bob.drain())[-1] == "participant_disconnected"
    assert room.departed[-1].disconnect_reason is DisconnectReason.CONNECTION_TIMEOUT
    assert alice.sid == old_sid and "alice" not in room.participants
    hooks = len(room.webhooks)
    room.advance(5.0)
    got = alice.drain()
    new = room.participants["alice"]
    assert new.sid != old_sid and alice.sid == new.sid
    (republished,) = new.track_publications
    assert republished != mine
    teardown = [
        E.TrackUnsubscribed(participant="bob", track_sid=theirs),
        E.TrackUnpublished(participant="bob", track_sid=theirs),
        E.ParticipantDisconnected(participant="bob", reason=DisconnectReason.UNKNOWN_REASON),
    ]
    if sdk == "python":
        assert got[2:5] == tuple(teardown)
        assert _news(got[5:]) == [
            "participant_connected",
            "participant_active",
            "track_published",
            "token_refreshed",
            "local_track_republished",
            "connection_state_changed",
            "reconnected",
            "track_subscribed",
        ]
        assert E.LocalTrackRepublished(track_sid=republished, previous_sid=mine) in got
    else:
        assert got[4:7] == tuple(teardown)
        assert _news(got[7:]) == [
            "local_track_unpublished",
            "local_track_published",
            "connection_state_changed",
            "reconnected",
            "participant_connected",
            "participant_active",
            "track_published",
            "track_subscribed",
        ]
    assert alice.connection_state is ConnectionState.CONNECTED
    assert _news(bob.drain()) == [
        "participant_connected",
        "participant_active",
        "track_published",
        "track_subscribed",
    ]
    assert [w.event for w in room.webhooks[hooks:]] == ["participant_joined", "track_published"]
    assert not room.reconnecting
    room._check()


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_a_removed_participant_that_missed_its_leave_comes_back(sdk: str) -> None:
    """faults §4.3: ``RemoveParticipant`` while the signal is down: the ``Leave{DISCONNECT}``
    is lost, the client's resume is refused with STATE_MISMATCH and it joins again with its
    still-valid token, under a new sid, with its claims as of the cut."""
    room, _, _ = _room(sdk)
    alice = room.clients["alice"]
    room.update_participant("alice", metadata="before")
    alice.drain()
    room.interrupt("alice")
    room.update_participant("alice", metadata="during")  # its refresh is lost with the signal
    room.remove_participant("alice")
    assert room.departed[-1].disconnect_reason is DisconnectReason.PARTICIPANT_REMOVED
    room.resume("alice")
    assert room.participants["alice"].metadata == "before"
    assert alice.connection_state is ConnectionState.CONNECTED
    assert alice.drain()[-1].name in ("reconnected", "track_subscribed")
    room._check()


def test_reconnect_does_the_same_and_a_replaced_identity_is_refused() -> None:
    """faults §4.3: ``reconnect()`` of a client whose session is gone joins again; if a new
    session took the identity meanwhile, LiveKit would resume *that* session by identity
    (``StartSession`` looks the identity up, not the sid), which roomsim refuses."""
    room, _, _ = _room("python")
    room.interrupt("alice", kind=InterruptKind.NETWORK)
    room.advance(20.0)
    room.reconnect("alice")
    assert room.clients["alice"].connection_state is ConnectionState.CONNECTED
    room.interrupt("bob")
    room.connect("bob")
    before = room.snapshot()
    with pytest.raises(IllegalState, match="took its identity"):
        room.resume("bob")
    assert room.snapshot() == before


def test_a_rejoin_forks_and_replays() -> None:
    """faults §10: a fork taken after the server closed the session and before the client
    came back continues as the original; the scenario file replays it."""
    room, _, _ = _room("python")
    room.interrupt("alice", kind=InterruptKind.NETWORK, resume_after=30.0)
    room.advance(22.0)
    fork = Room.from_snapshot(room.snapshot())
    for r in (room, fork):
        r.advance(10.0)
    assert [c.drain() for c in fork.all_clients] == [c.drain() for c in room.all_clients]
    out = io.StringIO()
    scenario.dump(room, out, events_of=("alice", "bob"))
    scenario.check(io.StringIO(out.getvalue()))
