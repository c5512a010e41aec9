"""Transcripts: a participant with tracks leaves.

Spec: client §10 (Rust ``handle_participant_disconnect``: for each publication
``TrackUnsubscribed`` if subscribed, then ``TrackUnpublished``; then
``ParticipantDisconnected``; the leaving client itself gets ``ConnectionStateChanged`` then
``Disconnected``, after its own ``local_track_unpublished`` when it left by itself, §17.1),
client §16.5/§16.6 (the forced speaker update after the last unsubscribe/unpublish pair),
client §16.1 (a stale Python subscription ends with the unpublish), client §4.2 / server §4
(duplicate identity), server §11 (reasons), design §3 (``participant_disconnected`` after
its tracks' events).
"""

from __future__ import annotations

from roomsim import (
    ConnectionQuality,
    ConnectionState,
    DisconnectReason,
    Permission,
    Room,
    TrackKind,
    TrackSource,
)
from roomsim import events as ev

AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO
MIC, CAM = TrackSource.MICROPHONE, TrackSource.CAMERA


def _setup(sdk: str = "python") -> tuple[Room, str, str]:
    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob", sdk=sdk)
    room.connect("carol", auto_subscribe=False)
    mic = alice.publish_track(AUDIO, MIC)
    cam = alice.publish_track(VIDEO, CAM)
    for c in room.clients.values():
        c.drain()
    return room, mic, cam


def test_disconnect_with_tracks() -> None:
    """Client §10: per track unsubscribed (if subscribed) then unpublished, then
    ``participant_disconnected``; the leaver gets its own connection events only."""
    room, mic, cam = _setup()
    alice, bob, carol = (room.clients[i] for i in ("alice", "bob", "carol"))
    bob.set_subscribed("alice", cam, False)
    bob.drain()

    alice.disconnect()

    reason = DisconnectReason.CLIENT_INITIATED
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        ev.TrackUnpublished(participant="alice", track_sid=mic),
        ev.ActiveSpeakersChanged(speakers=()),
        ev.TrackUnpublished(participant="alice", track_sid=cam),
        ev.ParticipantDisconnected(participant="alice", reason=reason),
    )
    assert carol.drain() == (
        ev.TrackUnpublished(participant="alice", track_sid=mic),
        ev.TrackUnpublished(participant="alice", track_sid=cam),
        ev.ParticipantDisconnected(participant="alice", reason=reason),
    )
    assert alice.drain() == (
        ev.LocalTrackUnpublished(track_sid=mic),
        ev.LocalTrackUnpublished(track_sid=cam),
        ev.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        ev.Disconnected(reason=reason),
    )
    assert "alice" not in bob.remote_participants
    assert "alice" not in room.participants
    assert dict(room.departed[-1].track_publications) == {}


def test_removed_participant_with_tracks() -> None:
    """Client §10 and server §11 (``RemoveParticipant`` -> PARTICIPANT_REMOVED)."""
    room, mic, cam = _setup()
    bob = room.clients["bob"]
    room.remove_participant("alice")
    reason = DisconnectReason.PARTICIPANT_REMOVED
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        ev.TrackUnpublished(participant="alice", track_sid=mic),
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.TrackUnpublished(participant="alice", track_sid=cam),
        ev.ActiveSpeakersChanged(speakers=()),
        ev.ParticipantDisconnected(participant="alice", reason=reason),
    )


def test_duplicate_identity_replaces_the_session_and_its_tracks() -> None:
    """Client §4.2 (same identity, new sid: full disconnect of the old session first, with
    its tracks, then a new participant) and server §4 (DUPLICATE_IDENTITY; the new
    session's tracks are new).
    A first subscription to a publisher also brings its quality (server §8)."""
    room, mic, cam = _setup()
    old, bob = room.clients["alice"], room.clients["bob"]

    new = room.connect("alice")

    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        ev.TrackUnpublished(participant="alice", track_sid=mic),
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.TrackUnpublished(participant="alice", track_sid=cam),
        ev.ActiveSpeakersChanged(speakers=()),
        ev.ParticipantDisconnected(participant="alice", reason=DisconnectReason.UNKNOWN_REASON),
        ev.ParticipantConnected(participant="alice"),
        ev.ParticipantActive(participant="alice"),
    )
    assert old.drain() == (
        ev.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        ev.Disconnected(reason=DisconnectReason.DUPLICATE_IDENTITY),
    )
    assert dict(bob.remote_participants["alice"].track_publications) == {}
    mic2 = new.publish_track(AUDIO, MIC)
    assert mic2 == "TR_3"
    assert bob.drain() == (
        ev.TrackPublished(participant="alice", track_sid=mic2),
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic2),
    )
    # a new track: the publisher's notice is owed again
    assert new.drain() == (
        ev.LocalTrackPublished(track_sid=mic2),
        ev.LocalTrackSubscribed(track_sid=mic2),
    )


def test_leaving_while_denied_is_unpublished_only_in_js() -> None:
    """Client §10: no ``track_unsubscribed`` for a track the viewer was not receiving (JS saw
    the denial end it, client §16.1)."""
    room, mic, cam = _setup("js")
    alice, bob = room.clients["alice"], room.clients["bob"]
    alice.set_track_subscription_permissions(all_participants=False)
    bob.drain()
    alice.disconnect()
    assert bob.drain() == (
        ev.TrackUnpublished(participant="alice", track_sid=mic),
        ev.TrackUnpublished(participant="alice", track_sid=cam),
        ev.ParticipantDisconnected(participant="alice", reason=DisconnectReason.CLIENT_INITIATED),
    )


def test_leaving_while_denied_ends_pythons_stale_tracks() -> None:
    """Client §16.1: the denial was invisible to livekit.rtc, whose publications still held
    their tracks; ``unpublish_track`` ends each (``track_unsubscribed``) before
    ``track_unpublished``."""
    room, mic, cam = _setup()
    alice, bob = room.clients["alice"], room.clients["bob"]
    alice.set_track_subscription_permissions(all_participants=False)
    assert bob.drain() == (ev.ActiveSpeakersChanged(speakers=()),)
    pubs = bob.remote_participants["alice"].track_publications
    assert (pubs[mic].subscribed, pubs[cam].subscribed) == (True, True)
    alice.disconnect()
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        ev.TrackUnpublished(participant="alice", track_sid=mic),
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.TrackUnpublished(participant="alice", track_sid=cam),
        ev.ParticipantDisconnected(participant="alice", reason=DisconnectReason.CLIENT_INITIATED),
    )


def test_hidden_publisher_leaving_is_invisible() -> None:
    """Server §3: a hidden participant's updates (its leave included) reach nobody else."""
    room = Room("r")
    ghost = room.connect("ghost", permission=Permission(hidden=True))
    bob = room.connect("bob")
    ghost.publish_track(AUDIO, MIC)
    bob.drain()
    ghost.disconnect()
    assert bob.drain() == ()


def test_held_viewer_sees_the_leave_too() -> None:
    """Client §10: a JOINED (held) participant knows the tracks, so it sees them go."""
    room, mic, cam = _setup()
    held = room.connect("held", active=False)
    held.drain()
    room.clients["alice"].disconnect()
    assert held.drain() == (
        ev.TrackUnpublished(participant="alice", track_sid=mic),
        ev.TrackUnpublished(participant="alice", track_sid=cam),
        ev.ParticipantDisconnected(participant="alice", reason=DisconnectReason.CLIENT_INITIATED),
    )


def test_subscriber_leaving_while_publisher_stays() -> None:
    """Client §10: the subscriber's own session ends with connection events; its
    subscriptions end with it, silently (no ``track_unsubscribed`` to itself, Rust
    ``handle_disconnected``)."""
    room, _mic, _cam = _setup()
    bob = room.clients["bob"]
    bob.disconnect()
    assert bob.drain() == (
        ev.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        ev.Disconnected(reason=DisconnectReason.CLIENT_INITIATED),
    )
    assert room.clients["alice"].drain() == (
        ev.ParticipantDisconnected(participant="bob", reason=DisconnectReason.CLIENT_INITIATED),
    )
