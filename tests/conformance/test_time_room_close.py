"""Conformance transcripts: when a room closes (server §4 timeouts and room close,
§10 room_finished, §11 ROOM_CLOSED / ROOM_DELETED; client §10; design §2 "closed for good";
docs/design.md deviation 2: timeouts fall due at their exact virtual time)."""

from __future__ import annotations

import pytest

from roomsim import (
    ConnectionQuality,
    ConnectionState,
    DisconnectReason,
    ManualClock,
    ParticipantKind,
    ParticipantState,
    Permission,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
)
from roomsim import events as E

CLOSED = DisconnectReason.ROOM_CLOSED
DELETED = DisconnectReason.ROOM_DELETED
CLIENT = DisconnectReason.CLIENT_INITIATED
EXCELLENT = ConnectionQuality.EXCELLENT


def _closed(room: Room) -> bool:
    # a function, so that mypy does not narrow ``room.closed`` across an advance
    return room.closed


def _hooks(room: Room) -> list[tuple[str, float, str | None]]:
    return [(w.event, w.created_at, w.participant_identity) for w in room.webhooks]


def _gone(reason: DisconnectReason) -> tuple[E.Event, ...]:
    return (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=reason),
    )


def test_empty_timeout_closes_a_room_nobody_joined() -> None:
    """server §4: never joined by a real participant -> close once now - creation >=
    empty_timeout (300 s); §10 room_started at creation, room_finished at close."""
    room = Room("r")
    assert _hooks(room) == [("room_started", 0.0, None)]
    room.advance(299.5)
    assert not _closed(room)
    room.advance(0.5)
    assert _closed(room)
    assert _hooks(room) == [("room_started", 0.0, None), ("room_finished", 300.0, None)]


def test_empty_timeout_follows_the_config() -> None:
    """server §4: the room takes empty_timeout from its config."""
    room = Room("r", config=RoomConfig(empty_timeout=7.0))
    room.advance(6.5)
    assert not _closed(room)
    room.advance(0.5)
    assert _closed(room)


def test_empty_timeout_counts_from_creation_not_from_zero() -> None:
    """server §4: ``now - creationTime >= empty_timeout``."""
    room = Room("r", clock=ManualClock(start=1000.0))
    room.advance(299.5)
    assert not _closed(room)
    room.advance(0.5)
    assert _hooks(room) == [("room_started", 1000.0, None), ("room_finished", 1300.0, None)]


def test_agents_alone_do_not_stop_the_empty_timeout() -> None:
    """server §4: agents and egress do not keep a room alive; a room only agents joined was
    never joined by a real participant, so empty_timeout applies, even after the agent left;
    the agent left behind gets ROOM_CLOSED (§11)."""
    room = Room("r")
    agent = room.connect("agent", kind=ParticipantKind.AGENT)
    egress = room.connect("egress", kind=ParticipantKind.EGRESS)
    room.advance(100)
    egress.disconnect()
    agent.drain()
    room.advance(199.5)
    assert not _closed(room)
    room.advance(0.5)
    assert _closed(room)
    assert agent.drain() == _gone(CLOSED)
    assert _hooks(room)[-2:] == [
        ("participant_left", 300.0, "agent"),
        ("room_finished", 300.0, None),
    ]


def test_a_real_participant_keeps_the_room_open_past_empty_timeout() -> None:
    """server §4: nothing happens while a non-dependent participant is present; once it left,
    departure_timeout (20 s) applies, counted from the leave."""
    room = Room("r")
    alice = room.connect("alice")
    room.advance(400)
    assert not _closed(room)
    alice.disconnect()
    room.advance(19.5)
    assert not _closed(room)
    room.advance(0.5)
    assert _closed(room)
    assert _hooks(room) == [
        ("room_started", 0.0, None),
        ("participant_joined", 0.0, "alice"),
        ("participant_left", 400.0, "alice"),
        ("room_finished", 420.0, None),
    ]


def test_departure_timeout_follows_the_config() -> None:
    """server §4: departure_timeout from the room's config."""
    room = Room("r", config=RoomConfig(departure_timeout=3.0))
    room.connect("alice").disconnect()
    room.advance(2.5)
    assert not _closed(room)
    room.advance(0.5)
    assert _closed(room)


def test_a_held_join_keeps_the_room_open_until_it_times_out() -> None:
    """server §4: do nothing while the room is held by an in-progress join; the join timeout
    is a removal, so departure_timeout counts from it."""
    room = Room("r", config=RoomConfig(empty_timeout=10.0))
    room.connect("carol", active=False)
    room.advance(59.5)
    assert not _closed(room)
    room.advance(0.5)
    assert not _closed(room)
    room.advance(19.5)
    assert not _closed(room)
    room.advance(0.5)
    assert _hooks(room) == [
        ("room_started", 0.0, None),
        ("participant_connection_aborted", 60.0, "carol"),
        ("room_finished", 80.0, None),
    ]


def test_a_new_join_before_the_departure_timeout_keeps_the_room_open() -> None:
    """server §4: the close check does nothing while a non-dependent participant is present;
    the departure timeout starts again from the next leave."""
    room = Room("r")
    alice = room.connect("alice")
    alice.disconnect()
    room.advance(19.5)
    bob = room.connect("bob")
    room.advance(100)
    assert not _closed(room)
    bob.disconnect()
    room.advance(19.5)
    assert not _closed(room)
    room.advance(0.5)
    assert _closed(room)
    assert _hooks(room)[-1] == ("room_finished", 139.5, None)


def test_an_agent_joining_after_the_last_leave_does_not_keep_the_room_open() -> None:
    """server §4: agents do not keep a room alive; the agent left behind gets
    disconnected(ROOM_CLOSED) (§11 ROOM_CLOSED: the remaining dependent participants)."""
    room = Room("r")
    alice = room.connect("alice")
    alice.disconnect()
    room.advance(10)
    agent = room.connect("agent", kind=ParticipantKind.AGENT)
    room.advance(9.5)
    assert not _closed(room)
    agent.drain()
    room.advance(0.5)
    assert _closed(room)
    assert agent.drain() == _gone(CLOSED)
    assert agent.state is ParticipantState.DISCONNECTED
    assert agent.connection_state is ConnectionState.DISCONNECTED
    assert agent.disconnect_reason is CLOSED


@pytest.mark.parametrize(
    ("kind", "permission"),
    [
        (ParticipantKind.AGENT, Permission()),
        (ParticipantKind.EGRESS, Permission()),
        (ParticipantKind.STANDARD, Permission(agent=True)),
        (ParticipantKind.STANDARD, Permission(recorder=True)),
    ],
)
def test_dependent_participants_do_not_keep_the_room_open(
    kind: ParticipantKind, permission: Permission
) -> None:
    """server §4 (dependent: kind AGENT or EGRESS, or the agent/recorder grant) and §11
    ROOM_CLOSED for the ones left behind."""
    room = Room("r")
    alice = room.connect("alice")
    dep = room.connect("dep", kind=kind, permission=permission)
    alice.disconnect()
    dep.drain()
    room.advance(20)
    assert _closed(room)
    assert dep.drain() == (
        E.ConnectionQualityChanged(participant="dep", quality=EXCELLENT),
        *_gone(CLOSED),
    )


def test_the_last_removal_of_anyone_restarts_the_departure_timeout() -> None:
    """server §4: ``lastLeftAt`` is updated by every removal, dependent ones included."""
    room = Room("r")
    alice = room.connect("alice")
    agent = room.connect("agent", kind=ParticipantKind.AGENT)
    alice.disconnect()
    room.advance(10)
    agent.disconnect()
    room.advance(19.5)
    assert not _closed(room)
    room.advance(0.5)
    assert _closed(room)
    assert _hooks(room)[-3:] == [
        ("participant_left", 0.0, "alice"),
        ("participant_left", 10.0, "agent"),
        ("room_finished", 30.0, None),
    ]


def test_timeout_close_transcript_with_an_agent_and_its_tracks() -> None:
    """server §4 room close: every remaining participant is closed (ROOM_CLOSED), then
    room_finished (§10: after the participants are closed); the agent's tracks are
    unpublished with it."""
    room = Room("r")
    alice = room.connect("alice")
    agent = room.connect("agent", kind=ParticipantKind.AGENT)
    mic = agent.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    alice.disconnect()
    agent.drain()
    room.advance(20)
    assert agent.drain() == (
        E.ConnectionQualityChanged(participant="agent", quality=EXCELLENT),
        *_gone(CLOSED),
    )
    hooks = _hooks(room)
    assert hooks[hooks.index(("participant_left", 0.0, "alice")) + 1 :] == [
        ("track_unpublished", 20.0, "agent"),
        ("participant_left", 20.0, "agent"),
        ("room_finished", 20.0, None),
    ]
    assert room.webhooks[-3].track is not None and room.webhooks[-3].track.sid == mic
    assert room.departed[-1].disconnect_reason is CLOSED


def test_delete_disconnects_everyone_with_room_deleted() -> None:
    """server §4 room close / §11 ROOM_DELETED for DeleteRoom; client §10: each client sees the
    sessions closed before its own, then its own connection_state_changed and disconnected."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    carol = room.connect("carol", active=False)
    mic = bob.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    for c in (alice, bob, carol):
        c.drain()
    room.advance(1)
    room.delete()
    assert _closed(room)
    assert alice.drain() == _gone(DELETED)
    assert bob.drain() == (
        E.ParticipantDisconnected(participant="alice", reason=DELETED),
        *_gone(DELETED),
    )
    # carol (JOINED) was never subscribed: no track_unsubscribed
    assert carol.drain() == (
        E.ParticipantDisconnected(participant="alice", reason=DELETED),
        E.TrackUnpublished(participant="bob", track_sid=mic),
        E.ParticipantDisconnected(participant="bob", reason=DELETED),
        *_gone(DELETED),
    )
    for c in (alice, bob, carol):
        assert c.disconnect_reason is DELETED
        assert c.connection_state is ConnectionState.DISCONNECTED
    assert dict(room.participants) == {}
    assert [p.identity for p in room.departed] == ["alice", "bob", "carol"]
    assert _hooks(room)[-5:] == [
        ("participant_left", 1.0, "alice"),
        ("track_unpublished", 1.0, "bob"),
        ("participant_left", 1.0, "bob"),
        ("participant_connection_aborted", 1.0, "carol"),
        ("room_finished", 1.0, None),
    ]


def test_delete_of_an_empty_room() -> None:
    """server §10: DeleteRoom closes the room: room_finished, nothing else."""
    room = Room("r")
    room.advance(3)
    room.delete()
    assert _hooks(room) == [("room_started", 0.0, None), ("room_finished", 3.0, None)]


def test_delete_cancels_the_pending_timers() -> None:
    """design §2: a closed room is closed for good: nothing happens after it, so a held
    join's timeout and the close check never fire."""
    room = Room("r")
    room.connect("carol", active=False)
    room.delete()
    hooks = list(room.webhooks)
    room.advance(1000)
    assert list(room.webhooks) == hooks


def test_reads_still_work_on_a_closed_room() -> None:
    """design §2: after a close every mutation raises RoomClosed, reads still work."""
    room = Room("r")
    alice = room.connect("alice", name="Alice")
    bob = room.connect("bob", kind=ParticipantKind.AGENT)
    alice.disconnect()
    room.advance(20)
    assert _closed(room)
    assert room.name == "r" and room.sid == "RM_1"
    assert room.now == 20.0
    assert dict(room.participants) == {} and dict(room.clients) == {}
    assert [p.identity for p in room.departed] == ["alice", "bob"]
    assert room.departed[0].name == "Alice"
    assert bob.disconnect_reason is CLOSED
    assert [e.name for e in bob.events][-2:] == ["connection_state_changed", "disconnected"]
    assert room.snapshot().closed
    assert len(room.log) > 0
    assert dict(bob.remote_participants) == {}
    assert alice.disconnect_reason is CLIENT
    assert "closed" in repr(room)
