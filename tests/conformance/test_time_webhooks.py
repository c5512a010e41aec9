"""Conformance transcripts: webhooks (server §10; §3 effect 1; §4 room close; design §2
``room.webhooks``)."""

from __future__ import annotations

from roomsim import (
    DisconnectReason,
    ManualClock,
    ParticipantKind,
    ParticipantState,
    Permission,
    PublicationSnapshot,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
    Webhook,
)


def _hooks(room: Room) -> list[tuple[str, str, float, str | None]]:
    return [(w.id, w.event, w.created_at, w.participant_identity) for w in room.webhooks]


def test_room_started_at_construction() -> None:
    """server §10: room_started when the room object is created; payload ``room``; ids
    "EV_…"."""
    room = Room("standup", clock=ManualClock(start=12.0))
    assert list(room.webhooks) == [
        Webhook(event="room_started", id="EV_1", created_at=12.0, room="standup", room_sid="RM_1")
    ]


def test_a_whole_life_in_webhooks() -> None:
    """server §10: every event of one room, in order, ids EV_1, EV_2, … and created_at in
    virtual seconds, never decreasing; room_finished after the participants' webhooks."""
    room = Room("r")
    alice = room.connect("alice")
    room.advance(1)
    bob = room.connect("bob", active=False)
    room.advance(1)
    bob.activate()
    cam = bob.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
    room.advance(1)
    bob.set_track_muted(cam, True)  # mute: no webhook
    alice.disconnect()
    room.advance(2)
    bob.disconnect()
    room.advance(20)
    assert room.closed
    assert _hooks(room) == [
        ("EV_1", "room_started", 0.0, None),
        ("EV_2", "participant_joined", 0.0, "alice"),
        ("EV_3", "participant_joined", 2.0, "bob"),
        ("EV_4", "track_published", 2.0, "bob"),
        ("EV_5", "participant_left", 3.0, "alice"),
        ("EV_6", "track_unpublished", 5.0, "bob"),
        ("EV_7", "participant_left", 5.0, "bob"),
        ("EV_8", "room_finished", 25.0, None),
    ]
    assert all(w.room == "r" and w.room_sid == "RM_1" for w in room.webhooks)
    assert room.webhooks[5].track == PublicationSnapshot(
        sid=cam, name="", kind=TrackKind.VIDEO, source=TrackSource.CAMERA, muted=True
    )


def test_participant_joined_fires_at_active_not_at_connect() -> None:
    """server §10: participant_joined when the participant reaches ACTIVE, not at signal join;
    payload the full participant."""
    room = Room("r")
    room.advance(2)
    carol = room.connect("carol", name="Carol", metadata="m", attributes={"k": "v"}, active=False)
    assert [w.event for w in room.webhooks] == ["room_started"]
    room.advance(3)
    carol.activate()
    w = room.webhooks[-1]
    assert (w.id, w.event, w.created_at) == ("EV_2", "participant_joined", 5.0)
    assert (w.participant_identity, w.participant_sid) == ("carol", carol.sid)
    p = w.participant
    assert p is not None
    assert (p.identity, p.sid, p.name, p.metadata, dict(p.attributes)) == (
        "carol",
        carol.sid,
        "Carol",
        "m",
        {"k": "v"},
    )
    assert p.state is ParticipantState.ACTIVE
    assert p.disconnect_reason is None
    assert p.joined_at == 2.0
    assert w.track is None
    carol.activate()  # a second activate: no second webhook
    assert len(room.webhooks) == 2


def test_participant_left_carries_the_final_state() -> None:
    """server §10: participant_left payload: participant with state DISCONNECTED and
    disconnect_reason set (the same as ``room.departed``)."""
    room = Room("r")
    room.connect("alice")
    bob = room.connect("bob", attributes={"role": "guest"})
    room.advance(4)
    room.remove_participant("bob")
    w = room.webhooks[-1]
    assert (w.event, w.created_at, w.participant_identity, w.participant_sid) == (
        "participant_left",
        4.0,
        "bob",
        bob.sid,
    )
    assert w.participant is not None
    assert w.participant.state is ParticipantState.DISCONNECTED
    assert w.participant.disconnect_reason is DisconnectReason.PARTICIPANT_REMOVED
    assert dict(w.participant.attributes) == {"role": "guest"}
    assert w.participant == room.departed[-1]


def test_connection_aborted_for_sessions_that_never_became_active() -> None:
    """server §10: participant_left only if the participant ever became ACTIVE, otherwise
    participant_connection_aborted; whatever ended the session (client leave, removal,
    duplicate identity, join timeout)."""
    room = Room("r")
    room.connect("alice")
    room.connect("b1", active=False).disconnect()
    room.connect("b2", active=False)
    room.remove_participant("b2")
    room.connect("b3", active=False)
    room.connect("b3", active=False)  # replaces the first b3 session
    room.advance(60)  # the second b3 session times out
    aborted = [w for w in room.webhooks if w.event == "participant_connection_aborted"]
    assert [
        (w.participant_identity, w.created_at, w.participant and w.participant.disconnect_reason)
        for w in aborted
    ] == [
        ("b1", 0.0, DisconnectReason.CLIENT_INITIATED),
        ("b2", 0.0, DisconnectReason.PARTICIPANT_REMOVED),
        ("b3", 0.0, DisconnectReason.DUPLICATE_IDENTITY),
        ("b3", 60.0, DisconnectReason.JOIN_FAILURE),
    ]
    assert [w.event for w in room.webhooks].count("participant_left") == 0
    assert [w.event for w in room.webhooks].count("participant_joined") == 1


def test_an_active_session_replaced_by_a_duplicate_is_left() -> None:
    """server §4 duplicate identity, §10: the old ACTIVE session leaves (participant_left,
    DUPLICATE_IDENTITY), the new one joins."""
    room = Room("r")
    old = room.connect("alice")
    new = room.connect("alice")
    assert [(w.event, w.participant_sid) for w in room.webhooks] == [
        ("room_started", None),
        ("participant_joined", old.sid),
        ("participant_left", old.sid),
        ("participant_joined", new.sid),
    ]


def test_track_webhooks_carry_identity_sid_and_track_only() -> None:
    """server §10: track_published / track_unpublished carry participant = {sid, identity}
    only, and the track."""
    room = Room("r")
    alice = room.connect("alice")
    room.advance(1)
    mic = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
    room.advance(1)
    alice.unpublish_track(mic)
    track = PublicationSnapshot(
        sid=mic, name="mic", kind=TrackKind.AUDIO, source=TrackSource.MICROPHONE, muted=False
    )
    assert list(room.webhooks[-2:]) == [
        Webhook(
            event="track_published",
            id="EV_3",
            created_at=1.0,
            room="r",
            room_sid="RM_1",
            participant_identity="alice",
            participant_sid=alice.sid,
            track=track,
        ),
        Webhook(
            event="track_unpublished",
            id="EV_4",
            created_at=2.0,
            room="r",
            room_sid="RM_1",
            participant_identity="alice",
            participant_sid=alice.sid,
            track=track,
        ),
    ]


def test_tracks_are_unpublished_before_the_participant_leaves() -> None:
    """server §10 track_unpublished when the track is closed; the participant's tracks close
    before it does (client §10 order), so their webhooks come first, in publish order."""
    room = Room("r")
    room.connect("alice")
    bob = room.connect("bob")
    mic = bob.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    cam = bob.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
    room.advance(7)
    bob.disconnect()
    assert [(w.event, w.created_at, w.track and w.track.sid) for w in room.webhooks[-3:]] == [
        ("track_unpublished", 7.0, mic),
        ("track_unpublished", 7.0, cam),
        ("participant_left", 7.0, None),
    ]


def test_a_permission_change_unpublishes_with_a_webhook() -> None:
    """server §3 effect 1: tracks whose source is no longer allowed are unpublished and a
    track_unpublished webhook fires."""
    room = Room("r")
    alice = room.connect("alice")
    cam = alice.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
    room.advance(2)
    room.update_participant("alice", permission=Permission(can_publish=False))
    w = room.webhooks[-1]
    assert (w.event, w.created_at, w.participant_identity) == ("track_unpublished", 2.0, "alice")
    assert w.track is not None and w.track.sid == cam


def test_mute_produces_no_webhook() -> None:
    """server §10: mute and unmute produce no webhook."""
    room = Room("r")
    alice = room.connect("alice")
    mic = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    n = len(room.webhooks)
    alice.set_track_muted(mic, True)
    room.mute_published_track("alice", mic, True)
    alice.set_track_muted(mic, False)
    assert len(room.webhooks) == n


def test_a_held_publisher_that_times_out() -> None:
    """server §10, client §16.14: a JOINED participant's track is never announced, so it has
    neither track webhook; at the join timeout the session is aborted."""
    room = Room("r", config=RoomConfig(join_timeout=30.0))
    carol = room.connect("carol", active=False)
    carol.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    room.advance(100)
    assert _hooks(room) == [
        ("EV_1", "room_started", 0.0, None),
        ("EV_2", "participant_connection_aborted", 30.0, "carol"),
        ("EV_3", "room_finished", 50.0, None),
    ]


def test_room_finished_follows_the_participants_on_close() -> None:
    """server §4 room close, §10: room_finished fires after the participants are closed."""
    room = Room("r")
    room.connect("alice")
    room.connect("agent", kind=ParticipantKind.AGENT)
    room.connect("carol", active=False)
    room.advance(1)
    room.delete()
    assert [w.event for w in room.webhooks][-4:] == [
        "participant_left",
        "participant_left",
        "participant_connection_aborted",
        "room_finished",
    ]
    assert [w.event for w in room.webhooks].count("room_finished") == 1


def test_webhook_ids_are_per_room() -> None:
    """server §10 ids "EV_…"; design §1 deterministic ids per room: two rooms on one clock
    number their webhooks independently."""
    clock = ManualClock()
    a = Room("a", clock=clock)
    b = Room("b", clock=clock)
    a.connect("alice")
    b.connect("bob")
    a.advance(300)
    assert [w.id for w in a.webhooks] == ["EV_1", "EV_2"]
    assert [w.id for w in b.webhooks] == ["EV_1", "EV_2"]
    assert [w.room for w in b.webhooks] == ["b", "b"]


def test_a_closed_room_sends_no_more_webhooks() -> None:
    """design §2: closed for good; ``advance`` on it only moves time."""
    room = Room("r", config=RoomConfig(empty_timeout=1.0))
    room.advance(5)
    hooks = list(room.webhooks)
    room.advance(500)
    assert list(room.webhooks) == hooks
    assert [w.event for w in hooks] == ["room_started", "room_finished"]
    assert hooks[-1].created_at == 1.0
