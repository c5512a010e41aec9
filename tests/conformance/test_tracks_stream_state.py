"""Transcripts: stream state of subscribed video tracks (JS only).

Spec: server §6 "Stream state" (video tracks managed by the subscriber's allocator; audio
never reports it; PAUSED / ACTIVE), client §8 (JS ``handleStreamStateUpdate`` emits
``TrackStreamStateChanged`` only on change, for a publication with a track; initial state
``active``), design §4 (simulation controls refuse unknown identities and sids).
"""

from __future__ import annotations

import pytest

from roomsim import (
    IllegalState,
    InvalidArgument,
    InvalidType,
    Room,
    StreamState,
    TrackKind,
    TrackSource,
    UnknownParticipant,
    UnknownTrack,
)
from roomsim import events as ev

AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO
MIC, CAM = TrackSource.MICROPHONE, TrackSource.CAMERA
PAUSED, ACTIVE = StreamState.PAUSED, StreamState.ACTIVE


def _setup() -> tuple[Room, str, str]:
    room = Room("r")
    alice = room.connect("alice", sdk="js")
    room.connect("bob", sdk="js")
    room.connect("carol", sdk="js")
    mic = alice.publish_track(AUDIO, MIC)
    cam = alice.publish_track(VIDEO, CAM)
    for c in room.clients.values():
        c.drain()
    return room, mic, cam


def _state(e: StreamState, sid: str) -> ev.TrackStreamStateChanged:
    return ev.TrackStreamStateChanged(participant="alice", track_sid=sid, state=e)


def test_pause_and_resume_reach_that_subscriber_only() -> None:
    """Server §6 (``StreamStateUpdate`` goes to the subscriber) and client §8."""
    room, _mic, cam = _setup()
    alice, bob, carol = (room.clients[i] for i in ("alice", "bob", "carol"))

    room.set_stream_state("bob", cam, PAUSED)
    assert bob.drain() == (_state(PAUSED, cam),)
    assert alice.drain() == ()
    assert carol.drain() == ()
    assert bob.remote_participants["alice"].track_publications[cam].stream_state is PAUSED
    assert carol.remote_participants["alice"].track_publications[cam].stream_state is ACTIVE

    room.set_stream_state("bob", cam, ACTIVE)
    assert bob.drain() == (_state(ACTIVE, cam),)
    assert bob.remote_participants["alice"].track_publications[cam].stream_state is ACTIVE


def test_stream_state_only_on_real_change() -> None:
    """Client §8: the event fires only if the state changed; the initial state is
    ``active``, so ACTIVE on a fresh subscription is silent."""
    room, _mic, cam = _setup()
    bob = room.clients["bob"]
    room.set_stream_state("bob", cam, ACTIVE)
    assert bob.drain() == ()
    room.set_stream_state("bob", cam, PAUSED)
    room.set_stream_state("bob", cam, PAUSED)
    assert bob.drain() == (_state(PAUSED, cam),)


def test_mute_does_not_touch_stream_state() -> None:
    """Server §6: mute moves the track to an internal state that is not notified."""
    room, _mic, cam = _setup()
    alice, bob = room.clients["alice"], room.clients["bob"]
    alice.set_track_muted(cam, True)
    assert bob.drain() == (ev.TrackMuted(participant="alice", track_sid=cam),)
    assert bob.remote_participants["alice"].track_publications[cam].stream_state is ACTIVE


def test_paused_track_unpublished() -> None:
    """Client §4.4f: a paused track is removed like any other (no stream state event)."""
    room, _mic, cam = _setup()
    alice, bob = room.clients["alice"], room.clients["bob"]
    room.set_stream_state("bob", cam, PAUSED)
    bob.drain()
    alice.unpublish_track(cam)
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.TrackUnpublished(participant="alice", track_sid=cam),
    )


def test_resubscribed_track_starts_active_again() -> None:
    """Client §8 (initial state ``active`` for the new subscribed track; JS looks up the
    publication *with a track*): after unsubscribing and subscribing again, the track is
    ACTIVE, and a new PAUSED is a real change."""
    room, _mic, cam = _setup()
    bob = room.clients["bob"]
    room.set_stream_state("bob", cam, PAUSED)
    bob.set_subscribed("alice", cam, False)
    bob.set_subscribed("alice", cam, True)
    bob.drain()
    assert bob.remote_participants["alice"].track_publications[cam].stream_state is ACTIVE
    room.set_stream_state("bob", cam, PAUSED)
    assert bob.drain() == (_state(PAUSED, cam),)


def test_unsubscribed_video_has_no_stream_state() -> None:
    """Client §8 (FFI ``STATE_UNKNOWN`` when there is no track): an unsubscribed video
    publication reports UNKNOWN."""
    room, _mic, cam = _setup()
    bob = room.clients["bob"]
    bob.set_subscribed("alice", cam, False)
    assert bob.remote_participants["alice"].track_publications[cam].stream_state is (
        StreamState.UNKNOWN
    )


def test_stream_state_errors_change_nothing() -> None:
    """Server §6 (video only, subscribed tracks only) and design §4 (unknown identities
    and sids named by a simulation control are refused; wrong types too)."""
    room, mic, cam = _setup()
    room.clients["carol"].set_subscribed("alice", cam, False)
    for c in room.clients.values():
        c.drain()
    cases: list[tuple[type[Exception], str, str, object]] = [
        (InvalidArgument, "bob", mic, PAUSED),  # audio never reports stream state
        (IllegalState, "carol", cam, PAUSED),  # not subscribed
        (IllegalState, "alice", cam, PAUSED),  # the publisher itself
        (UnknownTrack, "bob", "TR_999", PAUSED),
        (UnknownParticipant, "nobody", cam, PAUSED),
        (InvalidArgument, "bob", cam, StreamState.UNKNOWN),
        (InvalidType, "bob", cam, "paused"),
    ]
    for exc, who, sid, state in cases:
        before = room.snapshot()
        with pytest.raises(exc) as info:
            room.set_stream_state(who, sid, state)  # type: ignore[arg-type]
        assert type(info.value) is exc, (who, sid, state)
        assert room.snapshot() == before
    for c in room.clients.values():
        assert c.drain() == ()


def test_stream_state_error_codes() -> None:
    """design §4: each error carries a code; unknown names are ``not_found``, malformed
    input ``invalid_argument``, wrong state ``failed_precondition``."""
    room, mic, cam = _setup()
    room.clients["carol"].set_subscribed("alice", cam, False)
    with pytest.raises(UnknownTrack) as t:
        room.set_stream_state("bob", "TR_999", PAUSED)
    with pytest.raises(UnknownParticipant) as p:
        room.set_stream_state("nobody", cam, PAUSED)
    with pytest.raises(InvalidArgument) as a:
        room.set_stream_state("bob", mic, PAUSED)
    with pytest.raises(IllegalState) as s:
        room.set_stream_state("carol", cam, PAUSED)
    assert (t.value.code, p.value.code, a.value.code, s.value.code) == (
        "not_found",
        "not_found",
        "invalid_argument",
        "failed_precondition",
    )
