"""Transcripts: subscriptions (auto-subscribe, held joins, manual and server-side changes).

Spec: server §6 (auto-subscribe for ACTIVE participants, ``subscribeToExistingTracks``,
manual ``UpdateSubscription`` / ``UpdateSubscriptions``), client §9b (``track_subscribed``),
§13 (initial state at connect), design §2 (held joins).
"""

from __future__ import annotations

import pytest

from roomsim import (
    ConnectionQuality,
    DisconnectReason,
    ParticipantState,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
)
from roomsim import events as ev

AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO
MIC, CAM = TrackSource.MICROPHONE, TrackSource.CAMERA


def test_joiner_subscribes_to_existing_tracks_in_publish_order() -> None:
    """Server §6 (``subscribeToExistingTracks``) and client §13: existing tracks are state
    at connect; their subscriptions are events, in join then publish order.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    a_mic = alice.publish_track(AUDIO, MIC)
    b_cam = bob.publish_track(VIDEO, CAM)
    a_cam = alice.publish_track(VIDEO, CAM)
    carol = room.connect("carol")
    assert carol.drain() == (
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=a_mic),
        ev.TrackSubscribed(participant="alice", track_sid=a_cam),
        ev.ConnectionQualityChanged(participant="bob", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="bob", track_sid=b_cam),
    )
    assert set(carol.remote_participants) == {"alice", "bob"}


def test_client_auto_subscribe_false_overrides_room_default() -> None:
    """Server §6: ``auto_subscribe`` is a per-join option; False means announce only."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob", auto_subscribe=False)
    alice.drain()
    bob.drain()
    mic = alice.publish_track(AUDIO, MIC)
    assert bob.drain() == (ev.TrackPublished(participant="alice", track_sid=mic),)
    assert alice.drain() == (ev.LocalTrackPublished(track_sid=mic),)
    assert bob.remote_participants["alice"].track_publications[mic].subscribed is False


def test_client_auto_subscribe_true_overrides_room_default_off() -> None:
    """Server §6: a join with ``auto_subscribe`` on is subscribed even if the room's
    default is off.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r", config=RoomConfig(auto_subscribe=False))
    alice = room.connect("alice")
    bob = room.connect("bob", auto_subscribe=True)
    carol = room.connect("carol")
    for c in (alice, bob, carol):
        c.drain()
    mic = alice.publish_track(AUDIO, MIC)
    assert bob.drain() == (
        ev.TrackPublished(participant="alice", track_sid=mic),
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )
    assert carol.drain() == (ev.TrackPublished(participant="alice", track_sid=mic),)


def test_auto_subscribe_off_joiner_gets_no_subscriptions() -> None:
    """Server §6: with auto-subscribe off, becoming ACTIVE subscribes to nothing."""
    room = Room("r")
    alice = room.connect("alice")
    alice.publish_track(AUDIO, MIC)
    alice.drain()
    bob = room.connect("bob", auto_subscribe=False)
    assert bob.drain() == ()
    assert alice.drain() == (
        ev.ParticipantConnected(participant="bob"),
        ev.ParticipantActive(participant="bob"),
    )


def test_held_join_subscribes_at_activate() -> None:
    """design §2 and server §6 (``onStateChange`` -> ``subscribeToExistingTracks``): a
    held participant is subscribed only once ACTIVE; others see ``participant_active``
    and the publisher its first ``local_track_subscribed``.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice")
    mic = alice.publish_track(AUDIO, MIC)
    carol = room.connect("carol", active=False)
    cam = alice.publish_track(VIDEO, CAM)
    assert carol.drain() == (ev.TrackPublished(participant="alice", track_sid=cam),)
    assert carol.state is ParticipantState.JOINED
    assert carol.remote_participants["alice"].track_publications[mic].subscribed is False
    alice.drain()

    carol.activate()

    assert carol.drain() == (
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
        ev.TrackSubscribed(participant="alice", track_sid=cam),
    )
    assert alice.drain() == (
        ev.ParticipantActive(participant="carol"),
        ev.LocalTrackSubscribed(track_sid=mic),
        ev.LocalTrackSubscribed(track_sid=cam),
    )
    # design §2: a second activate() changes nothing
    carol.activate()
    assert carol.drain() == ()
    assert alice.drain() == ()


def test_held_join_with_auto_subscribe_off_subscribes_to_nothing() -> None:
    """Server §6: activation subscribes only auto-subscribing participants."""
    room = Room("r")
    alice = room.connect("alice")
    alice.publish_track(AUDIO, MIC)
    carol = room.connect("carol", active=False, auto_subscribe=False)
    alice.drain()
    carol.activate()
    assert carol.drain() == ()
    assert alice.drain() == (ev.ParticipantActive(participant="carol"),)


def test_held_join_manual_subscription_waits_for_active() -> None:
    """Server §6: a manual subscription only sets the desired state; a held participant's
    subscription manager acts when it becomes ACTIVE.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r", config=RoomConfig(auto_subscribe=False))
    alice = room.connect("alice")
    mic = alice.publish_track(AUDIO, MIC)
    carol = room.connect("carol", active=False)
    carol.set_subscribed("alice", mic, True)
    assert carol.drain() == ()
    carol.activate()
    assert carol.drain() == (
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )


def test_set_subscribed_off_and_on() -> None:
    """Server §6 (manual ``UpdateSubscription``), client §9b: unsubscribing gives
    ``track_unsubscribed``; subscribing again gives ``track_subscribed``; the publisher
    hears nothing more (its notice is once per track).  The last unsubscription from a
    publisher brings the forced speaker update (client §16.6).
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    cam = alice.publish_track(VIDEO, CAM)
    alice.drain()
    bob.drain()

    bob.set_subscribed("alice", cam, False)
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.ActiveSpeakersChanged(speakers=()),
    )
    assert bob.remote_participants["alice"].track_publications[cam].subscribed is False

    bob.set_subscribed("alice", cam, True)
    assert bob.drain() == (
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=cam),
    )
    assert bob.remote_participants["alice"].track_publications[cam].subscribed is True
    assert alice.drain() == ()


def test_set_subscribed_repeated_changes_nothing() -> None:
    """Server §6: the desired state is a flag; setting it to its value changes nothing."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    cam = alice.publish_track(VIDEO, CAM)
    bob.drain()
    bob.set_subscribed("alice", cam, True)
    assert bob.drain() == ()
    bob.set_subscribed("alice", cam, False)
    bob.set_subscribed("alice", cam, False)
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.ActiveSpeakersChanged(speakers=()),
    )


def test_manual_subscription_without_auto_subscribe() -> None:
    """Server §6: manual subscription of a participant that does not auto-subscribe; the
    publisher gets its first-subscriber notice then.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r", config=RoomConfig(auto_subscribe=False))
    alice = room.connect("alice")
    bob = room.connect("bob")
    mic = alice.publish_track(AUDIO, MIC)
    cam = alice.publish_track(VIDEO, CAM)
    alice.drain()
    bob.drain()
    bob.set_subscribed("alice", cam, True)
    assert bob.drain() == (
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=cam),
    )
    assert alice.drain() == (ev.LocalTrackSubscribed(track_sid=cam),)
    pubs = bob.remote_participants["alice"].track_publications
    assert (pubs[mic].subscribed, pubs[cam].subscribed) == (False, True)


def test_unsubscribed_track_stays_unsubscribed_for_later_tracks() -> None:
    """Server §6: a manual unsubscription concerns that track only; new tracks still
    auto-subscribe.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    mic = alice.publish_track(AUDIO, MIC)
    bob.set_subscribed("alice", mic, False)
    bob.drain()
    cam = alice.publish_track(VIDEO, CAM)
    assert bob.drain() == (
        ev.TrackPublished(participant="alice", track_sid=cam),
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=cam),
    )
    assert bob.remote_participants["alice"].track_publications[mic].subscribed is False


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_server_update_subscriptions(sdk: str) -> None:
    """Server §6 (``Room.UpdateSubscriptions(track_sids, subscribe)``): the server API sets
    the desired state of several tracks at once, across publishers.
    A first subscription to a publisher also brings its quality (server §8).  Client §16.1:
    the server's unsubscription is reported by JS only; Python keeps showing the track until
    the client unsubscribes it itself.  Both get the forced speaker update (§16.6)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    carol = room.connect("carol", auto_subscribe=False, sdk=sdk)
    a_cam = alice.publish_track(VIDEO, CAM)
    b_mic = bob.publish_track(AUDIO, MIC)
    for c in (alice, bob, carol):
        c.drain()

    room.update_subscriptions("carol", track_sids=(a_cam, b_mic), subscribe=True)
    assert carol.drain() == (
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=a_cam),
        ev.ConnectionQualityChanged(participant="bob", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="bob", track_sid=b_mic),
    )
    assert alice.drain() == ()  # bob already triggered alice's notice
    assert bob.drain() == ()  # alice already triggered bob's notice

    room.update_subscriptions("carol", track_sids=[b_mic], subscribe=False)
    unsub = (ev.TrackUnsubscribed(participant="bob", track_sid=b_mic),)
    speakers = ev.ActiveSpeakersChanged(speakers=())
    js = sdk == "js"
    assert carol.drain() == (*(unsub if js else ()), speakers)
    assert carol.remote_participants["bob"].track_publications[b_mic].subscribed is not js
    carol.set_subscribed("bob", b_mic, False)  # the client's own "off": Python ends it now
    assert carol.drain() == (() if js else unsub)
    assert carol.remote_participants["bob"].track_publications[b_mic].subscribed is False


def test_server_update_subscriptions_empty_changes_nothing() -> None:
    """Server §6: an empty list of sids subscribes to nothing."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    alice.publish_track(VIDEO, CAM)
    bob.drain()
    before = room.participants["bob"]
    room.update_subscriptions("bob", track_sids=(), subscribe=False)
    assert bob.drain() == ()
    assert room.participants["bob"] == before


def test_subscriber_leaving_tells_the_publisher_only_that_it_left() -> None:
    """Client §10: a subscriber-only participant leaving is just
    ``participant_disconnected`` for the others."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    alice.publish_track(AUDIO, MIC)
    alice.drain()
    bob.disconnect()
    assert alice.drain() == (
        ev.ParticipantDisconnected(participant="bob", reason=DisconnectReason.CLIENT_INITIATED),
    )
