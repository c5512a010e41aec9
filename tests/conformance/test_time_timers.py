"""Conformance transcripts: virtual time and timers (design §1 "Deterministic", §2
``room.advance``; docs/design.md deviations 2 and 12; server §4 timeouts)."""

from __future__ import annotations

from roomsim import (
    ConnectionQuality,
    ConnectionState,
    DisconnectReason,
    ManualClock,
    ParticipantKind,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
)
from roomsim import events as E
from roomsim import mutations as M

JOIN_FAILURE = DisconnectReason.JOIN_FAILURE
EXCELLENT = ConnectionQuality.EXCELLENT


def _closed(room: Room) -> bool:
    # a function, so that mypy does not narrow ``room.closed`` across an advance
    return room.closed


def _hooks(room: Room) -> list[tuple[str, float, str | None]]:
    return [(w.event, w.created_at, w.participant_identity) for w in room.webhooks]


def _kinds(room: Room) -> list[str]:
    return [type(m).__name__ for m in room.log]


def test_advance_is_a_mutation_in_the_log() -> None:
    """design §1/§2: ``advance(dt)`` builds ``Advance`` and applies it; it is in ``room.log``."""
    room = Room("r")
    assert room.now == 0.0
    room.advance(1.5)
    room.apply(M.Advance(dt=2))
    room.advance(0)
    assert list(room.log) == [M.Advance(dt=1.5), M.Advance(dt=2.0), M.Advance(dt=0.0)]
    assert room.now == 3.5
    assert room.clock.now == 3.5


def test_nothing_happens_before_a_timer_falls_due() -> None:
    """server §4 join timeout (1 minute); docs/design.md deviation 2: a timer runs at exactly
    its due time, not before."""
    room = Room("r")
    alice = room.connect("alice", kind=ParticipantKind.AGENT)
    alice.drain()
    carol = room.connect("carol", active=False)
    room.advance(59.5)
    # the only timer before 60 s: alice's quality update after she became ACTIVE (server §8)
    assert alice.drain() == (
        E.ParticipantConnected(participant="carol"),
        E.ConnectionQualityChanged(participant="alice", quality=EXCELLENT),
    )
    assert carol.drain() == ()
    room.advance(0.5)
    assert alice.drain() == (E.ParticipantDisconnected(participant="carol", reason=JOIN_FAILURE),)
    assert carol.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=JOIN_FAILURE),
    )


def test_due_timers_run_in_time_order_within_one_advance() -> None:
    """design §2: ``advance`` runs every timer that falls due, in time order; each runs at its
    own virtual time (webhook ``created_at``, server §10)."""
    room = Room("r", config=RoomConfig(join_timeout=10.0))
    alice = room.connect("alice")
    room.connect("carol", active=False)  # times out at 10
    room.advance(3)
    room.connect("dave", active=False)  # times out at 13
    room.advance(5)
    room.connect("erin", active=False)  # times out at 18
    alice.drain()
    room.advance(100)
    assert alice.drain() == (
        E.ParticipantDisconnected(participant="carol", reason=JOIN_FAILURE),
        E.ParticipantDisconnected(participant="dave", reason=JOIN_FAILURE),
        E.ParticipantDisconnected(participant="erin", reason=JOIN_FAILURE),
    )
    assert _hooks(room)[-3:] == [
        ("participant_connection_aborted", 10.0, "carol"),
        ("participant_connection_aborted", 13.0, "dave"),
        ("participant_connection_aborted", 18.0, "erin"),
    ]
    assert room.now == 108.0


def test_ties_run_in_scheduling_order() -> None:
    """design §2: timers due at the same time run in the order they were scheduled."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("dave", active=False)
    room.connect("carol", active=False)
    room.connect("bob", active=False)
    alice.drain()
    room.advance(60)
    assert alice.drain() == (
        E.ConnectionQualityChanged(participant="alice", quality=EXCELLENT),
        E.ParticipantDisconnected(participant="dave", reason=JOIN_FAILURE),
        E.ParticipantDisconnected(participant="carol", reason=JOIN_FAILURE),
        E.ParticipantDisconnected(participant="bob", reason=JOIN_FAILURE),
    )


def test_a_tie_between_the_close_check_and_a_join_timeout() -> None:
    """server §4: a close check scheduled before a join timeout due at the same time runs first,
    so the held agent is closed with ROOM_CLOSED (dependents left behind) and never gets to
    JOIN_FAILURE."""
    room = Room("r", config=RoomConfig(join_timeout=20.0))
    bob = room.connect("bob")
    bob.disconnect()  # departure close check due at 20
    agent = room.connect("agent", kind=ParticipantKind.AGENT, active=False)  # join timeout at 20
    room.advance(20)
    assert _closed(room)
    assert agent.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=DisconnectReason.ROOM_CLOSED),
    )
    assert _hooks(room)[-2:] == [
        ("participant_connection_aborted", 20.0, "agent"),
        ("room_finished", 20.0, None),
    ]


def test_the_reverse_tie_the_join_timeout_first_resets_last_left() -> None:
    """server §4: scheduled the other way round, the join timeout runs first; that removal
    updates ``lastLeftAt`` ("every removal, dependent ones included"), so the close check at 20
    finds the departure timeout not yet over and the room closes at 40."""
    room = Room("r", config=RoomConfig(join_timeout=20.0))
    agent = room.connect("agent", kind=ParticipantKind.AGENT, active=False)  # timeout at 20
    bob = room.connect("bob")
    bob.disconnect()  # close check at 20
    agent.drain()
    room.advance(20)
    assert not _closed(room)
    assert agent.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=JOIN_FAILURE),
    )
    room.advance(19.5)
    assert not _closed(room)
    room.advance(0.5)
    assert _closed(room)
    assert _hooks(room)[-2:] == [
        ("participant_connection_aborted", 20.0, "agent"),
        ("room_finished", 40.0, None),
    ]


def test_a_shared_clock_advances_every_room_on_it() -> None:
    """ManualClock: one clock shared by several rooms; advancing any of them advances all,
    and each room's log records the time that passed."""
    clock = ManualClock()
    a = Room("a", clock=clock)
    b = Room("b", clock=clock)
    b.connect("x", active=False)
    a.advance(60)
    assert (a.now, b.now, clock.now) == (60.0, 60.0, 60.0)
    assert list(a.log) == [M.Advance(dt=60.0)]
    assert _kinds(b) == ["Connect", "Advance"]
    assert b.log[-1] == M.Advance(dt=60.0)
    assert _hooks(b)[-1] == ("participant_connection_aborted", 60.0, "x")


def test_a_shared_clock_runs_timers_by_time_then_room_creation() -> None:
    """ManualClock: rooms sharing a clock run their timers in order of (time, room creation):
    the same due time runs the older room first; an earlier due time runs first whichever room
    it belongs to."""
    clock = ManualClock()
    a = Room("a", clock=clock)
    b = Room("b", clock=clock)
    seen: list[tuple[str, float, str]] = []
    for room in (b, a):  # register in the other order: creation order still decides
        obs = room.connect("obs")

        def record(e: E.Event, name: str = room.name) -> None:
            assert isinstance(e, E.ParticipantDisconnected)
            seen.append((name, clock.now, e.participant))

        obs.on("participant_disconnected", record)
    b.connect("x", active=False)  # due 60
    a.connect("x", active=False)  # due 60
    b.advance(10)
    b.connect("y", active=False)  # due 70
    a.advance(5)
    a.connect("y", active=False)  # due 75
    b.advance(30)
    b.connect("z", active=False)  # due 105
    a.connect("z", active=False)  # due 105
    b.advance(100)
    assert seen == [
        ("a", 60.0, "x"),
        ("b", 60.0, "x"),
        ("b", 70.0, "y"),
        ("a", 75.0, "y"),
        ("a", 105.0, "z"),
        ("b", 105.0, "z"),
    ]


def test_a_room_created_later_on_a_shared_clock_counts_from_its_creation() -> None:
    """server §4: ``empty_timeout`` is measured from the room's creation time; server §10:
    ``room_started`` carries it."""
    clock = ManualClock(start=50.0)
    a = Room("a", clock=clock)
    a.connect("alice")
    a.advance(100)
    b = Room("b", clock=clock)
    a.advance(299.5)
    assert not _closed(b)
    b.advance(0.5)
    assert _closed(b)
    assert _hooks(b) == [("room_started", 150.0, None), ("room_finished", 450.0, None)]
    assert not _closed(a)


def test_a_handler_mutation_during_an_advance_is_logged_between_advance_pieces() -> None:
    """docs/design.md deviation 12: the log splits an advance around a mutation a handler made
    while timers ran, so replaying the log applies it at the same virtual time."""
    room = Room("r", config=RoomConfig(join_timeout=10.0))
    alice = room.connect("alice")
    room.connect("carol", active=False)  # due 10
    room.advance(5)
    room.connect("dave", active=False)  # due 15
    room.connect("erin", active=False)  # due 15

    def on_left(e: E.Event) -> None:
        alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)

    alice.on("participant_disconnected", on_left)
    room.advance(30)
    assert _kinds(room) == [
        "Connect",
        "Connect",
        "Advance",
        "Connect",
        "Connect",
        "Advance",
        "PublishTrack",
        "Advance",
        "PublishTrack",
        "PublishTrack",
        "Advance",
    ]
    pieces = [m.dt for m in room.log if isinstance(m, M.Advance)]
    assert pieces == [5.0, 5.0, 5.0, 20.0]
    assert sum(pieces) == room.now == 35.0
    assert [(w.event, w.created_at) for w in room.webhooks if w.track is not None] == [
        ("track_published", 10.0),
        ("track_published", 15.0),
        ("track_published", 15.0),
    ]


def test_replaying_the_log_reproduces_the_timeline() -> None:
    """design §1 "Deterministic", docs/design.md deviation 12: applying ``room.log`` to a new
    room (no handlers) gives the same webhooks, times and participants."""
    room = Room("r", config=RoomConfig(join_timeout=10.0))
    alice = room.connect("alice")
    room.connect("carol", active=False)

    def on_left(e: E.Event) -> None:
        alice.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)

    alice.on("participant_disconnected", on_left)
    room.advance(12)
    alice.disconnect()
    room.advance(25)
    assert _closed(room)
    twin = Room("r", config=RoomConfig(join_timeout=10.0))
    for m in room.log:
        twin.apply(m)
    assert twin.webhooks == room.webhooks
    assert twin.departed == room.departed
    assert twin.now == room.now == 37.0
    assert _closed(twin)


def test_a_shared_clock_logs_a_handler_mutation_in_the_other_room_at_its_time() -> None:
    """docs/design.md deviation 12 with a shared ManualClock: the room whose timer ran holds
    Advance pieces around its handler's mutation; the advancing room holds one Advance."""
    clock = ManualClock()
    a = Room("a", clock=clock)
    b = Room("b", clock=clock)
    obs = b.connect("obs")
    b.connect("x", active=False)  # due 60

    def on_left(e: E.Event) -> None:
        obs.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)

    obs.on("participant_disconnected", on_left)
    a.advance(100)
    assert list(a.log) == [M.Advance(dt=100.0)]
    assert _kinds(b) == ["Connect", "Connect", "Advance", "PublishTrack", "Advance"]
    assert [m.dt for m in b.log if isinstance(m, M.Advance)] == [60.0, 40.0]
    assert _hooks(b)[-1] == ("track_published", 60.0, "obs")


def test_advance_on_a_closed_room_only_moves_time() -> None:
    """design §2/§4: ``advance()`` still works on a closed room (time passes; nothing else
    happens)."""
    room = Room("r")
    room.delete()
    hooks = list(room.webhooks)
    room.advance(1000)
    assert room.now == 1000.0
    assert list(room.webhooks) == hooks
    assert room.log[-1] == M.Advance(dt=1000.0)
    assert dict(room.participants) == {}


def test_a_handler_mutation_at_the_advance_start_time_replays_after_its_timer() -> None:
    """docs/design.md deviation 12, design §1 "Deterministic": the log splits an advance around
    a handler's mutation so a replay applies it where it was made; with join_timeout=0 the
    held join falls due at the advance's start time, and the handler's publish follows it."""
    config = RoomConfig(join_timeout=0.0)
    room = Room("r", config=config)
    alice = room.connect("alice")
    room.connect("carol", active=False)  # due at 0, runs at the next advance

    def on_left(e: E.Event) -> None:
        alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)

    alice.on("participant_disconnected", on_left)
    room.advance(5)
    assert [(w.event, w.participant_identity) for w in room.webhooks][-2:] == [
        ("participant_connection_aborted", "carol"),
        ("track_published", "alice"),
    ]
    twin = Room("r", config=config)
    for m in room.log:
        twin.apply(m)
    assert twin.webhooks == room.webhooks
