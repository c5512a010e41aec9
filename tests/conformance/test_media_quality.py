"""Transcripts: connection quality (the network's view, as each client hears it).

Spec: server §8 (the 5 s ``connectionQualityWorker``: it sends when an ACTIVE participant is new
or its quality level changed, to every ACTIVE recipient its own entry plus those it subscribes
to; a leave triggers nothing; a new subscription sends the publisher's current quality at
once), client §7 (the Python SDK emits ``connection_quality_changed`` for every entry received,
changed or not; the initial value is ``QUALITY_UNKNOWN``), design §2 and §4
(``set_connection_quality``; refused input changes nothing).
"""

from __future__ import annotations

from typing import Any

import pytest

from roomsim import (
    Client,
    ConnectionQuality,
    DisconnectReason,
    InvalidArgument,
    InvalidType,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
    UnknownParticipant,
)
from roomsim import events as ev
from roomsim.events import ConnectionQualityChanged as CQ

AUDIO, MIC = TrackKind.AUDIO, TrackSource.MICROPHONE
POOR, GOOD = ConnectionQuality.POOR, ConnectionQuality.GOOD
EXCELLENT, LOST = ConnectionQuality.EXCELLENT, ConnectionQuality.LOST
UNKNOWN = ConnectionQuality.UNKNOWN


def _pair(config: RoomConfig | None = None) -> tuple[Room, Client, Client, str]:
    """alice publishes a microphone, bob subscribes to it; nothing drained."""
    room = Room("r", config=config)
    alice = room.connect("alice")
    bob = room.connect("bob")
    mic = alice.publish_track(AUDIO, MIC)
    return room, alice, bob, mic


def _settled() -> tuple[Room, Client, Client, str]:
    """``_pair`` past its first quality update (at 5 s), everything drained."""
    room, alice, bob, mic = _pair()
    room.advance(5.0)
    alice.drain()
    bob.drain()
    return room, alice, bob, mic


# ------------------------------------------------------------------------------------------------
# input


@pytest.mark.parametrize(
    ("identity", "quality", "error"),
    [
        ("alice", UNKNOWN, InvalidArgument),
        ("alice", "poor", InvalidType),
        ("alice", 0, InvalidType),
        ("alice", None, InvalidType),
        ("nobody", POOR, UnknownParticipant),
        ("", POOR, InvalidArgument),
        (3, POOR, InvalidType),
    ],
)
def test_refused_quality_changes_nothing(
    identity: Any, quality: Any, error: type[Exception]
) -> None:
    """design §2 and §4: qualities are POOR, GOOD, EXCELLENT or LOST (``UNKNOWN`` is only the
    SDK's value before any update) for a present participant; a refused call leaves
    ``room.snapshot()`` as it was."""
    room, _, _, _ = _pair()
    before = room.snapshot()
    with pytest.raises(error):
        room.set_connection_quality(identity, quality)
    assert room.snapshot() == before


# ------------------------------------------------------------------------------------------------
# initial view, and the server's truth


def test_a_client_starts_with_unknown_quality() -> None:
    """Client §7: Python's initial value is ``QUALITY_UNKNOWN`` (JS ``unknown``); the server's
    value starts EXCELLENT (server §8: a participant without tracks is EXCELLENT)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    assert alice.local_participant.connection_quality is UNKNOWN
    assert alice.remote_participants["bob"].connection_quality is UNKNOWN
    assert bob.remote_participants["alice"].connection_quality is UNKNOWN
    assert room.participants["alice"].connection_quality is EXCELLENT


def test_the_server_truth_changes_at_once_and_clients_hear_at_the_next_update() -> None:
    """Server §8 (cadence 5 s) and design §2: ``room.participants`` is the server's truth; the
    clients hear it on the 5 s grid."""
    room, alice, bob, _ = _settled()
    room.advance(1.0)
    room.set_connection_quality("alice", POOR)
    assert room.participants["alice"].connection_quality is POOR
    assert bob.remote_participants["alice"].connection_quality is EXCELLENT
    room.advance(3.99)
    assert bob.drain() == ()
    room.advance(0.01)
    assert alice.drain() == (CQ(participant="alice", quality=POOR),)
    assert bob.drain() == (
        CQ(participant="bob", quality=EXCELLENT),
        CQ(participant="alice", quality=POOR),
    )
    assert bob.remote_participants["alice"].connection_quality is POOR
    assert alice.local_participant.connection_quality is POOR


# ------------------------------------------------------------------------------------------------
# the worker


def test_the_first_update_after_joins_gives_each_client_itself_then_its_publishers() -> None:
    """Server §8: a new ACTIVE participant triggers an update; each recipient gets its own entry,
    then an entry for every participant it subscribes to.  The subscription itself already
    brought alice's quality (server §8), so bob hears EXCELLENT twice: the Python SDK emits
    every entry, changed or not (client §7)."""
    room, alice, bob, mic = _pair()
    assert bob.drain() == (
        ev.TrackPublished(participant="alice", track_sid=mic),
        CQ(participant="alice", quality=EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )
    alice.drain()
    room.advance(4.99)
    assert alice.drain() == ()
    assert bob.drain() == ()
    room.advance(0.01)
    assert alice.drain() == (CQ(participant="alice", quality=EXCELLENT),)
    assert bob.drain() == (
        CQ(participant="bob", quality=EXCELLENT),
        CQ(participant="alice", quality=EXCELLENT),
    )
    assert bob.local_participant.connection_quality is EXCELLENT


def test_no_change_sends_nothing() -> None:
    """Server §8: the worker sends only when some ACTIVE participant is new or its quality level
    changed since the last tick."""
    room, alice, bob, _ = _settled()
    room.advance(60.0)
    assert alice.drain() == ()
    assert bob.drain() == ()


def test_setting_the_same_quality_sends_nothing() -> None:
    """Server §8: only a change of quality level triggers an update."""
    room, alice, bob, _ = _settled()
    room.set_connection_quality("alice", EXCELLENT)
    room.advance(5.0)
    assert (alice.drain(), bob.drain()) == ((), ())


def test_one_change_sends_a_full_snapshot_to_everyone() -> None:
    """Server §8: when triggered, every ACTIVE recipient gets its own entry plus all those it
    subscribes to; it is a per-recipient snapshot, not the changed entries."""
    room, alice, bob, _ = _settled()
    carol = room.connect("carol", auto_subscribe=False)
    room.advance(5.0)
    for c in (alice, bob, carol):
        c.drain()
    room.set_connection_quality("bob", GOOD)
    room.advance(5.0)
    assert alice.drain() == (CQ(participant="alice", quality=EXCELLENT),)
    assert bob.drain() == (
        CQ(participant="bob", quality=GOOD),
        CQ(participant="alice", quality=EXCELLENT),
    )
    assert carol.drain() == (CQ(participant="carol", quality=EXCELLENT),)
    # alice does not subscribe to bob: she still does not know his quality
    assert alice.remote_participants["bob"].connection_quality is UNKNOWN
    assert carol.remote_participants["alice"].connection_quality is UNKNOWN


def test_several_changes_within_an_interval_give_one_update() -> None:
    """Server §8: the worker runs every 5 s; what counts is the quality at the tick."""
    room, alice, bob, _ = _settled()
    room.set_connection_quality("alice", POOR)
    room.set_connection_quality("alice", LOST)
    room.set_connection_quality("bob", GOOD)
    room.advance(5.0)
    assert alice.drain() == (CQ(participant="alice", quality=LOST),)
    assert bob.drain() == (
        CQ(participant="bob", quality=GOOD),
        CQ(participant="alice", quality=LOST),
    )


def test_entries_follow_subscriptions() -> None:
    """Server §8: entries for participants the recipient subscribes to, in join order (roomsim's
    choice for LiveKit's map order)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    carol = room.connect("carol")
    alice.publish_track(AUDIO, MIC)
    bob.publish_track(AUDIO, MIC)
    room.advance(5.0)
    assert carol.drain()[-3:] == (
        CQ(participant="carol", quality=EXCELLENT),
        CQ(participant="alice", quality=EXCELLENT),
        CQ(participant="bob", quality=EXCELLENT),
    )
    assert alice.drain()[-2:] == (
        CQ(participant="alice", quality=EXCELLENT),
        CQ(participant="bob", quality=EXCELLENT),
    )


def test_a_held_join_gets_nothing_until_active_and_its_activation_triggers_an_update() -> None:
    """Server §8: the worker considers only ACTIVE participants, and sends only to ACTIVE
    recipients; a participant becoming ACTIVE is new, so it triggers an update (design §2)."""
    room, alice, bob, _ = _settled()
    carol = room.connect("carol", active=False)
    room.advance(10.0)
    assert carol.drain() == ()
    assert bob.drain() == (ev.ParticipantConnected(participant="carol"),)
    assert alice.drain() == (ev.ParticipantConnected(participant="carol"),)
    carol.activate()
    room.advance(5.0)
    assert carol.drain()[-2:] == (
        CQ(participant="carol", quality=EXCELLENT),
        CQ(participant="alice", quality=EXCELLENT),
    )
    assert alice.drain() == (
        ev.ParticipantActive(participant="carol"),
        CQ(participant="alice", quality=EXCELLENT),
    )
    assert carol.local_participant.connection_quality is EXCELLENT


def test_a_leave_triggers_nothing() -> None:
    """Server §8: a participant leaving triggers no update (the leave itself tells clients)."""
    room, alice, bob, _ = _settled()
    carol = room.connect("carol")
    room.advance(5.0)
    alice.drain()
    bob.drain()
    carol.disconnect()
    room.advance(5.0)
    assert alice.drain() == (
        ev.ParticipantDisconnected(participant="carol", reason=DisconnectReason.CLIENT_INITIATED),
    )


def test_a_new_subscription_sends_the_publishers_current_quality_at_once() -> None:
    """Server §8: a new subscription to a publisher also sends that publisher's current quality
    immediately; the subscriber sees it just before ``track_subscribed`` (client §17.2)."""
    room, _alice, bob, mic = _settled()
    room.set_connection_quality("alice", POOR)
    room.advance(5.0)
    dave = room.connect("dave")
    assert dave.drain() == (
        CQ(participant="alice", quality=POOR),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )
    assert dave.remote_participants["alice"].connection_quality is POOR
    # a change the worker has not sent yet is already what a subscription reports
    room.set_connection_quality("alice", GOOD)
    bob.drain()
    bob.set_subscribed("alice", mic, False)
    bob.set_subscribed("alice", mic, True)
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        ev.ActiveSpeakersChanged(speakers=()),  # the last unsubscription (client §16.6)
        CQ(participant="alice", quality=GOOD),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )


def test_lost_is_reported_as_lost() -> None:
    """Server §8: LOST is downgraded to POOR only for protocol <= 10; the SDKs roomsim models
    speak a newer protocol."""
    room, _alice, bob, _ = _settled()
    room.set_connection_quality("alice", LOST)
    room.advance(5.0)
    assert bob.remote_participants["alice"].connection_quality is LOST


def test_quality_interval_zero_sends_at_once() -> None:
    """``RoomConfig(quality_interval=0)``: every change (and every activation) is sent at once."""
    room, alice, bob, mic = _pair(RoomConfig(quality_interval=0))
    assert bob.drain() == (
        CQ(participant="bob", quality=EXCELLENT),  # bob's activation; no subscriptions yet
        ev.TrackPublished(participant="alice", track_sid=mic),
        CQ(participant="alice", quality=EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )
    alice.drain()
    room.set_connection_quality("alice", POOR)
    assert alice.drain() == (CQ(participant="alice", quality=POOR),)
    assert bob.drain() == (
        CQ(participant="bob", quality=EXCELLENT),
        CQ(participant="alice", quality=POOR),
    )


# ------------------------------------------------------------------------------------------------
# suspected roomsim bugs


def test_a_quality_changed_back_before_the_tick_sends_nothing() -> None:
    """Server §8: a send happens only if some ACTIVE participant is new since the last tick or
    its quality level changed."""
    room, alice, bob, _ = _settled()
    room.set_connection_quality("alice", POOR)
    room.set_connection_quality("alice", EXCELLENT)
    room.advance(5.0)
    assert (alice.drain(), bob.drain()) == ((), ())


def test_a_join_and_leave_between_ticks_sends_nothing() -> None:
    """Server §8: at the tick no ACTIVE participant is new and none changed: no update."""
    room, alice, bob, _ = _settled()
    carol = room.connect("carol")
    carol.disconnect()
    alice.drain()
    bob.drain()
    room.advance(5.0)
    assert (alice.drain(), bob.drain()) == ((), ())
