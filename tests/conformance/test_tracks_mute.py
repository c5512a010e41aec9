"""Transcripts: muting and unmuting tracks.

Spec: server §5 "Mute" (publisher mutes its own tracks; ``MutePublishedTrack`` can always
mute, unmutes only with ``enable_remote_unmute``; an unknown track gives no error and no
track; only an actual change triggers an update, to everyone including the publisher; no
webhook), client §9 (remote ``track_muted`` on flip; local ``track_muted`` with the local
participant), design §4 (``IllegalState`` ``failed_precondition``).
"""

from __future__ import annotations

import attrs
import pytest

from roomsim import (
    ConnectionQuality,
    IllegalState,
    Permission,
    PublicationSnapshot,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
    UnknownParticipant,
)
from roomsim import events as ev

AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO
MIC, CAM = TrackSource.MICROPHONE, TrackSource.CAMERA


def _setup(config: RoomConfig | None = None) -> tuple[Room, str, str]:
    room = Room("r", config=config)
    alice = room.connect("alice")
    room.connect("bob")
    room.connect("carol", auto_subscribe=False)
    mic = alice.publish_track(AUDIO, MIC, name="mic")
    cam = alice.publish_track(VIDEO, CAM, name="cam")
    for c in room.clients.values():
        c.drain()
    return room, mic, cam


def test_own_mute_reaches_every_client_that_knows_the_track() -> None:
    """Server §5 (the update goes to everyone including the publisher) and client §9: the
    publisher gets a local ``track_muted`` naming itself; subscribed and unsubscribed
    viewers alike get ``track_muted``."""
    room, mic, _cam = _setup()
    alice, bob, carol = (room.clients[i] for i in ("alice", "bob", "carol"))

    alice.set_track_muted(mic, True)

    expected = (ev.TrackMuted(participant="alice", track_sid=mic),)
    assert alice.drain() == expected
    assert bob.drain() == expected
    assert carol.drain() == expected
    assert alice.local_participant.track_publications[mic].muted is True
    assert bob.remote_participants["alice"].track_publications[mic].muted is True
    assert carol.remote_participants["alice"].track_publications[mic].muted is True
    assert room.participants["alice"].track_publications[mic].muted is True
    # server §5: subscribers stay subscribed
    assert bob.remote_participants["alice"].track_publications[mic].subscribed is True

    alice.set_track_muted(mic, False)
    expected_un = (ev.TrackUnmuted(participant="alice", track_sid=mic),)
    assert alice.drain() == expected_un
    assert bob.drain() == expected_un
    assert carol.drain() == expected_un


def test_mute_only_on_real_change() -> None:
    """Server §5: only an actual change (``currentMuted != new``) sends an update."""
    room, mic, cam = _setup()
    alice, bob = room.clients["alice"], room.clients["bob"]
    alice.set_track_muted(mic, False)
    assert alice.drain() == ()
    assert bob.drain() == ()
    alice.set_track_muted(cam, True)
    alice.set_track_muted(cam, True)
    assert bob.drain() == (ev.TrackMuted(participant="alice", track_sid=cam),)
    assert alice.drain() == (ev.TrackMuted(participant="alice", track_sid=cam),)


def test_held_and_hidden_participants_see_mute_too() -> None:
    """Client §9 (remote mute is driven by ``TrackInfo.muted`` in participant updates,
    which every participant receives, hidden ones included: server §3)."""
    room = Room("r")
    alice = room.connect("alice")
    held = room.connect("held", active=False)
    ghost = room.connect("ghost", permission=Permission(hidden=True))
    mic = alice.publish_track(AUDIO, MIC)
    held.drain()
    ghost.drain()
    alice.set_track_muted(mic, True)
    assert held.drain() == (ev.TrackMuted(participant="alice", track_sid=mic),)
    assert ghost.drain() == (ev.TrackMuted(participant="alice", track_sid=mic),)


def test_hidden_publisher_mute_is_seen_only_by_itself() -> None:
    """Server §3: a hidden participant's updates go to nobody else."""
    room = Room("r")
    ghost = room.connect("ghost", permission=Permission(hidden=True))
    bob = room.connect("bob")
    mic = ghost.publish_track(AUDIO, MIC)
    ghost.drain()
    bob.drain()
    ghost.set_track_muted(mic, True)
    assert ghost.drain() == (ev.TrackMuted(participant="ghost", track_sid=mic),)
    assert bob.drain() == ()


def test_server_mute_returns_the_publication_and_notifies_everyone() -> None:
    """Server §5 (``MutePublishedTrack`` can always mute; returns the track; the update
    goes to everyone including the publisher, whose SDK mutes its local track); client §16.7:
    livekit.rtc fires the publisher's ``track_muted`` twice (track, then publication)."""
    room, _mic, cam = _setup()
    alice, bob, carol = (room.clients[i] for i in ("alice", "bob", "carol"))

    result = room.mute_published_track("alice", cam, True)

    assert result == PublicationSnapshot(sid=cam, name="cam", kind=VIDEO, source=CAM, muted=True)
    expected = (ev.TrackMuted(participant="alice", track_sid=cam),)
    assert alice.drain() == expected * 2
    assert bob.drain() == expected
    assert carol.drain() == expected


def test_server_mute_of_an_already_muted_track_changes_nothing() -> None:
    """Server §5: no change, no update; the API still returns the track."""
    room, mic, _cam = _setup()
    alice, bob = room.clients["alice"], room.clients["bob"]
    alice.set_track_muted(mic, True)
    alice.drain()
    bob.drain()
    result = room.mute_published_track("alice", mic, True)
    assert result is not None
    assert result.muted is True
    assert alice.drain() == ()
    assert bob.drain() == ()


def test_server_unmute_refused_without_enable_remote_unmute() -> None:
    """Server §5: unmute through the API is refused with ``failed_precondition`` "remote
    unmute not enabled" unless ``enable_remote_unmute`` (default false); design §1: a
    refused mutation changes nothing."""
    room, mic, _cam = _setup()
    room.clients["alice"].set_track_muted(mic, True)
    before = room.snapshot()
    with pytest.raises(IllegalState) as info:
        room.mute_published_track("alice", mic, False)
    assert type(info.value) is IllegalState
    assert info.value.code == "failed_precondition"
    assert room.snapshot() == before
    assert room.participants["alice"].track_publications[mic].muted is True


def test_server_unmute_allowed_with_enable_remote_unmute() -> None:
    """Server §5: with ``enable_remote_unmute`` the API may unmute."""
    room, mic, _cam = _setup(RoomConfig(enable_remote_unmute=True))
    alice, bob = room.clients["alice"], room.clients["bob"]
    room.mute_published_track("alice", mic, True)
    alice.drain()
    bob.drain()
    result = room.mute_published_track("alice", mic, False)
    assert result is not None
    assert result.muted is False
    assert alice.drain() == (ev.TrackUnmuted(participant="alice", track_sid=mic),)
    assert bob.drain() == (ev.TrackUnmuted(participant="alice", track_sid=mic),)


def test_server_mute_of_a_track_the_participant_lacks_returns_none() -> None:
    """Server §5 and design §4: "If the track does not exist, the API returns no error and
    track=null"; nothing changes (the mutation is only logged)."""
    room, _mic, _cam = _setup()
    bob = room.clients["bob"]
    b_mic = bob.publish_track(AUDIO, MIC)
    for c in room.clients.values():
        c.drain()
    before = room.snapshot()

    assert room.mute_published_track("alice", "TR_999", True) is None
    # a track that exists, but is bob's, not alice's
    assert room.mute_published_track("alice", b_mic, True) is None

    after = room.snapshot()
    assert attrs.evolve(after, log=()) == attrs.evolve(before, log=())
    for c in room.clients.values():
        assert c.drain() == ()


def test_server_mute_of_an_unknown_participant_is_refused() -> None:
    """Server §1 (other API errors: participant not found gives ``not_found``), design §4
    (unknown identities named by a server API verb are refused)."""
    room, mic, _cam = _setup()
    before = room.snapshot()
    with pytest.raises(UnknownParticipant) as info:
        room.mute_published_track("nobody", mic, True)
    assert info.value.code == "not_found"
    assert room.snapshot() == before


def test_mute_then_unpublish_and_leave() -> None:
    """Client §9 and §4.4f: a muted track is removed like any other, with no unmute."""
    room, mic, _cam = _setup()
    alice, bob = room.clients["alice"], room.clients["bob"]
    alice.set_track_muted(mic, True)
    bob.drain()
    alice.unpublish_track(mic)
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        ev.TrackUnpublished(participant="alice", track_sid=mic),
    )


def test_joiner_sees_existing_mute_as_state() -> None:
    """Client §13 (the JoinResponse is state, no events) and §9 (a publication shows its
    muted flag): a participant joining after a mute gets no mute event.
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice")
    mic = alice.publish_track(AUDIO, MIC)
    alice.set_track_muted(mic, True)
    dave = room.connect("dave")
    assert dave.drain() == (
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )
    assert dave.remote_participants["alice"].track_publications[mic].muted is True
