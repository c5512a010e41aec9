"""Transcripts: publishing and unpublishing media tracks.

Spec: server §5 (publish rules, sids), §6 (auto-subscribe, the publisher's ``TrackSubscribed``
notice once per track), client §4 (``track_published`` for a known participant), §9
(a track published already muted), §9b (``track_subscribed`` after ``track_published``).
"""

from __future__ import annotations

from roomsim import (
    ConnectionQuality,
    DisconnectReason,
    Permission,
    PublicationSnapshot,
    Room,
    RoomConfig,
    StreamState,
    TrackKind,
    TrackSource,
)
from roomsim import events as ev

AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO
MIC, CAM, SCREEN = TrackSource.MICROPHONE, TrackSource.CAMERA, TrackSource.SCREEN_SHARE


def test_publish_returns_sequential_sids_and_announces_to_everyone() -> None:
    """Server §5/§6, design §1 (sids ``TR_n``): publisher gets ``local_track_published``
    then ``local_track_subscribed`` (first non-hidden subscriber binds); an ACTIVE
    auto-subscribing participant gets ``track_published`` then ``track_subscribed``.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    alice.drain()
    bob.drain()

    mic = alice.publish_track(AUDIO, MIC, name="mic")
    cam = alice.publish_track(VIDEO, CAM, name="cam")

    assert (mic, cam) == ("TR_1", "TR_2")
    assert alice.drain() == (
        ev.LocalTrackPublished(track_sid="TR_1"),
        ev.LocalTrackSubscribed(track_sid="TR_1"),
        ev.LocalTrackPublished(track_sid="TR_2"),
        ev.LocalTrackSubscribed(track_sid="TR_2"),
    )
    assert bob.drain() == (
        ev.TrackPublished(participant="alice", track_sid="TR_1"),
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid="TR_1"),
        ev.TrackPublished(participant="alice", track_sid="TR_2"),
        ev.TrackSubscribed(participant="alice", track_sid="TR_2"),
    )


def test_sids_are_room_wide_and_never_reused() -> None:
    """design §1: sids are sequential per room; an unpublished sid is not handed out again."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    a1 = alice.publish_track(AUDIO, MIC)
    b1 = bob.publish_track(AUDIO, MIC)
    alice.unpublish_track(a1)
    a2 = alice.publish_track(AUDIO, MIC)
    assert (a1, b1, a2) == ("TR_1", "TR_2", "TR_3")


def test_publish_alone_has_no_local_track_subscribed() -> None:
    """Server §6: ``TrackSubscribed`` reaches the publisher only when a subscriber binds."""
    room = Room("r")
    alice = room.connect("alice")
    mic = alice.publish_track(AUDIO, MIC)
    assert alice.drain() == (ev.LocalTrackPublished(track_sid=mic),)


def test_local_track_subscribed_when_first_subscriber_arrives_later() -> None:
    """Server §6 (``subscribeToExistingTracks`` on ACTIVE; ``TrackSubscribed`` once per
    track): a later joiner triggers the notice; the third participant does not repeat it.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice")
    mic = alice.publish_track(AUDIO, MIC)
    alice.drain()

    bob = room.connect("bob")
    assert alice.drain() == (
        ev.ParticipantConnected(participant="bob"),
        ev.ParticipantActive(participant="bob"),
        ev.LocalTrackSubscribed(track_sid=mic),
    )
    # client §13: bob's join shows alice's track as state; only the subscription is an event
    assert bob.drain() == (
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )

    room.connect("carol")
    assert alice.drain() == (
        ev.ParticipantConnected(participant="carol"),
        ev.ParticipantActive(participant="carol"),
    )


def test_local_track_subscribed_only_once_per_track() -> None:
    """Server §6: the publisher's notice is sent once per track, the first time only."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    mic = alice.publish_track(AUDIO, MIC)
    alice.drain()
    bob.set_subscribed("alice", mic, False)
    bob.set_subscribed("alice", mic, True)
    bob.disconnect()
    room.connect("bob")
    assert alice.drain() == (
        ev.ParticipantDisconnected(participant="bob", reason=DisconnectReason.CLIENT_INITIATED),
        ev.ParticipantConnected(participant="bob"),
        ev.ParticipantActive(participant="bob"),
    )


def test_hidden_subscriber_does_not_trigger_local_track_subscribed() -> None:
    """Server §3 (hidden) / §6: a hidden subscriber's binding is not the publisher's
    "ever subscribed" notice; the next non-hidden subscriber's is."""
    room = Room("r")
    alice = room.connect("alice")
    ghost = room.connect("ghost", permission=Permission(hidden=True))
    mic = alice.publish_track(AUDIO, MIC)
    assert alice.drain() == (ev.LocalTrackPublished(track_sid=mic),)
    # the hidden participant does auto-subscribe (server §3: "They still auto-subscribe")
    ghost.drain()
    assert ghost.remote_participants["alice"].track_publications[mic].subscribed is True

    room.connect("bob")
    assert alice.drain() == (
        ev.ParticipantConnected(participant="bob"),
        ev.ParticipantActive(participant="bob"),
        ev.LocalTrackSubscribed(track_sid=mic),
    )


def test_hidden_publisher_is_invisible() -> None:
    """Server §3: a hidden participant's updates never go to anyone else, so its tracks
    are neither announced nor subscribed; it still gets its own local events."""
    room = Room("r")
    ghost = room.connect("ghost", permission=Permission(hidden=True))
    bob = room.connect("bob")
    ghost.drain()
    bob.drain()
    sid = ghost.publish_track(AUDIO, MIC)
    assert ghost.drain() == (ev.LocalTrackPublished(track_sid=sid),)
    assert bob.drain() == ()
    ghost.unpublish_track(sid)
    assert ghost.drain() == (ev.LocalTrackUnpublished(track_sid=sid),)
    assert bob.drain() == ()


def test_track_published_already_muted_has_no_mute_event() -> None:
    """Client §9: a track first published already muted gives ``track_published`` only,
    and the publication shows muted; the publisher gets no ``track_muted`` either.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    alice.drain()
    bob.drain()
    mic = alice.publish_track(AUDIO, MIC, name="mic", muted=True)
    assert alice.drain() == (
        ev.LocalTrackPublished(track_sid=mic),
        ev.LocalTrackSubscribed(track_sid=mic),
    )
    assert bob.drain() == (
        ev.TrackPublished(participant="alice", track_sid=mic),
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )
    assert bob.remote_participants["alice"].track_publications[mic].muted is True
    assert alice.local_participant.track_publications[mic].muted is True
    assert room.participants["alice"].track_publications[mic].muted is True


def test_publication_snapshots_remote_local_and_server() -> None:
    """design §2 (publication snapshots): the remote view carries subscribed/stream_state/
    allowed; the local view and the server's truth leave them None.  A subscribed video
    track is ACTIVE (client §8: initial state active)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    cam = alice.publish_track(VIDEO, CAM, name="cam")

    assert bob.remote_participants["alice"].track_publications[cam] == PublicationSnapshot(
        sid=cam,
        name="cam",
        kind=VIDEO,
        source=CAM,
        muted=False,
        subscribed=True,
        stream_state=StreamState.ACTIVE,
        allowed=True,
    )
    local = PublicationSnapshot(sid=cam, name="cam", kind=VIDEO, source=CAM, muted=False)
    assert alice.local_participant.track_publications[cam] == local
    assert room.participants["alice"].track_publications[cam] == local
    assert list(bob.remote_participants["alice"].track_publications) == [cam]


def test_publication_snapshot_of_an_unsubscribed_track() -> None:
    """Server §6 (a participant without auto-subscribe only knows the track): the remote
    view says not subscribed."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob", auto_subscribe=False)
    mic = alice.publish_track(AUDIO, MIC, name="mic")
    pub = bob.remote_participants["alice"].track_publications[mic]
    assert (pub.sid, pub.name, pub.kind, pub.source, pub.muted) == (mic, "mic", AUDIO, MIC, False)
    assert pub.subscribed is False
    assert pub.allowed is True


def test_publications_iterate_in_publish_order() -> None:
    """design §1: tracks iterate in publish order, in every view."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    sids = [
        alice.publish_track(VIDEO, SCREEN),
        alice.publish_track(AUDIO, MIC),
        alice.publish_track(VIDEO, CAM),
    ]
    assert list(bob.remote_participants["alice"].track_publications) == sids
    assert list(alice.local_participant.track_publications) == sids
    assert list(room.participants["alice"].track_publications) == sids


def test_two_tracks_of_the_same_source_are_both_accepted() -> None:
    """Server §5: no uniqueness is enforced for media tracks, by name or by source.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    bob.drain()
    a = alice.publish_track(VIDEO, CAM, name="cam")
    b = alice.publish_track(VIDEO, CAM, name="cam")
    assert a != b
    assert bob.drain() == (
        ev.TrackPublished(participant="alice", track_sid=a),
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=a),
        ev.TrackPublished(participant="alice", track_sid=b),
        ev.TrackSubscribed(participant="alice", track_sid=b),
    )


def test_publish_allowed_source_when_sources_are_restricted() -> None:
    """Server §3: a source is publishable if ``can_publish`` and the list is empty or
    contains it."""
    room = Room("r")
    alice = room.connect("alice", permission=Permission(can_publish_sources=(MIC,)))
    mic = alice.publish_track(AUDIO, MIC)
    assert alice.drain() == (ev.LocalTrackPublished(track_sid=mic),)


def test_unpublish_subscribed_and_unsubscribed_viewers() -> None:
    """Client §4.4f/§10: removing a track gives ``track_unsubscribed`` (if subscribed) then
    ``track_unpublished``, then the forced speaker update of that last unsubscription
    (client §16.5, §16.6); the publisher gets ``local_track_unpublished``."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    carol = room.connect("carol", auto_subscribe=False)
    mic = alice.publish_track(AUDIO, MIC)
    for c in (alice, bob, carol):
        c.drain()

    alice.unpublish_track(mic)

    assert alice.drain() == (ev.LocalTrackUnpublished(track_sid=mic),)
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        ev.TrackUnpublished(participant="alice", track_sid=mic),
        ev.ActiveSpeakersChanged(speakers=()),
    )
    assert carol.drain() == (ev.TrackUnpublished(participant="alice", track_sid=mic),)
    assert "alice" in bob.remote_participants
    assert mic not in bob.remote_participants["alice"].track_publications
    assert mic not in alice.local_participant.track_publications
    assert mic not in room.participants["alice"].track_publications


def test_unpublish_leaves_other_tracks_alone() -> None:
    """Server §5: unpublishing one track touches only that track."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    mic = alice.publish_track(AUDIO, MIC)
    cam = alice.publish_track(VIDEO, CAM)
    bob.drain()
    alice.unpublish_track(cam)
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.TrackUnpublished(participant="alice", track_sid=cam),
    )
    assert list(bob.remote_participants["alice"].track_publications) == [mic]
    assert bob.remote_participants["alice"].track_publications[mic].subscribed is True


def test_held_participant_sees_publish_but_is_not_subscribed() -> None:
    """Server §6: only ACTIVE participants are auto-subscribed at publish time; a JOINED
    one knows the track (client §4)."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol", active=False)
    alice.drain()
    mic = alice.publish_track(AUDIO, MIC)
    assert carol.drain() == (ev.TrackPublished(participant="alice", track_sid=mic),)
    assert alice.drain() == (ev.LocalTrackPublished(track_sid=mic),)


def test_room_default_auto_subscribe_off() -> None:
    """Server §6: with auto-subscribe off, publishing only announces the track."""
    room = Room("r", config=RoomConfig(auto_subscribe=False))
    alice = room.connect("alice")
    bob = room.connect("bob")
    alice.drain()
    bob.drain()
    mic = alice.publish_track(AUDIO, MIC)
    assert alice.drain() == (ev.LocalTrackPublished(track_sid=mic),)
    assert bob.drain() == (ev.TrackPublished(participant="alice", track_sid=mic),)
