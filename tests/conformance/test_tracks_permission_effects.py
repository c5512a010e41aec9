"""Transcripts: what a permission change does to tracks, subscriptions and data.

Spec: server §3 "Effects of SetPermission" (1: tracks whose source is no longer allowed are
unpublished, the publisher told; 2: ``can_subscribe=false`` removes every subscription, kept
desired, re-made by ``ReconcileAll`` on re-grant, no ``SubscriptionPermissionUpdate``; 3: data
from a participant without ``can_publish_data`` is dropped silently; 5: the ParticipantUpdate
with the new permission goes to everyone), client §4.4 (permission event, then removed tracks:
``track_unsubscribed`` then ``track_unpublished``), client §5 (Python: any field change),
client §16.1 (a subscription the server removes is invisible to Python, and replaced on
re-grant), §16.2 (no ``local_track_unpublished`` for a server unpublish in Python, which keeps
the publication), §16.5/§16.6 (the forced speaker update after the last unsubscription).
"""

from __future__ import annotations

import pytest

from roomsim import (
    ConnectionQuality,
    DataPacketKind,
    Permission,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
)
from roomsim import events as ev

AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO
MIC, CAM, SCREEN = TrackSource.MICROPHONE, TrackSource.CAMERA, TrackSource.SCREEN_SHARE
DEFAULT = Permission()
GOOD = ConnectionQuality.EXCELLENT


def _perm_changed(who: str, old: Permission, new: Permission) -> ev.ParticipantPermissionsChanged:
    return ev.ParticipantPermissionsChanged(participant=who, old_permissions=old, permissions=new)


def _setup(sdk: str = "python", bob_sdk: str = "python") -> tuple[Room, str, str]:
    room = Room("r")
    alice = room.connect("alice", sdk=sdk)
    room.connect("bob", sdk=bob_sdk)
    room.connect("carol", auto_subscribe=False)
    mic = alice.publish_track(AUDIO, MIC)
    cam = alice.publish_track(VIDEO, CAM)
    for c in room.clients.values():
        c.drain()
    return room, mic, cam


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_revoking_can_publish_unpublishes_every_track(sdk: str) -> None:
    """Server §3 effect 1 (every track when ``can_publish`` becomes false; the publisher
    gets ``TrackUnpublishedResponse``; subscribers lose the track) and client §4.4 (the
    permission event first, then per removed track unsubscribed, unpublished).  Client §16.2:
    a JS publisher reports ``local_track_unpublished``; a Python one hears nothing and keeps
    listing the publications; subscribers see the pair in both."""
    room, mic, cam = _setup(sdk, bob_sdk=sdk)
    alice, bob, carol = (room.clients[i] for i in ("alice", "bob", "carol"))
    new = Permission(can_publish=False)

    room.update_participant("alice", permission=new)

    local = (ev.LocalTrackUnpublished(track_sid=mic), ev.LocalTrackUnpublished(track_sid=cam))
    assert alice.drain() == (_perm_changed("alice", DEFAULT, new), *(local if sdk == "js" else ()))
    kept = list(alice.local_participant.track_publications)
    assert kept == ([] if sdk == "js" else [mic, cam])
    assert bob.drain() == (
        _perm_changed("alice", DEFAULT, new),
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        ev.TrackUnpublished(participant="alice", track_sid=mic),
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.TrackUnpublished(participant="alice", track_sid=cam),
        ev.ActiveSpeakersChanged(speakers=()),
    )
    assert carol.drain() == (
        _perm_changed("alice", DEFAULT, new),
        ev.TrackUnpublished(participant="alice", track_sid=mic),
        ev.TrackUnpublished(participant="alice", track_sid=cam),
    )
    assert dict(room.participants["alice"].track_publications) == {}
    assert dict(bob.remote_participants["alice"].track_publications) == {}
    # can_publish_data follows can_publish (server §3 table)
    assert room.participants["alice"].permission.can_publish_data is False


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_revoking_a_source_unpublishes_only_those_tracks(sdk: str) -> None:
    """Server §3 effect 1: tracks whose source is no longer allowed are unpublished (the
    publisher's own event: JS only, client §16.2)."""
    room, mic, cam = _setup(sdk)
    alice, bob = room.clients["alice"], room.clients["bob"]
    new = Permission(can_publish_sources=(MIC,))

    room.update_participant("alice", permission=new)

    local = (ev.LocalTrackUnpublished(track_sid=cam),) if sdk == "js" else ()
    assert alice.drain() == (_perm_changed("alice", DEFAULT, new), *local)
    assert bob.drain() == (
        _perm_changed("alice", DEFAULT, new),
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.TrackUnpublished(participant="alice", track_sid=cam),
    )
    assert list(bob.remote_participants["alice"].track_publications) == [mic]
    # a Python publisher's own disconnection unpublishes what it still lists (client §17.1)
    alice.disconnect()
    gone = (mic,) if sdk == "js" else (mic, cam)
    assert alice.drain()[: len(gone)] == tuple(ev.LocalTrackUnpublished(track_sid=s) for s in gone)


def test_allowed_sources_keep_their_tracks() -> None:
    """Server §3: a permission change that still allows every published source removes
    nothing; only the permission event is seen."""
    room, _mic, _cam = _setup()
    alice, bob = room.clients["alice"], room.clients["bob"]
    new = Permission(can_publish_sources=(CAM, MIC, SCREEN))
    room.update_participant("alice", permission=new)
    assert alice.drain() == (_perm_changed("alice", DEFAULT, new),)
    assert bob.drain() == (_perm_changed("alice", DEFAULT, new),)


def test_equal_permission_changes_nothing() -> None:
    """Server §3: ``SetPermission`` with an equal set returns false; nothing happens."""
    room, _mic, _cam = _setup()
    room.update_participant("alice", permission=Permission())
    for c in room.clients.values():
        assert c.drain() == ()


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_revoking_can_subscribe_drops_and_regrant_restores_subscriptions(sdk: str) -> None:
    """Server §3 effect 2: every subscription is removed, kept desired, and re-made on
    re-grant (``track_subscribed``); no permission-update events.  The publisher hears only
    the permission change (its notice was once per track).  A first subscription to a
    publisher also brings its quality (server §8; JS only when it changed, client §7).

    Client §16.1: JS reports each removal (``track_unsubscribed``); Python hears none of them
    (its publications still look subscribed) and, on re-grant, ends each stale track before
    the new one.  Both get the forced speaker update of each last unsubscription (§16.6)."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol")
    bob = room.connect("bob", sdk=sdk)
    mic = alice.publish_track(AUDIO, MIC)
    c_cam = carol.publish_track(VIDEO, CAM)
    cam = alice.publish_track(VIDEO, CAM)
    for c in room.clients.values():
        c.drain()
    off = Permission(can_subscribe=False)
    js = sdk == "js"
    sp = ev.ActiveSpeakersChanged(speakers=())

    def unsub(who: str, sid: str) -> tuple[ev.Event, ...]:
        return (ev.TrackUnsubscribed(participant=who, track_sid=sid),)

    room.update_participant("bob", permission=off)
    assert bob.drain() == (
        _perm_changed("bob", DEFAULT, off),
        *(unsub("alice", mic) + unsub("alice", cam) if js else ()),
        sp,
        *(unsub("carol", c_cam) if js else ()),
        sp,
    )
    assert alice.drain() == (_perm_changed("bob", DEFAULT, off),)
    pubs = bob.remote_participants["alice"].track_publications
    assert (pubs[mic].subscribed, pubs[cam].subscribed) == (not js, not js)

    room.update_participant("bob", permission=DEFAULT)
    stale = () if js else None

    def resub(who: str, sid: str) -> tuple[ev.Event, ...]:
        old = unsub(who, sid) if stale is None else stale
        return (*old, ev.TrackSubscribed(participant=who, track_sid=sid))

    quality = () if js else (ev.ConnectionQualityChanged(participant="alice", quality=GOOD),)
    c_quality = () if js else (ev.ConnectionQualityChanged(participant="carol", quality=GOOD),)
    assert bob.drain() == (
        _perm_changed("bob", off, DEFAULT),
        *quality,  # a first subscription's quality comes ahead of the track (client §17.2)
        *resub("alice", mic),
        *resub("alice", cam),
        *c_quality,
        *resub("carol", c_cam),
    )
    assert alice.drain() == (_perm_changed("bob", off, DEFAULT),)
    pubs = bob.remote_participants["alice"].track_publications
    assert (pubs[mic].subscribed, pubs[cam].subscribed) == (True, True)


def test_without_can_subscribe_new_tracks_stay_desired() -> None:
    """Server §6 (``can_subscribe`` false -> keep retrying): a track published meanwhile is
    announced only, and subscribed at re-grant; a manual wish is accepted silently
    (design §4).  The publisher's first-subscriber notice waits for the binding.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r", config=RoomConfig(auto_subscribe=True))
    alice = room.connect("alice")
    bob = room.connect("bob", permission=Permission(can_subscribe=False))
    alice.drain()
    bob.drain()
    mic = alice.publish_track(AUDIO, MIC)
    assert bob.drain() == (ev.TrackPublished(participant="alice", track_sid=mic),)
    assert alice.drain() == (ev.LocalTrackPublished(track_sid=mic),)
    bob.set_subscribed("alice", mic, True)  # no error, no event
    assert bob.drain() == ()

    room.update_participant("bob", permission=DEFAULT)
    off = Permission(can_subscribe=False)
    assert bob.drain() == (
        _perm_changed("bob", off, DEFAULT),
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )
    assert alice.drain() == (
        _perm_changed("bob", off, DEFAULT),
        ev.LocalTrackSubscribed(track_sid=mic),
    )


def test_can_subscribe_regrant_respects_manual_unsubscription() -> None:
    """Server §3 effect 2: re-grant re-makes the *desired* subscriptions only.
    A first subscription to a publisher also brings its quality (server §8).  Python: the
    revocation shows only as the forced speaker update (client §16.1, §16.6); the re-grant
    replaces the stale track."""
    room, mic, cam = _setup()
    bob = room.clients["bob"]
    bob.set_subscribed("alice", mic, False)
    off = Permission(can_subscribe=False)
    room.update_participant("bob", permission=off)
    room.update_participant("bob", permission=DEFAULT)
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        _perm_changed("bob", DEFAULT, off),
        ev.ActiveSpeakersChanged(speakers=()),
        _perm_changed("bob", off, DEFAULT),
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.TrackSubscribed(participant="alice", track_sid=cam),
    )


def test_can_subscribe_revoke_does_not_touch_publisher_side_permission_events() -> None:
    """Server §3 effect 2: "No SubscriptionPermissionUpdate is sent for this case", even
    when the publisher also denies the track.
    A first subscription to a publisher also brings its quality (server §8).  A JS client
    (a Python one hears of neither removal, client §16.1)."""
    room, _mic, cam = _setup(bob_sdk="js")
    alice, bob = room.clients["alice"], room.clients["bob"]
    alice.set_track_subscription_permissions(all_participants=False, allowed={"bob": (cam,)})
    bob.drain()
    off = Permission(can_subscribe=False)
    room.update_participant("bob", permission=off)
    assert bob.drain() == (
        _perm_changed("bob", DEFAULT, off),
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.ActiveSpeakersChanged(speakers=()),
    )
    room.update_participant("bob", permission=DEFAULT)
    assert bob.drain() == (
        _perm_changed("bob", off, DEFAULT),
        ev.TrackSubscribed(participant="alice", track_sid=cam),
    )  # the quality did not change: JS reports none (client §7)


def test_without_can_publish_data_data_is_dropped_silently() -> None:
    """Server §3 effect 3: incoming data from a participant without ``can_publish_data`` is
    silently dropped; design §4: no error."""
    room, _mic, _cam = _setup()
    alice, bob = room.clients["alice"], room.clients["bob"]
    room.update_participant("alice", permission=Permission(can_publish_data=False))
    for c in room.clients.values():
        c.drain()
    alice.send_data(b"hello", topic="chat")
    alice.send_data(b"hello", destination_identities=("bob",))
    for c in room.clients.values():
        assert c.drain() == ()
    # publishing media is still allowed
    assert alice.publish_track(VIDEO, SCREEN) == "TR_3"
    assert bob.drain() == (
        ev.TrackPublished(participant="alice", track_sid="TR_3"),
        ev.TrackSubscribed(participant="alice", track_sid="TR_3"),
    )


def test_regranting_can_publish_data_lets_data_through() -> None:
    """Server §3 effect 3: the check is made per incoming packet."""
    room = Room("r")
    alice = room.connect("alice", permission=Permission(can_publish_data=False))
    bob = room.connect("bob")
    alice.send_data(b"one")
    assert bob.drain() == ()
    room.update_participant("alice", permission=DEFAULT)
    bob.drain()
    alice.send_data(b"two")
    assert bob.drain() == (
        ev.DataReceived(participant="alice", data=b"two", topic="", kind=DataPacketKind.RELIABLE),
    )
