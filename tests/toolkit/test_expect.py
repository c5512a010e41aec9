"""``roomsim.testing.expect``: assertions over a client's events, and what their failures show."""

from __future__ import annotations

from typing import assert_type

import pytest

from roomsim import InvalidArgument, Room, TrackKind, TrackSource
from roomsim import events as E
from roomsim.testing import ExpectationFailed, assert_events, event, expect


def _room() -> tuple[Room, str]:
    # alice subscribes to nothing: no quality or speaker updates come with subscriptions
    room = Room("r")
    room.connect("alice", auto_subscribe=False)
    bob = room.connect("bob")
    mic = bob.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    room.update_participant("bob", metadata="m")
    return room, mic


def test_next_matches_a_value_a_class_or_a_name_with_fields() -> None:
    room, mic = _room()
    alice = room.clients["alice"]
    assert expect(alice).next(E.ParticipantConnected(participant="bob")) == (
        E.ParticipantConnected(participant="bob")
    )
    active = expect(alice).next(E.ParticipantActive)
    assert isinstance(active, E.ParticipantActive) and active.participant == "bob"
    got = expect(alice).next("track_published", participant="bob", track_sid=mic)
    assert got == E.TrackPublished(participant="bob", track_sid=mic)
    expect(alice).next(event(E.ParticipantMetadataChanged, participant="bob"), new_metadata="m")
    expect(alice).no_more()


def test_the_same_expectation_continues_across_calls_and_sees_later_events() -> None:
    room, _ = _room()
    alice = room.clients["alice"]
    x = expect(alice)
    assert expect(alice) is x
    x.skip_to("participant_metadata_changed")
    x.no_more()
    room.update_room_metadata("r1")
    expect(alice).next("room_metadata_changed", old_metadata="", new_metadata="r1")
    expect(alice).no_more()
    assert "2 matched" not in repr(x) and "matched" in repr(x)


def test_next_failure_shows_what_came_instead_and_the_surrounding_events() -> None:
    room, mic = _room()
    alice = room.clients["alice"]
    expect(alice).next("participant_connected")
    with pytest.raises(ExpectationFailed) as info:
        expect(alice).next("track_published", participant="bob")
    msg = str(info.value)
    assert msg.startswith("'alice' (PA_1): expected the next event to be TrackPublished(")
    assert "got ParticipantActive(participant='bob')" in msg
    lines = msg.splitlines()
    assert "    ok ParticipantConnected(participant='bob')" in lines
    assert " >>    ParticipantActive(participant='bob')" in lines
    assert f"       TrackPublished(participant='bob', track_sid='{mic}')" in lines
    # a failure takes nothing: the events are still there
    expect(alice).next("participant_active")
    assert isinstance(info.value, AssertionError)


def test_skip_to_skips_and_fails_when_nothing_matches() -> None:
    room, mic = _room()
    alice = room.clients["alice"]
    published = expect(alice).skip_to("track_published")
    assert isinstance(published, E.TrackPublished) and published.track_sid == mic
    with pytest.raises(ExpectationFailed, match="expected an event TrackMuted") as info:
        expect(alice).skip_to("track_muted")
    assert "ParticipantMetadataChanged" in str(info.value)
    expect(alice).next("participant_metadata_changed")


def test_sequence_and_in_order() -> None:
    room, _ = _room()
    alice = room.clients["alice"]
    got = expect(alice).sequence("participant_connected", E.ParticipantActive(participant="bob"))
    assert [e.name for e in got] == ["participant_connected", "participant_active"]
    with pytest.raises(ExpectationFailed, match="event 2 should be TrackMuted"):
        expect(alice).sequence("track_published", "track_muted")
    got = expect(alice).in_order("track_published", "participant_metadata_changed")
    assert [e.name for e in got] == ["track_published", "participant_metadata_changed"]
    expect(alice).no_more()


def test_in_order_failure_says_how_far_it_got() -> None:
    room, _ = _room()
    alice = room.clients["alice"]
    with pytest.raises(ExpectationFailed) as info:
        expect(alice).in_order("participant_active", "track_muted")
    assert "found 1 of them" in str(info.value)
    assert "then no TrackMuted(...)" in str(info.value)


def test_no_more_failure_names_the_first_left_over() -> None:
    room, _ = _room()
    alice = room.clients["alice"]
    with pytest.raises(ExpectationFailed, match="4 are left; the first is Participant"):
        expect(alice).no_more()
    assert len(expect(alice).pending) == 4


def test_running_out_of_events_is_shown() -> None:
    room = Room("r")
    alice = room.connect("alice")
    with pytest.raises(ExpectationFailed) as info:
        expect(alice).next("participant_connected")
    assert "there are no more" in str(info.value)
    assert "(no more events)" in str(info.value)


def test_long_histories_are_elided() -> None:
    room = Room("r")
    alice = room.connect("alice")
    for i in range(20):
        room.update_room_metadata(f"m{i}")
    x = expect(alice)
    for _ in range(8):
        x.next("room_metadata_changed")
    with pytest.raises(ExpectationFailed) as info:
        x.next("participant_connected")
    msg = str(info.value)
    assert "... 3 earlier event(s) matched" in msg
    assert "... 2 more event(s)" in msg


def test_assert_events_is_exact() -> None:
    room, _ = _room()
    alice = room.clients["alice"]
    with pytest.raises(ExpectationFailed, match="expected no more events"):
        assert_events(alice, "participant_connected", "participant_active")
    room2 = Room("r")
    a2 = room2.connect("a")
    room2.connect("b")
    assert_events(a2, "participant_connected", "participant_active")


def test_works_for_clients_that_keep_no_history() -> None:
    room = Room("r")
    alice = room.connect("alice", keep_events=False)
    room.connect("bob")
    assert_events(alice, "participant_connected", "participant_active")


def test_bad_patterns_are_refused_at_once() -> None:
    with pytest.raises(InvalidArgument, match="no field 'who'"):
        event("participant_connected", who="bob")
    with pytest.raises(InvalidArgument, match="unknown event name 'joined'"):
        event("joined")
    with pytest.raises(InvalidArgument, match="an event class"):
        event(42)  # type: ignore[arg-type]
    room = Room("r")
    alice = room.connect("alice")
    with pytest.raises(InvalidArgument, match="not both"):
        expect(alice).next(E.ParticipantConnected(participant="x"), participant="y")


def test_pattern_reprs() -> None:
    assert repr(event("track_muted", participant="a")) == "TrackMuted(participant='a', ...)"
    assert repr(event("track_muted")) == "TrackMuted(...)"
    assert repr(event("track_muted", participant="a", track_sid="TR_1")) == (
        "TrackMuted(participant='a', track_sid='TR_1')"
    )


def test_a_class_spec_returns_that_class_to_the_type_checker() -> None:
    room, mic = _room()
    alice = room.clients["alice"]
    joined = expect(alice).next(E.ParticipantConnected)
    assert_type(joined, E.ParticipantConnected)
    published = expect(alice).skip_to(E.TrackPublished, participant="bob")
    assert_type(published, E.TrackPublished)
    assert published.track_sid == mic
    assert_type(expect(alice).next("participant_metadata_changed"), E.Event)
