"""Transcripts: publisher-side subscription permissions.

Spec: server §6 "Publisher-side subscription permissions" (each message replaces the last;
identities not present are fine; recorders and egress are exempt) and "When permission is
revoked" (downtrack removed -> ``TrackUnsubscribed``, then ``SubscriptionPermissionUpdate``
only when the per-subscription state changes; re-grant -> allowed then re-subscribed);
client §9b (JS ``TrackSubscriptionPermissionChanged``); client §16.1 (JS reports the removal,
Python does not: these transcripts use JS clients) and §16.6 (the forced speaker update of a
last unsubscription); design §3/§4 (a publisher's denial is
not a failure; the subscription stays desired).
"""

from __future__ import annotations

from roomsim import (
    ConnectionQuality,
    ParticipantKind,
    Permission,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
)
from roomsim import events as ev

AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO
MIC, CAM, SCREEN = TrackSource.MICROPHONE, TrackSource.CAMERA, TrackSource.SCREEN_SHARE


def _perm(publisher: str, sid: str, allowed: bool) -> ev.TrackSubscriptionPermissionChanged:
    return ev.TrackSubscriptionPermissionChanged(
        participant=publisher, track_sid=sid, allowed=allowed
    )


def _room_with_two_tracks() -> tuple[Room, str, str]:
    room = Room("r")
    alice = room.connect("alice", sdk="js")
    room.connect("bob", sdk="js")
    room.connect("carol", sdk="js")
    mic = alice.publish_track(AUDIO, MIC)
    cam = alice.publish_track(VIDEO, CAM)
    for c in room.clients.values():
        c.drain()
    return room, mic, cam


def test_revoking_access_unsubscribes_then_reports_not_allowed() -> None:
    """Server §6 (revoke): the subscriber loses the track (``track_unsubscribed``), then its
    still-desired subscription is told ``allowed=False``; per track, in publish order.  The
    publisher sees nothing."""
    room, mic, cam = _room_with_two_tracks()
    alice, bob, carol = (room.clients[i] for i in ("alice", "bob", "carol"))

    alice.set_track_subscription_permissions(all_participants=False, allowed={"bob": (cam,)})

    assert alice.drain() == ()
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        _perm("alice", mic, False),
    )
    assert carol.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        _perm("alice", mic, False),
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.ActiveSpeakersChanged(speakers=()),
        _perm("alice", cam, False),
    )
    pubs = bob.remote_participants["alice"].track_publications
    assert (pubs[mic].subscribed, pubs[mic].allowed) == (False, False)
    assert (pubs[cam].subscribed, pubs[cam].allowed) == (True, True)


def test_each_call_replaces_the_last_and_regrant_resubscribes() -> None:
    """Server §6: each message replaces the previous state; when access comes back the
    subscriber is told ``allowed=True`` then re-subscribed.
    A first subscription to a publisher also brings its quality (server §8)."""
    room, mic, cam = _room_with_two_tracks()
    alice, bob, carol = (room.clients[i] for i in ("alice", "bob", "carol"))
    alice.set_track_subscription_permissions(all_participants=False, allowed={"bob": (cam,)})
    bob.drain()
    carol.drain()

    # replaces: now carol may have the mic, bob nothing
    alice.set_track_subscription_permissions(all_participants=False, allowed={"carol": (mic,)})
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.ActiveSpeakersChanged(speakers=()),
        _perm("alice", cam, False),
    )
    assert carol.drain() == (
        _perm("alice", mic, True),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )

    alice.set_track_subscription_permissions(all_participants=True)
    assert bob.drain() == (
        _perm("alice", mic, True),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
        _perm("alice", cam, True),
        ev.TrackSubscribed(participant="alice", track_sid=cam),
    )
    assert carol.drain() == (
        _perm("alice", cam, True),
        ev.TrackSubscribed(participant="alice", track_sid=cam),
    )
    assert alice.drain() == ()


def test_identical_permissions_change_nothing() -> None:
    """Server §6 (``setHasPermission``): the permission update is sent only when the
    per-subscription state changes."""
    room, _mic, _cam = _room_with_two_tracks()
    alice, bob = room.clients["alice"], room.clients["bob"]
    alice.set_track_subscription_permissions(all_participants=True)
    assert bob.drain() == ()
    alice.set_track_subscription_permissions(all_participants=False, allowed={"bob": None})
    assert bob.drain() == ()
    alice.set_track_subscription_permissions(all_participants=False, allowed={"bob": None})
    assert bob.drain() == ()


def test_allowed_none_means_all_tracks_including_later_ones() -> None:
    """Server §6: an identity may be granted ``all_tracks``; that covers tracks published
    later.  Others get the new track announced and are told ``allowed=False``."""
    room, _mic, _cam = _room_with_two_tracks()
    alice, bob, carol = (room.clients[i] for i in ("alice", "bob", "carol"))
    alice.set_track_subscription_permissions(all_participants=False, allowed={"bob": None})
    assert bob.drain() == ()
    carol.drain()

    screen = alice.publish_track(VIDEO, SCREEN)
    assert bob.drain() == (
        ev.TrackPublished(participant="alice", track_sid=screen),
        ev.TrackSubscribed(participant="alice", track_sid=screen),
    )
    assert carol.drain() == (
        ev.TrackPublished(participant="alice", track_sid=screen),
        _perm("alice", screen, False),
    )
    # the first non-hidden subscriber (bob) bound
    assert alice.drain() == (
        ev.LocalTrackPublished(track_sid=screen),
        ev.LocalTrackSubscribed(track_sid=screen),
    )


def test_empty_allow_list_means_nobody() -> None:
    """Server §6: with ``all_participants`` false, an empty list means nobody; a track
    published then gets no subscriber, so no ``local_track_subscribed``."""
    room = Room("r")
    alice = room.connect("alice", sdk="js")
    bob = room.connect("bob", sdk="js")
    alice.set_track_subscription_permissions(all_participants=False, allowed={})
    alice.drain()
    bob.drain()
    mic = alice.publish_track(AUDIO, MIC)
    assert alice.drain() == (ev.LocalTrackPublished(track_sid=mic),)
    assert bob.drain() == (
        ev.TrackPublished(participant="alice", track_sid=mic),
        _perm("alice", mic, False),
    )


def test_granting_later_gives_the_publisher_its_first_subscriber_notice() -> None:
    """Server §6: ``TrackSubscribed`` goes to the publisher the first time a non-hidden
    subscriber binds, here when permission is granted.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice", sdk="js")
    bob = room.connect("bob", sdk="js")
    alice.set_track_subscription_permissions(all_participants=False)
    mic = alice.publish_track(AUDIO, MIC)
    alice.drain()
    bob.drain()
    alice.set_track_subscription_permissions(all_participants=False, allowed={"bob": (mic,)})
    assert bob.drain() == (
        _perm("alice", mic, True),
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )
    assert alice.drain() == (ev.LocalTrackSubscribed(track_sid=mic),)


def test_identity_not_yet_present_is_allowed_when_it_joins() -> None:
    """Server §6: the allow list names identities; one not in the room yet gets access
    when it joins, others joining are denied (told ``allowed=False``).
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice", sdk="js")
    mic = alice.publish_track(AUDIO, MIC)
    alice.set_track_subscription_permissions(all_participants=False, allowed={"dave": None})
    alice.drain()

    dave = room.connect("dave", sdk="js")
    assert dave.drain() == (
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )
    assert alice.drain() == (
        ev.ParticipantConnected(participant="dave"),
        ev.ParticipantActive(participant="dave"),
        ev.LocalTrackSubscribed(track_sid=mic),
    )

    eve = room.connect("eve", sdk="js")
    assert eve.drain() == (_perm("alice", mic, False),)
    pub = eve.remote_participants["alice"].track_publications[mic]
    assert (pub.subscribed, pub.allowed) == (False, False)


def test_denied_subscription_stays_desired_without_failure() -> None:
    """Server §6 and design §4: a wanted but denied subscription is no error and no
    ``track_subscription_failed``; it stays desired and is made when access comes back.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r", config=RoomConfig(auto_subscribe=False))
    alice = room.connect("alice", sdk="js")
    bob = room.connect("bob", sdk="js")
    mic = alice.publish_track(AUDIO, MIC)
    alice.set_track_subscription_permissions(all_participants=False)
    bob.drain()

    bob.set_subscribed("alice", mic, True)  # no error
    assert bob.drain() == (_perm("alice", mic, False),)
    bob.set_subscribed("alice", mic, True)  # still desired: nothing new
    assert bob.drain() == ()

    alice.set_track_subscription_permissions(all_participants=True)
    assert bob.drain() == (
        _perm("alice", mic, True),
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )


def test_not_wanted_track_gets_no_permission_events() -> None:
    """Server §6: ``SubscriptionPermissionUpdate`` comes from reconciling a *desired*
    subscription; a participant that does not want the track is told nothing."""
    room = Room("r")
    alice = room.connect("alice", sdk="js")
    bob = room.connect("bob", sdk="js", auto_subscribe=False)
    mic = alice.publish_track(AUDIO, MIC)
    bob.drain()
    alice.set_track_subscription_permissions(all_participants=False)
    assert bob.drain() == ()
    alice.set_track_subscription_permissions(all_participants=True)
    assert bob.drain() == ()
    assert bob.remote_participants["alice"].track_publications[mic].subscribed is False


def test_unwanting_a_denied_track_then_granting_is_silent() -> None:
    """Server §6: once the subscriber stops wanting the track, a later grant has no
    desired subscription to reconcile, so nothing is sent.
    A first subscription to a publisher also brings its quality (server §8)."""
    room, mic, cam = _room_with_two_tracks()
    alice, bob = room.clients["alice"], room.clients["bob"]
    alice.set_track_subscription_permissions(all_participants=False)
    bob.drain()
    bob.set_subscribed("alice", mic, False)
    assert bob.drain() == ()
    alice.set_track_subscription_permissions(all_participants=True)
    assert bob.drain() == (
        _perm("alice", cam, True),
        ev.TrackSubscribed(participant="alice", track_sid=cam),
    )


def test_denied_track_unpublished_is_just_unpublished() -> None:
    """Client §4.4f: a denied (never subscribed) track going away is ``track_unpublished``
    only; no ``track_subscription_failed`` (design §3: the track was not "gone" while
    wanted by a failing subscription)."""
    room, mic, _cam = _room_with_two_tracks()
    alice, bob = room.clients["alice"], room.clients["bob"]
    alice.set_track_subscription_permissions(all_participants=False)
    bob.drain()
    alice.unpublish_track(mic)
    assert bob.drain() == (ev.TrackUnpublished(participant="alice", track_sid=mic),)


def test_recorder_and_egress_are_exempt() -> None:
    """Server §6: recorders and egress (``IsRecorder``) are exempt from track permissions."""
    room = Room("r")
    alice = room.connect("alice", sdk="js")
    rec = room.connect("rec", sdk="js", permission=Permission(recorder=True))
    egress = room.connect("egress", sdk="js", kind=ParticipantKind.EGRESS)
    mic = alice.publish_track(AUDIO, MIC)
    rec.drain()
    egress.drain()

    alice.set_track_subscription_permissions(all_participants=False)
    assert rec.drain() == ()
    assert egress.drain() == ()

    cam = alice.publish_track(VIDEO, CAM)
    for c in (rec, egress):
        assert c.drain() == (
            ev.TrackPublished(participant="alice", track_sid=cam),
            ev.TrackSubscribed(participant="alice", track_sid=cam),
        )
        pubs = c.remote_participants["alice"].track_publications
        assert pubs[mic].subscribed is True
        assert pubs[mic].allowed is True


def test_permissions_of_a_hidden_subscriber_apply_too() -> None:
    """Server §6: the rule is by identity; a hidden subscriber is denied like anyone else
    (it sees the unsubscription of the publisher's track)."""
    room = Room("r")
    alice = room.connect("alice", sdk="js")
    ghost = room.connect("ghost", sdk="js", permission=Permission(hidden=True))
    mic = alice.publish_track(AUDIO, MIC)
    ghost.drain()
    alice.set_track_subscription_permissions(all_participants=False)
    assert ghost.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        ev.ActiveSpeakersChanged(speakers=()),
        _perm("alice", mic, False),
    )


def test_allowed_snapshot_agrees_with_what_the_sdk_was_told() -> None:
    """design §2 (remote snapshots "as bob's SDK knows them"), client §9b (JS
    ``permissionStatus`` changes only on ``SubscriptionPermissionUpdate``) and server §6
    (that update is sent only for a desired subscription): a client that never wanted the
    track was never told it is denied, so its view still says allowed."""
    room = Room("r")
    alice = room.connect("alice", sdk="js")
    bob = room.connect("bob", sdk="js", auto_subscribe=False)
    mic = alice.publish_track(AUDIO, MIC)
    bob.drain()
    alice.set_track_subscription_permissions(all_participants=False)
    assert bob.drain() == ()
    assert bob.remote_participants["alice"].track_publications[mic].allowed is True
    bob.set_subscribed("alice", mic, True)
    assert bob.drain() == (_perm("alice", mic, False),)
    assert bob.remote_participants["alice"].track_publications[mic].allowed is False


def test_becoming_a_recorder_reports_allowed_then_subscribes() -> None:
    """Server §6: recorders are exempt; the still-desired, denied subscription is
    reconciled, which "sends SubscriptionPermissionUpdate{allowed=true} and re-subscribes"
    (the per-subscription permission state changed: ``setHasPermission``).  The event
    stream then agrees with the publication's ``allowed``.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice", sdk="js")
    bob = room.connect("bob", sdk="js")
    mic = alice.publish_track(AUDIO, MIC)
    alice.set_track_subscription_permissions(all_participants=False)
    bob.drain()
    rec = Permission(recorder=True)

    room.update_participant("bob", permission=rec)

    assert bob.drain() == (
        ev.ParticipantPermissionsChanged(
            participant="bob", old_permissions=Permission(), permissions=rec
        ),
        _perm("alice", mic, True),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )
    pub = bob.remote_participants["alice"].track_publications[mic]
    assert (pub.subscribed, pub.allowed) == (True, True)
