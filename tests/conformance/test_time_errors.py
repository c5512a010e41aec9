"""Conformance transcripts: refused time and lifecycle operations (design §1 "Atomic",
"Handlers run after commit"; §2 closed rooms; §4 errors: InvalidArgument, InvalidType,
IllegalState, RoomClosed; server §4 "a join into a closed room gives ErrRoomClosed")."""

from __future__ import annotations

import math
from typing import Any

import pytest

from roomsim import (
    ClientDisconnected,
    ConnectionQuality,
    HandlerError,
    IllegalState,
    InvalidArgument,
    InvalidType,
    ManualClock,
    ParticipantKind,
    Room,
    RoomClosed,
    RoomConfig,
    StreamState,
    TrackKind,
    TrackSource,
)
from roomsim import events as E
from roomsim import mutations as M
from roomsim.streams import StreamChunk


@pytest.mark.parametrize("dt", [-1, -0.5, -1e-9, math.nan, math.inf, -math.inf])
def test_advance_refuses_a_bad_number(dt: float) -> None:
    """design §4 InvalidArgument: time only moves forward by a finite amount; design §1: the
    refused mutation changes nothing (not even the log)."""
    room = Room("r")
    room.connect("alice")
    room.connect("carol", active=False)
    room.advance(1)
    before = room.snapshot()
    with pytest.raises(InvalidArgument, match="advance"):
        room.advance(dt)
    assert room.snapshot() == before
    with pytest.raises(InvalidArgument):
        room.apply(M.Advance(dt=dt))
    assert room.snapshot() == before
    assert room.now == 1.0


@pytest.mark.parametrize("dt", ["1", None, True, b"1", [1.0], 1j])
def test_advance_refuses_a_wrong_type(dt: Any) -> None:
    """design §4 InvalidType (a subclass of InvalidArgument and TypeError): a value of the wrong
    Python type; bool is not a number of seconds."""
    room = Room("r")
    room.connect("alice")
    before = room.snapshot()
    with pytest.raises(InvalidType) as info:
        room.advance(dt)
    assert isinstance(info.value, TypeError)
    assert room.snapshot() == before


def test_a_refused_advance_on_a_shared_clock_moves_no_room() -> None:
    """design §1 atomic, ManualClock shared by several rooms: nothing moves."""
    clock = ManualClock()
    a = Room("a", clock=clock)
    b = Room("b", clock=clock)
    before = (a.snapshot(), b.snapshot())
    with pytest.raises(InvalidArgument):
        a.advance(-3)
    assert (a.snapshot(), b.snapshot()) == before
    assert clock.now == 0.0


def test_advance_zero_runs_timers_due_now() -> None:
    """design §2: ``advance(0)`` is valid; with ``join_timeout=0`` the held join is due at
    once."""
    room = Room("r", config=RoomConfig(join_timeout=0.0))
    carol = room.connect("carol", active=False)
    assert carol.connection_state.value == "connected"
    room.advance(0)
    assert carol.disconnect_reason is not None
    assert carol.disconnect_reason.name == "JOIN_FAILURE"


def test_advancing_from_a_handler_is_refused() -> None:
    """design §1 handlers: dispatch is never re-entered; advancing the clock from inside a
    handler is IllegalState, raised inside the handler and reported through HandlerError
    after the verb was applied."""
    room = Room("r")
    alice = room.connect("alice")
    alice.on("participant_connected", lambda e: room.advance(1))
    with pytest.raises(HandlerError) as info:
        room.connect("bob")
    (failure,) = info.value.failures
    assert failure.client == "alice"
    assert failure.event == E.ParticipantConnected(participant="bob")
    assert isinstance(failure.exception, IllegalState)
    assert "bob" in room.participants  # the verb was applied
    assert room.now == 0.0
    assert [type(m).__name__ for m in room.log] == ["Connect", "Connect"]


def test_advancing_from_a_handler_during_an_advance_is_refused() -> None:
    """design §1: a handler that runs while timers run may not advance the clock again."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("carol", active=False)
    alice.on("participant_disconnected", lambda e: room.advance(5))
    with pytest.raises(HandlerError) as info:
        room.advance(100)
    (failure,) = info.value.failures
    assert isinstance(failure.exception, IllegalState)
    assert room.now == 100.0
    assert [m for m in room.log if isinstance(m, M.Advance)] == [M.Advance(dt=100.0)]


def test_advancing_a_room_on_the_same_clock_from_a_handler_during_an_advance() -> None:
    """design §1 (dispatch never re-entered) and ManualClock (advancing one room advances every
    room on the clock): a handler of room b, run by a.advance(), advancing a is advancing
    from inside a handler: IllegalState inside the handler, HandlerError from the verb."""
    clock = ManualClock()
    a = Room("a", clock=clock)
    b = Room("b", clock=clock)
    obs = b.connect("obs")
    b.connect("x", active=False)
    obs.on("participant_disconnected", lambda e: a.advance(5))
    with pytest.raises(HandlerError) as info:
        a.advance(100)
    (failure,) = info.value.failures
    assert isinstance(failure.exception, IllegalState)
    assert clock.now == 100.0


def test_advancing_a_room_on_the_same_clock_from_a_handler() -> None:
    """design §1 handlers / ManualClock: advancing room a advances room b too, so a handler of
    b that advances a is advancing from inside a handler: refused with IllegalState."""
    clock = ManualClock()
    a = Room("a", clock=clock)
    b = Room("b", clock=clock)
    obs = b.connect("obs")
    b.connect("x", active=False)
    obs.on("participant_connected", lambda e: a.advance(100))
    with pytest.raises(HandlerError) as info:
        b.connect("y")
    (failure,) = info.value.failures
    assert isinstance(failure.exception, IllegalState)
    assert clock.now == 0.0
    assert "x" in b.participants


def _one_of_each() -> list[M.Mutation]:
    return [
        M.Connect(identity="zed"),
        M.Activate(identity="alice"),
        M.Disconnect(identity="alice"),
        M.SetName(identity="alice", name="A"),
        M.SetMetadata(identity="alice", metadata="m"),
        M.SetAttributes(identity="alice", attributes={"k": "v"}),
        M.UpdateParticipant(identity="alice", name="A"),
        M.RemoveParticipant(identity="alice"),
        M.UpdateRoomMetadata(metadata="m"),
        M.PublishTrack(identity="alice", kind=TrackKind.AUDIO, source=TrackSource.MICROPHONE),
        M.UnpublishTrack(identity="alice", track_sid="TR_1"),
        M.SetTrackMuted(identity="alice", track_sid="TR_1", muted=True),
        M.MutePublishedTrack(identity="alice", track_sid="TR_1", muted=True),
        M.SetSubscribed(identity="alice", publisher="bob", track_sid="TR_1", subscribed=False),
        M.UpdateSubscriptions(identity="alice", track_sids=("TR_1",), subscribe=False),
        M.SetTrackSubscriptionPermissions(identity="alice", all_participants=False),
        M.SendData(sender=None, data=b"x"),
        M.SetStreamState(identity="alice", track_sid="TR_1", state=StreamState.PAUSED),
        M.SetAudioLevels(levels={"alice": 0.5}),
        M.SetConnectionQuality(identity="alice", quality=ConnectionQuality.POOR),
        M.PushAudio(identity="alice", track_sid="TR_1", samples=b"\x00\x00"),
        M.DeleteRoom(),
        M.RegisterRpcMethod(identity="alice", method="m"),
        M.PerformRpc(caller="alice", destination="bob", method="m"),
        M.RespondRpc(identity="alice", request_id="RPC_1", payload="x"),
        M.SendStreamPackets(
            sender="alice", packets=(StreamChunk(stream_id="ST_1", chunk_index=0, content=b"x"),)
        ),
        M.Interrupt(identity="alice"),
        M.Resume(identity="alice"),
        M.Reconnect(identity="alice"),
        M.ShutdownServer(),
        M.MoveParticipant(identity="alice", destination_room="elsewhere"),
        # even a malformed mutation meets the closed room first
        M.Connect(identity=""),
    ]


def test_the_list_covers_every_mutation_but_advance() -> None:
    """A guard for the test below: a new mutation type must be added to it."""
    covered = {type(m) for m in _one_of_each()}
    assert covered == set(M.ALL_MUTATIONS) - {M.Advance}


@pytest.mark.parametrize("how", ["timeout", "delete"])
@pytest.mark.parametrize("m", _one_of_each(), ids=lambda m: type(m).__name__)
def test_a_closed_room_refuses_every_mutation(how: str, m: M.Mutation) -> None:
    """design §2: after empty_timeout/departure_timeout or room.delete() a room is closed for
    good: every mutation raises RoomClosed (an IllegalState) and changes nothing; server §4: a
    join into a closed room gives ErrRoomClosed."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob", kind=ParticipantKind.AGENT)
    alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    if how == "timeout":
        alice.disconnect()
        room.advance(20)
    else:
        room.delete()
    assert room.closed
    before = room.snapshot()
    with pytest.raises(RoomClosed) as info:
        room.apply(m)
    assert isinstance(info.value, IllegalState)
    assert room.snapshot() == before


def test_a_closed_room_refuses_the_verbs() -> None:
    """design §2: the verbs build the same mutations, and are refused the same way; a client
    of a closed room has ended and refuses every action (ClientDisconnected)."""
    room = Room("r")
    alice = room.connect("alice")
    room.delete()
    before = room.snapshot()
    with pytest.raises(RoomClosed, match="closed"):
        room.connect("bob")
    with pytest.raises(RoomClosed):
        room.update_room_metadata("m")
    with pytest.raises(RoomClosed):
        room.send_data(b"x")
    with pytest.raises(RoomClosed):
        room.delete()
    with pytest.raises(ClientDisconnected):
        alice.set_metadata("m")
    with pytest.raises(ClientDisconnected):
        alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    assert room.snapshot() == before


def test_a_closed_room_still_validates_advance() -> None:
    """design §4: ``advance()`` still works on a closed room, and is still checked."""
    room = Room("r")
    room.delete()
    before = room.snapshot()
    with pytest.raises(InvalidArgument):
        room.advance(-1)
    with pytest.raises(InvalidType):
        room.advance("5")  # type: ignore[arg-type]
    assert room.snapshot() == before
    room.advance(5)
    assert room.now == 5.0


def test_handler_failures_in_another_room_on_the_clock_reach_the_advance() -> None:
    """design §1: if handlers raise, dispatch still completes, then the verb raises
    HandlerError with each (client, event, exception); a nested verb in a handler returns its
    result.  ManualClock: a.advance() runs b's timers, so it is the verb that reports them."""
    clock = ManualClock()
    a = Room("a", clock=clock)
    b = Room("b", clock=clock)
    obs = b.connect("obs")
    b.connect("x", active=False)
    published: list[str] = []

    def bad(e: E.Event) -> None:
        raise ValueError("boom")

    def publish(e: E.Event) -> None:
        published.append(obs.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE))

    obs.on("participant_disconnected", bad)
    obs.on("participant_disconnected", publish)
    with pytest.raises(HandlerError) as info:
        a.advance(100)
    assert [type(f.exception) for f in info.value.failures] == [ValueError]
    assert published == ["TR_1"]
