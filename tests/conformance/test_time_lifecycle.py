"""Conformance transcripts: a participant's lifecycle over time, JOINED -> ACTIVE ->
DISCONNECTED (server §4 participant states and join timeout, §10, §11 JOIN_FAILURE;
client §10 local disconnect, §13 initial state; design §2 held joins)."""

from __future__ import annotations

from roomsim import (
    Client,
    ClientDisconnected,
    ConnectionQuality,
    ConnectionState,
    DisconnectReason,
    ParticipantKind,
    ParticipantState,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
)
from roomsim import events as E
from roomsim import mutations as M

JOIN_FAILURE = DisconnectReason.JOIN_FAILURE
EXCELLENT = ConnectionQuality.EXCELLENT


def _state(c: Client) -> ParticipantState:
    # a function, so that mypy does not narrow the state across a mutation
    return c.state


def _connection(c: Client) -> ConnectionState:
    return c.connection_state


def _reason(c: Client) -> DisconnectReason | None:
    return c.disconnect_reason


def _seen_state(c: Client, identity: str) -> ParticipantState:
    return c.remote_participants[identity].state


GONE = (
    E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
    E.Disconnected(reason=JOIN_FAILURE),
)


def test_a_join_completes_at_once_joined_then_active() -> None:
    """server §4 JOINED -> ACTIVE; client §13: others see participant_connected then
    participant_active; the joiner's own SDK sees nothing of it."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    assert alice.drain() == (
        E.ParticipantConnected(participant="bob"),
        E.ParticipantActive(participant="bob"),
    )
    assert bob.drain() == ()
    assert _state(bob) is ParticipantState.ACTIVE
    assert room.participants["bob"].state is ParticipantState.ACTIVE


def test_a_held_join_stays_joined_until_activate() -> None:
    """design §2 held join: connect(active=False) holds the session in JOINED; others see
    participant_connected at connect and participant_active at activate()."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol", active=False)
    assert alice.drain() == (E.ParticipantConnected(participant="carol"),)
    assert _state(carol) is ParticipantState.JOINED
    assert room.participants["carol"].state is ParticipantState.JOINED
    assert _seen_state(alice, "carol") is ParticipantState.JOINED
    room.advance(30)
    alice.drain()
    carol.activate()
    assert alice.drain() == (E.ParticipantActive(participant="carol"),)
    assert _state(carol) is ParticipantState.ACTIVE
    assert _seen_state(alice, "carol") is ParticipantState.ACTIVE


def test_a_second_activate_changes_nothing() -> None:
    """design §2: a second activate() changes nothing (server §4: updateState never moves
    backwards or repeats)."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol", active=False)
    carol.activate()
    alice.drain()
    carol.drain()
    hooks = list(room.webhooks)
    carol.activate()
    room.apply(M.Activate(identity="alice"))
    assert alice.drain() == ()
    assert carol.drain() == ()
    assert list(room.webhooks) == hooks


def test_auto_subscription_waits_for_active() -> None:
    """design §2: auto-subscription waits for ACTIVE; the first subscription brings the
    publisher's quality (docs/design.md deviation 9, server §8) and the publisher's
    local_track_subscribed (server §6 TrackSubscribed)."""
    room = Room("r")
    alice = room.connect("alice")
    mic = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    alice.drain()
    carol = room.connect("carol", active=False)
    assert carol.drain() == ()
    assert carol.remote_participants["alice"].track_publications[mic].subscribed is False
    assert alice.drain() == (E.ParticipantConnected(participant="carol"),)
    carol.activate()
    assert carol.drain() == (
        E.ConnectionQualityChanged(participant="alice", quality=EXCELLENT),
        E.TrackSubscribed(participant="alice", track_sid=mic),
    )
    assert alice.drain() == (
        E.ParticipantActive(participant="carol"),
        E.LocalTrackSubscribed(track_sid=mic),
    )


def test_a_held_participant_is_left_out_of_quality_updates() -> None:
    """server §8: the quality worker considers only ACTIVE participants."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol", active=False)
    alice.drain()
    room.advance(5)
    assert alice.drain() == (E.ConnectionQualityChanged(participant="alice", quality=EXCELLENT),)
    assert carol.drain() == ()


def test_the_join_timeout_removes_a_held_participant_with_join_failure() -> None:
    """server §4 join timeout (1 minute) -> JOIN_FAILURE (§11); others see
    participant_disconnected(JOIN_FAILURE); the client sees connection_state_changed then
    disconnected (client §10); webhook participant_connection_aborted (§10)."""
    room = Room("r")
    alice = room.connect("alice")
    alice.drain()
    room.advance(10)
    carol = room.connect("carol", active=False)
    room.advance(59.5)
    assert "carol" in room.participants
    room.advance(0.5)
    assert alice.drain() == (
        E.ConnectionQualityChanged(participant="alice", quality=EXCELLENT),
        E.ParticipantConnected(participant="carol"),
        E.ParticipantDisconnected(participant="carol", reason=JOIN_FAILURE),
    )
    assert carol.drain() == GONE
    assert _state(carol) is ParticipantState.DISCONNECTED
    assert _connection(carol) is ConnectionState.DISCONNECTED
    assert carol.disconnect_reason is JOIN_FAILURE
    assert "carol" not in room.participants
    assert "carol" not in room.clients
    assert room.departed[-1].disconnect_reason is JOIN_FAILURE
    w = room.webhooks[-1]
    assert (w.event, w.created_at, w.participant_identity, w.participant_sid) == (
        "participant_connection_aborted",
        70.0,
        "carol",
        carol.sid,
    )


def test_the_join_timeout_follows_the_config() -> None:
    """server §4 join timeout; RoomConfig.join_timeout (60 s by default)."""
    room = Room("r", config=RoomConfig(join_timeout=2.5))
    carol = room.connect("carol", active=False)
    room.advance(2)
    assert carol.drain() == ()
    room.advance(0.5)
    assert carol.drain() == GONE


def test_activating_before_the_timeout_cancels_it() -> None:
    """server §4: only a participant still not ACTIVE after the join timeout is removed."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol", active=False)
    room.advance(59.5)
    carol.activate()
    alice.drain()
    carol.drain()
    room.advance(100)
    assert _state(carol) is ParticipantState.ACTIVE
    assert _connection(carol) is ConnectionState.CONNECTED
    assert carol.disconnect_reason is None
    # the quality worker's next tick (60 s) after carol became ACTIVE (server §8)
    assert alice.drain() == (E.ConnectionQualityChanged(participant="alice", quality=EXCELLENT),)
    assert "carol" in room.participants


def test_a_replaced_held_session_does_not_time_out_the_new_one() -> None:
    """server §4 duplicate identity: the old session is removed; the join timeout belongs to
    the old session (its sid), so the new ACTIVE session stays."""
    room = Room("r")
    alice = room.connect("alice")
    old = room.connect("carol", active=False)
    new = room.connect("carol")
    alice.drain()
    room.advance(60)
    assert old.disconnect_reason is DisconnectReason.DUPLICATE_IDENTITY
    assert new.connection_state is ConnectionState.CONNECTED
    assert room.participants["carol"].sid == new.sid
    assert [w.event for w in room.webhooks] == [
        "room_started",
        "participant_joined",
        "participant_connection_aborted",
        "participant_joined",
    ]


def test_a_timed_out_held_publisher_leaves_without_track_events() -> None:
    """client §16.14: a JOINED participant's tracks were never announced to the others, so its
    join timeout is only participant_disconnected (client §10)."""
    room = Room("r", config=RoomConfig(quality_interval=0.0))
    alice = room.connect("alice")
    carol = room.connect("carol", active=False)
    cam = carol.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
    alice.drain()
    carol.drain()
    room.advance(60)
    assert alice.drain() == (E.ParticipantDisconnected(participant="carol", reason=JOIN_FAILURE),)
    assert carol.drain() == GONE
    assert cam not in {w.track.sid for w in room.webhooks if w.track is not None}


def test_a_timed_out_client_refuses_later_actions() -> None:
    """design §2: a client whose session ended refuses every later action."""
    room = Room("r")
    room.connect("alice")
    carol = room.connect("carol", active=False)
    room.advance(60)
    before = room.snapshot()
    for verb in (carol.activate, carol.disconnect):
        try:
            verb()
        except ClientDisconnected:
            pass
        else:  # pragma: no cover - the assertion below explains
            raise AssertionError(f"{verb.__name__} was accepted after the session ended")
    assert room.snapshot() == before


def test_a_held_agent_times_out_too() -> None:
    """server §4: the join timeout applies to every participant kind."""
    room = Room("r")
    alice = room.connect("alice")
    agent = room.connect("agent", kind=ParticipantKind.AGENT, active=False)
    alice.drain()
    room.advance(60)
    assert alice.drain()[-1] == E.ParticipantDisconnected(participant="agent", reason=JOIN_FAILURE)
    assert agent.drain() == GONE


def test_connection_state_over_a_session() -> None:
    """client §10 local disconnect: connection_state_changed(DISCONNECTED), then
    disconnected(reason); afterwards the client reports DISCONNECTED and the reason."""
    room = Room("r")
    bob = room.connect("bob")
    assert _connection(bob) is ConnectionState.CONNECTED
    assert _reason(bob) is None
    bob.disconnect()
    assert bob.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=DisconnectReason.CLIENT_INITIATED),
    )
    assert _connection(bob) is ConnectionState.DISCONNECTED
    assert _reason(bob) is DisconnectReason.CLIENT_INITIATED
    assert _state(bob) is ParticipantState.DISCONNECTED
    # nothing follows its own disconnected event
    room.advance(400)
    assert bob.drain() == ()
