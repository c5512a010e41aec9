"""Conformance transcripts: handlers on participant events (design §1 "Handlers run after
commit"; client §1c EventEmitter.emit; server §4, §11)."""

from __future__ import annotations

import logging

import pytest

from roomsim import (
    Client,
    ConnectionState,
    DisconnectReason,
    HandlerError,
    ParticipantKind,
    ParticipantState,
    Permission,
    PermissionDenied,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
)
from roomsim import events as E

ACTIVE_BOB = (E.ParticipantConnected(participant="bob"), E.ParticipantActive(participant="bob"))


def test_order_facts_then_clients_in_join_order_then_registration_order() -> None:
    """design §1: facts in log order; for each fact, clients in join order; for each client,
    handlers in registration order."""
    room = Room("r")
    calls: list[tuple[str, str, int]] = []
    # carol joins last but registers first: join order still decides
    alice = room.connect("alice")
    bob = room.connect("bob")
    carol = room.connect("carol")
    for c in (carol, alice, bob):
        for n in (1, 2):

            def h(e: E.Event, who: str = c.identity, n: int = n) -> None:
                calls.append((e.name, who, n))

            c.on("participant_name_changed", h)
            c.on("participant_metadata_changed", h)
    room.update_participant("carol", name="C", metadata="m")
    assert calls == [
        ("participant_name_changed", "alice", 1),
        ("participant_name_changed", "alice", 2),
        ("participant_name_changed", "bob", 1),
        ("participant_name_changed", "bob", 2),
        ("participant_name_changed", "carol", 1),
        ("participant_name_changed", "carol", 2),
        ("participant_metadata_changed", "alice", 1),
        ("participant_metadata_changed", "alice", 2),
        ("participant_metadata_changed", "bob", 1),
        ("participant_metadata_changed", "bob", 2),
        ("participant_metadata_changed", "carol", 1),
        ("participant_metadata_changed", "carol", 2),
    ]


def test_handlers_run_after_the_commit_before_the_verb_returns() -> None:
    """design §1: dispatched after commit, synchronously (client §1c emit is synchronous)."""
    room = Room("r")
    alice = room.connect("alice")
    got: list[E.Event] = []
    alice.on("participant_connected", got.append)
    alice.on(E.ParticipantActive, got.append)
    room.connect("bob")
    assert got == list(ACTIVE_BOB)
    # the events are also in the client's history
    assert alice.drain() == ACTIVE_BOB


def test_state_inside_a_handler_is_the_state_right_after_that_event() -> None:
    """design §1: inside a handler the client's state is its state right after the event."""
    room = Room("r")
    alice = room.connect("alice")
    seen: list[tuple[str, object]] = []

    def on_connected(e: E.ParticipantConnected) -> None:
        seen.append(("connected", alice.remote_participants[e.participant].state))

    def on_active(e: E.ParticipantActive) -> None:
        seen.append(("active", alice.remote_participants[e.participant].state))

    def on_name(e: E.ParticipantNameChanged) -> None:
        p = alice.remote_participants[e.participant]
        seen.append(("name", (p.name, p.metadata)))

    def on_meta(e: E.ParticipantMetadataChanged) -> None:
        p = alice.remote_participants[e.participant]
        seen.append(("metadata", (p.name, p.metadata)))

    def on_left(e: E.ParticipantDisconnected) -> None:
        seen.append(("left", e.participant in alice.remote_participants))

    alice.on("participant_connected", on_connected)
    alice.on("participant_active", on_active)
    alice.on("participant_name_changed", on_name)
    alice.on("participant_metadata_changed", on_meta)
    alice.on("participant_disconnected", on_left)
    room.connect("bob")
    room.update_participant("bob", name="B", metadata="M")
    room.remove_participant("bob")
    assert seen == [
        ("connected", ParticipantState.JOINED),
        ("active", ParticipantState.ACTIVE),
        ("name", ("B", "")),
        ("metadata", ("B", "M")),
        ("left", False),
    ]


def test_own_attributes_handler_sees_its_own_new_attributes() -> None:
    """design §1 + client §2: the local participant's event, with state right after it."""
    room = Room("r")
    alice = room.connect("alice", permission=Permission(can_update_metadata=True))
    seen: list[dict[str, str]] = []
    alice.on(
        "participant_attributes_changed",
        lambda e: seen.append(dict(alice.local_participant.attributes)),
    )
    alice.set_attributes({"a": "1"})
    alice.set_attributes({"a": "", "b": "2"})
    assert seen == [{"a": "1"}, {"b": "2"}]


def test_a_nested_verb_returns_its_result_and_its_events_queue_behind() -> None:
    """design §1: a nested mutation is applied at once and returns its result; its events are
    queued behind the ones being dispatched (dispatch is never re-entered)."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol")
    alice.drain()
    results: list[object] = []
    order: list[str] = []

    def greet(e: E.ParticipantConnected) -> None:
        order.append(f"alice:{e.name}")
        snap = room.update_participant(e.participant, metadata="welcome")
        results.append(snap.metadata)
        order.append("alice:nested-returned")

    alice.on("participant_connected", greet)
    alice.on("participant_active", lambda e: order.append(f"alice:{e.name}"))
    alice.on("participant_metadata_changed", lambda e: order.append(f"alice:{e.name}"))
    carol.on("participant_connected", lambda e: order.append(f"carol:{e.name}"))
    carol.on("participant_active", lambda e: order.append(f"carol:{e.name}"))
    carol.on("participant_metadata_changed", lambda e: order.append(f"carol:{e.name}"))
    bob = room.connect("bob")
    assert results == ["welcome"]
    assert order == [
        "alice:participant_connected",
        "alice:nested-returned",
        "carol:participant_connected",
        "alice:participant_active",
        "carol:participant_active",
        "alice:participant_metadata_changed",
        "carol:participant_metadata_changed",
    ]
    meta = E.ParticipantMetadataChanged(participant="bob", old_metadata="", new_metadata="welcome")
    assert alice.drain() == (*ACTIVE_BOB, meta)
    assert carol.drain() == (*ACTIVE_BOB, meta)
    assert bob.drain() == (meta,)


def test_a_nested_verb_that_fails_raises_inside_the_handler() -> None:
    """design §1: the nested mutation raises inside the handler; it changes nothing, and the
    outer verb completes normally when the handler catches it."""
    room = Room("r")
    alice = room.connect("alice")
    caught: list[BaseException] = []

    def meddle(e: E.ParticipantConnected) -> None:
        newcomer = room.clients[e.participant]
        try:
            newcomer.set_metadata("x")  # no can_update_metadata
        except PermissionDenied as exc:
            caught.append(exc)

    alice.on("participant_connected", meddle)
    room.connect("bob")
    assert len(caught) == 1
    assert isinstance(caught[0], PermissionDenied)
    assert caught[0].code == "NOT_ALLOWED"
    assert room.participants["bob"].metadata == ""
    assert alice.drain() == ACTIVE_BOB


def test_a_raising_handler_gives_handler_error_after_dispatch_completes() -> None:
    """design §1/§4: if handlers raise, dispatch still completes, then the verb raises
    HandlerError listing (client, event, exception); the mutation WAS applied."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    carol = room.connect("carol")
    for c in (alice, bob, carol):
        c.drain()
    boom = RuntimeError("boom")
    later: list[str] = []

    def explode(e: E.Event) -> None:
        raise boom

    alice.on("participant_name_changed", explode)
    alice.on("participant_name_changed", lambda e: later.append("alice-2nd"))
    bob.on("participant_metadata_changed", lambda e: later.append("bob"))
    carol.on("participant_name_changed", explode)
    with pytest.raises(HandlerError) as exc:
        room.update_participant("bob", name="B", metadata="M")
    err = exc.value
    name_event = E.ParticipantNameChanged(participant="bob", old_name="", new_name="B")
    assert [(f.client, f.event, f.exception) for f in err.failures] == [
        ("alice", name_event, boom),
        ("carol", name_event, boom),
    ]
    assert err.code == "handler_error"
    assert later == ["alice-2nd", "bob"]  # dispatch completed
    # applied, and delivered to everyone
    assert (room.participants["bob"].name, room.participants["bob"].metadata) == ("B", "M")
    meta_event = E.ParticipantMetadataChanged(participant="bob", old_metadata="", new_metadata="M")
    for c in (alice, bob, carol):
        assert c.drain() == (name_event, meta_event)
    # the room stays usable
    room.update_room_metadata("ok")
    assert room.metadata == "ok"


def test_handler_error_on_connect_still_connects() -> None:
    """design §1/§4: HandlerError is raised after a valid commit; the Client exists."""
    room = Room("r")
    alice = room.connect("alice")
    alice.on("participant_active", lambda e: 1 / 0)
    with pytest.raises(HandlerError) as exc:
        room.connect("bob")
    (failure,) = exc.value.failures
    assert failure.client == "alice"
    assert failure.event == E.ParticipantActive(participant="bob")
    assert isinstance(failure.exception, ZeroDivisionError)
    assert "bob" in room.participants
    bob = room.clients["bob"]
    assert bob.state is ParticipantState.ACTIVE
    assert alice.drain() == ACTIVE_BOB


def test_handler_errors_log_mode_logs_instead(caplog: pytest.LogCaptureFixture) -> None:
    """design §1: RoomConfig(handler_errors="log") mirrors livekit.rtc, which logs
    (client §1c)."""
    room = Room("r", config=RoomConfig(handler_errors="log"))
    alice = room.connect("alice")
    after: list[str] = []
    alice.on("participant_connected", lambda e: 1 / 0)
    alice.on("participant_connected", lambda e: after.append(e.participant))
    with caplog.at_level(logging.ERROR):
        bob = room.connect("bob")  # no HandlerError
    assert isinstance(bob, Client)
    assert after == ["bob"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None
    assert errors[0].exc_info[0] is ZeroDivisionError
    assert alice.drain() == ACTIVE_BOB


def test_a_handler_that_removes_the_newcomer() -> None:
    """design §1 nested verbs + server §11: a moderation bot removes whoever joins."""
    room = Room("r")
    bot = room.connect("bot", kind=ParticipantKind.AGENT)
    alice = room.connect("alice")
    bot.drain()
    alice.drain()
    bot.on("participant_active", lambda e: room.remove_participant(e.participant))
    mallory = room.connect("mallory")
    removed = DisconnectReason.PARTICIPANT_REMOVED
    expected = (
        E.ParticipantConnected(participant="mallory"),
        E.ParticipantActive(participant="mallory"),
        E.ParticipantDisconnected(participant="mallory", reason=removed),
    )
    assert bot.drain() == expected
    assert alice.drain() == expected
    assert mallory.drain() == (
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=removed),
    )
    assert list(room.participants) == ["bot", "alice"]
    assert room.departed[-1].identity == "mallory"


def test_a_handler_that_connects_a_participant() -> None:
    """design §1 nested verbs: a dispatcher connects an agent when someone joins; the agent's
    join is queued behind the triggering events; the agent sees the others as state."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol")
    carol.drain()
    agents: list[Client] = []
    alice.on(
        "participant_connected",
        lambda e: (
            agents.append(room.connect(f"agent-{e.participant}", kind=ParticipantKind.AGENT))
            if not e.participant.startswith("agent-")
            else None
        ),
    )
    room.connect("bob")
    (agent,) = agents
    assert agent.identity == "agent-bob"
    assert carol.drain() == (
        *ACTIVE_BOB,
        E.ParticipantConnected(participant="agent-bob"),
        E.ParticipantActive(participant="agent-bob"),
    )
    assert agent.drain() == ()
    assert list(agent.remote_participants) == ["alice", "carol", "bob"]
    assert agent.remote_participants["bob"].state is ParticipantState.ACTIVE


def test_a_handler_that_disconnects_its_own_client() -> None:
    """design §1: a client that leaves in a handler still gets the events committed before its
    leave (queued behind: bob's participant_active), then its own disconnect events (also to
    its handlers), and nothing after."""
    room = Room("r")
    alice = room.connect("alice")
    got: list[str] = []
    alice.on("participant_connected", lambda e: alice.disconnect())
    alice.on("participant_active", lambda e: got.append(e.name))
    alice.on("disconnected", lambda e: got.append(f"disconnected:{e.reason.name}"))
    bob = room.connect("bob")
    room.update_participant("bob", metadata="unseen")
    assert got == ["participant_active", "disconnected:CLIENT_INITIATED"]
    assert alice.drain() == (
        *ACTIVE_BOB,
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=DisconnectReason.CLIENT_INITIATED),
    )
    assert bob.drain() == (
        E.ParticipantDisconnected(participant="alice", reason=DisconnectReason.CLIENT_INITIATED),
        E.ParticipantMetadataChanged(participant="bob", old_metadata="", new_metadata="unseen"),
    )


def test_duplicate_identity_reaches_the_old_clients_handlers() -> None:
    """server §4 Duplicate identity; design §1: handlers see the old session's end."""
    room = Room("r")
    old = room.connect("bob")
    got: list[E.Event] = []
    old.on("connection_state_changed", got.append)
    old.on("disconnected", got.append)
    room.connect("bob")
    assert got == [
        E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        E.Disconnected(reason=DisconnectReason.DUPLICATE_IDENTITY),
    ]


def test_reading_every_step_or_only_at_the_end_gives_the_same_stream() -> None:
    """design §1 Facts, then projection: lazy and eager delivery give identical streams."""

    def script(eager: bool) -> tuple[E.Event, ...]:
        room = Room("r")
        alice = room.connect("alice", permission=Permission(can_update_metadata=True))
        if eager:
            alice.on("participant_connected", lambda e: None)
        bob = room.connect("bob")
        alice.set_attributes({"k": "v"})
        room.update_participant("bob", name="B", permission=Permission(can_publish=False))
        room.connect("bob")
        bob.drain()
        room.remove_participant("bob")
        return alice.drain()

    assert script(True) == script(False)


def test_nested_failures_are_reported_by_the_outer_verb() -> None:
    """design §1: events of a nested mutation are dispatched in the same run, so a handler
    failing on them is reported by the outer verb's HandlerError."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol")
    alice.on("participant_connected", lambda e: room.update_room_metadata("x"))
    carol.on("room_metadata_changed", lambda e: 1 / 0)
    with pytest.raises(HandlerError) as exc:
        room.connect("bob")
    (failure,) = exc.value.failures
    assert failure.client == "carol"
    assert failure.event == E.RoomMetadataChanged(old_metadata="", new_metadata="x")
    assert isinstance(failure.exception, ZeroDivisionError)
    assert room.metadata == "x"


def test_a_later_client_does_not_see_a_nested_join_early() -> None:
    """design §1: inside carol's handler for bob's join, the agent an earlier handler connected
    is not yet known to carol; she sees it join after bob's events."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol")
    alice.drain()
    known: list[list[str]] = []

    def spawn(e: E.ParticipantConnected) -> None:
        if e.participant == "bob":
            room.connect("agent", kind=ParticipantKind.AGENT)

    alice.on("participant_connected", spawn)
    carol.on("participant_connected", lambda e: known.append(list(carol.remote_participants)))
    room.connect("bob")
    assert known == [["alice", "bob"], ["alice", "bob", "agent"]]
    assert carol.drain() == (
        *ACTIVE_BOB,
        E.ParticipantConnected(participant="agent"),
        E.ParticipantActive(participant="agent"),
    )


def test_duplicate_identity_state_inside_handlers() -> None:
    """server §4 Duplicate identity + design §1: while handling the old session's
    participant_disconnected, bob is absent; at the new participant_connected, bob is the new
    sid."""
    room = Room("r")
    alice = room.connect("alice")
    old = room.connect("bob")
    seen: list[tuple[str, str | None]] = []

    def record(e: E.ParticipantConnected | E.ParticipantDisconnected) -> None:
        p = alice.remote_participants.get(e.participant)
        seen.append((e.name, p.sid if p is not None else None))

    alice.on("participant_disconnected", record)
    alice.on("participant_connected", record)
    new = room.connect("bob")
    assert old.sid != new.sid
    assert seen == [("participant_disconnected", None), ("participant_connected", new.sid)]


def test_off_returns_the_client_to_lazy_delivery_without_losing_events() -> None:
    """design §1: eager or lazy, a client's event stream is the same."""
    room = Room("r")
    alice = room.connect("alice")
    calls: list[str] = []

    def h(e: E.Event) -> None:
        calls.append(e.name)

    alice.on("participant_connected", h)
    room.connect("bob")
    alice.off("participant_connected", h)
    room.connect("carol")
    assert calls == ["participant_connected"]
    assert alice.drain() == (
        *ACTIVE_BOB,
        E.ParticipantConnected(participant="carol"),
        E.ParticipantActive(participant="carol"),
    )


def test_state_inside_a_permission_handler_is_right_after_that_event() -> None:
    """design §1: inside a handler the client's state is its state right after the event;
    server §3 effect 2 + client §4.4 d/§9b: permissions_changed, then one track_unsubscribed
    per track, each flipping that publication's subscribed flag.  A JS client: livekit.rtc
    never hears of a subscription the server ends (client §16.1)."""
    room = Room("r")
    alice = room.connect("alice")
    mic = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    cam = alice.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
    bob = room.connect("bob", sdk="js")
    seen: list[tuple[str, dict[str, bool | None]]] = []

    def record(e: E.Event) -> None:
        pubs = bob.remote_participants["alice"].track_publications
        seen.append((e.name, {sid: p.subscribed for sid, p in pubs.items()}))

    bob.on("participant_permissions_changed", record)
    bob.on("track_unsubscribed", record)
    room.update_participant("bob", permission=Permission(can_subscribe=False))
    assert seen == [
        ("participant_permissions_changed", {mic: True, cam: True}),
        ("track_unsubscribed", {mic: False, cam: True}),
        ("track_unsubscribed", {mic: False, cam: False}),
    ]
