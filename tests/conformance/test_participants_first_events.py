"""Handlers from the first event: ``room.connect(..., on={...})`` registers handlers before the
join's own events, as a ``livekit.rtc`` app registers its handlers before ``connect()`` (client
§13: the initial state, then the events of the join)."""

from __future__ import annotations

import pytest

from roomsim import InvalidArgument, InvalidType, Room, TrackKind, TrackSource
from roomsim.events import ConnectionQualityChanged, Event, TrackSubscribed


def test_join_time_subscriptions_reach_handlers_given_at_connect() -> None:
    room = Room("r")
    alice = room.connect("alice")
    mic = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    seen: list[Event] = []
    agent = room.connect(
        "agent", on={"track_subscribed": seen.append, ConnectionQualityChanged: [seen.append]}
    )
    # the publisher's quality comes ahead of the track (client §17.2)
    assert seen[1] == TrackSubscribed(participant="alice", track_sid=mic)
    assert [e.name for e in seen] == [
        e.name for e in agent.events if e.name in {"track_subscribed", "connection_quality_changed"}
    ]
    assert any(e.name == "connection_quality_changed" for e in seen)


def test_handlers_registered_after_connect_miss_the_join_time_events() -> None:
    room = Room("r")
    alice = room.connect("alice")
    alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    seen: list[Event] = []
    agent = room.connect("agent")
    agent.on("track_subscribed", seen.append)
    assert seen == []  # the difference on= makes
    assert any(e.name == "track_subscribed" for e in agent.events)


def test_bad_handlers_are_refused_before_anyone_joins() -> None:
    room = Room("r")
    room.connect("ref")
    before = room.snapshot()
    with pytest.raises(InvalidArgument, match="unknown event name"):
        room.connect("agent", on={"track_subscribd": print})
    with pytest.raises(InvalidArgument, match="needs a callable"):
        room.connect("agent", on={"track_subscribed": 5})
    with pytest.raises(InvalidType, match="must map event names"):
        room.connect("agent", on=[print])  # type: ignore[arg-type]
    assert room.snapshot() == before
    room.connect("agent")  # nothing stale is registered by the refused calls
    ref, agent = room.snapshot().clients
    assert agent.handlers == ref.handlers
