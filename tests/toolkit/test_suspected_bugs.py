"""Suspected roomsim core bugs found while building the testing toolkit, kept as strict xfails.

Each names the steps, what the spec says should happen, and what roomsim does.  When the core
is fixed the test XPASSes, which fails the run (``strict=True``): then drop the marker.
"""

from __future__ import annotations

import pytest

from roomsim import Room, TrackKind, TrackSource


@pytest.mark.xfail(
    reason=(
        "roomsim bug: a held (JOINED) participant's track is announced to others, subscribed "
        "and webhooked before it is ACTIVE; server §5: subscribers, the ParticipantUpdate "
        "and the track_published webhook happen only once media arrives, and server §4: ACTIVE "
        "is set when the transport connects"
    ),
    strict=True,
)
def test_a_held_participants_track_reaches_nobody_before_it_is_active() -> None:
    room = Room("r")
    bob = room.connect("bob")
    carol = room.connect("carol", active=False)  # JOINED: its transport is not up
    bob.drain()
    mic = carol.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    # the publisher hears of its own publication (TrackPublishedResponse at AddTrack time)
    assert [e.name for e in carol.drain()][:1] == ["local_track_published"]
    # nobody else can receive media that cannot flow yet
    assert [e.name for e in bob.drain()] == []
    assert bob.remote_participants["carol"].track_publications == {}
    assert "track_published" not in [w.event for w in room.webhooks]
    # once carol's transport connects, the track is announced (and bob subscribes)
    carol.activate()
    names = [e.name for e in bob.drain()]
    assert "track_published" in names and "track_subscribed" in names
    assert mic in bob.remote_participants["carol"].track_publications
