"""Conformance transcripts: a full reconnect, for both profiles (faults §3, §10).

The client leaves its session (its leave gets through: CLIENT_INITIATED) and joins again with
the same identity under a new sid; its tracks are republished under new sids and auto-subscribe
restores its subscriptions.  Its own client tears the room down, reconnects, and reports the
room again: Python with ``local_track_republished`` per track (§3.3), JS with
``local_track_unpublished``/``local_track_published`` and the room after ``reconnected``.
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
    UnknownParticipant,
    scenario,
)
from roomsim import events as E
from roomsim import mutations as M

MIC = (TrackKind.AUDIO, TrackSource.MICROPHONE)


def _news(events: tuple[E.Event, ...]) -> tuple[E.Event, ...]:
    """The events but the periodic connection-quality updates (server §8)."""
    return tuple(e for e in events if not isinstance(e, E.ConnectionQualityChanged))


def _room(sdk: str) -> tuple[Room, str, str]:
    room = Room("r")
    alice = room.connect("alice", sdk=sdk)
    bob = room.connect("bob")
    mine = alice.publish_track(*MIC)
    theirs = bob.publish_track(*MIC)
    alice.drain()
    bob.drain()
    return room, mine, theirs


def _teardown(theirs: str) -> tuple[E.Event, ...]:
    return (
        E.TrackUnsubscribed(participant="bob", track_sid=theirs),
        E.TrackUnpublished(participant="bob", track_sid=theirs),
        E.ParticipantDisconnected(participant="bob", reason=DisconnectReason.UNKNOWN_REASON),
        E.ConnectionStateChanged(state=ConnectionState.RECONNECTING),
        E.Reconnecting(),
    )


def _bob_again(theirs: str) -> tuple[E.Event, ...]:
    return (
        E.ParticipantConnected(participant="bob"),
        E.ParticipantActive(participant="bob"),
        E.TrackPublished(participant="bob", track_sid=theirs),
    )


def test_python_full_reconnect_new_sid_tracks_republished() -> None:
    """faults §3.3 (Rust handle_restarting, handle_restarted; FFI suppresses the local
    unpublish/publish): teardown of every remote, reconnecting, the JoinResponse's
    participants, token_refreshed, local_track_republished(new, previous), connected,
    reconnected, then the auto-subscriptions."""
    room, mine, theirs = _room("python")
    alice = room.clients["alice"]
    old_sid = alice.sid
    room.reconnect("alice")
    new_sid = room.participants["alice"].sid
    new_track = next(iter(room.participants["alice"].track_publications))
    assert new_sid != old_sid and alice.sid == new_sid
    assert new_track != mine
    assert _news(alice.drain()) == (
        *_teardown(theirs),
        *_bob_again(theirs),
        E.TokenRefreshed(),
        E.LocalTrackRepublished(track_sid=new_track, previous_sid=mine),
        E.ConnectionStateChanged(state=ConnectionState.CONNECTED),
        E.Reconnected(),
        E.TrackSubscribed(participant="bob", track_sid=theirs),
    )
    assert alice.connection_state is ConnectionState.CONNECTED
    assert list(alice.local_participant.track_publications) == [new_track]
    assert room.is_subscribed("alice", theirs) and room.is_subscribed("bob", new_track)
    room._check()


def test_js_full_reconnect_republishes_and_buffers_the_room() -> None:
    """faults §3.3 (Room.ts handleRestarting, handleSignalRestarted, republishAllTracks): the
    same teardown and reconnecting; localTrackUnpublished then localTrackPublished per track;
    connected, reconnected; then the buffered participants, tracks and subscriptions; no
    token event (§7)."""
    room, mine, theirs = _room("js")
    alice = room.clients["alice"]
    room.reconnect("alice")
    new_track = next(iter(room.participants["alice"].track_publications))
    assert _news(alice.drain()) == (
        *_teardown(theirs),
        E.LocalTrackUnpublished(track_sid=mine),
        E.LocalTrackPublished(track_sid=new_track),
        E.ConnectionStateChanged(state=ConnectionState.CONNECTED),
        E.Reconnected(),
        *_bob_again(theirs),
        E.TrackSubscribed(participant="bob", track_sid=theirs),
    )
    room._check()


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_others_see_the_old_session_leave_and_a_new_one_join(sdk: str) -> None:
    """faults §3.2, §3.4: the old session's leave got through: others see it leave with
    CLIENT_INITIATED, then a new participant with the republished tracks; webhooks
    participant_left, then participant_joined and track_published (§9.5)."""
    room, mine, _ = _room(sdk)
    bob = room.clients["bob"]
    hooks = len(room.webhooks)
    old_sid = room.participants["alice"].sid
    room.reconnect("alice")
    new_track = next(iter(room.participants["alice"].track_publications))
    assert _news(bob.drain()) == (
        E.TrackUnsubscribed(participant="alice", track_sid=mine),
        E.TrackUnpublished(participant="alice", track_sid=mine),
        E.ActiveSpeakersChanged(speakers=()),  # the server's forced update (client §16.6)
        E.ParticipantDisconnected(participant="alice", reason=DisconnectReason.CLIENT_INITIATED),
        E.ParticipantConnected(participant="alice"),
        E.ParticipantActive(participant="alice"),
        E.TrackPublished(participant="alice", track_sid=new_track),
        E.TrackSubscribed(participant="alice", track_sid=new_track),
    )
    assert [(w.event, w.participant_sid) for w in room.webhooks[hooks:]] == [
        ("track_unpublished", old_sid),
        ("participant_left", old_sid),
        ("participant_joined", room.participants["alice"].sid),
        ("track_published", room.participants["alice"].sid),
    ]
    assert room.departed[-1].disconnect_reason is DisconnectReason.CLIENT_INITIATED


@pytest.mark.parametrize(
    ("sdk", "kind"),
    [
        ("python", InterruptKind.SIGNAL),
        ("python", InterruptKind.NETWORK),
        ("js", InterruptKind.SIGNAL),
        ("js", InterruptKind.NETWORK),
    ],
)
def test_a_failed_resume_escalates_to_a_full_reconnect(sdk: str, kind: InterruptKind) -> None:
    """faults §2.2, §3.3: a resume that fails becomes a full reconnect; reconnecting is not
    emitted again by Python (update_connection_state only dispatches on a change); JS moves
    from signalReconnecting to reconnecting.  What happened meanwhile is not replayed: the
    new JoinResponse replaces it."""
    room, _, theirs = _room(sdk)
    alice = room.clients["alice"]
    room.interrupt("alice", kind=kind)
    alice.drain()
    room.connect("carol")
    room.reconnect("alice")
    got = _news(alice.drain())
    again = got.count(E.Reconnecting())
    already = sdk == "python" or kind is InterruptKind.NETWORK
    assert again == (0 if already else 1)
    assert got[:3] == _teardown(theirs)[:3]
    assert E.ParticipantConnected(participant="carol") in got
    assert got.count(E.ParticipantConnected(participant="carol")) == 1
    assert E.Reconnected() in got
    assert not room.reconnecting
    room.advance(60.0)  # the old episode's timers find nothing to do
    assert alice.connection_state is ConnectionState.CONNECTED
    room._check()


def test_reconnect_refusals_change_nothing() -> None:
    """A refused control raises a typed error and changes nothing (design §1)."""
    room, _, _ = _room("python")
    room.connect("held", active=False)
    before = room.snapshot()
    with pytest.raises(UnknownParticipant):
        room.reconnect("nobody")
    with pytest.raises(IllegalState, match="JOINED"):
        room.reconnect("held")
    assert room.snapshot() == before
    room.interrupt("alice")
    room.advance(44.3)
    with pytest.raises(IllegalState, match="gave up"):
        room.reconnect("alice")
    assert not room.reconnecting


def test_a_full_reconnect_is_recorded_and_replayed() -> None:
    """faults §10: the control is a mutation; a dump replays to an equal room, with every
    client's events."""
    room = Room("r")
    alice = room.connect("alice", sdk="js")
    room.connect("bob").publish_track(*MIC)
    alice.publish_track(*MIC)
    room.reconnect("alice")
    assert M.Reconnect(identity="alice") in room.log
    out = io.StringIO()
    scenario.dump(room, out, events_of=("alice", "bob"))
    scenario.check(io.StringIO(out.getvalue()))
    assert scenario.replay(io.StringIO(out.getvalue())).snapshot() == room.snapshot()
