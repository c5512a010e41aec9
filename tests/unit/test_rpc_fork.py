"""A fork carries RPC and stream state (rpc-and-streams §12): calls in flight settle the same
way at the same virtual time, method names and stream ids carry over, and the snapshot of a
fork equals the snapshot it was made from."""

from __future__ import annotations

import pytest

from roomsim import IllegalState, InvalidArgument, Room
from roomsim import mutations as M
from roomsim.rpc import DEFER, RpcError
from roomsim.testing import check_invariants


def _room() -> tuple[Room, str]:
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob", sdk="js", client_protocol=0)
    bob.register_rpc_method("slow", lambda inv: DEFER)
    pending = alice.start_rpc("bob", "slow", "hi")
    writer = bob.stream_text(topic="t", stream_id="S1")
    writer.write("x")
    return room, pending.request_id


def test_a_fork_has_the_same_rpc_state() -> None:
    room, request_id = _room()
    snap = room.snapshot()
    assert [c.request_id for c in snap.rpc_calls] == [request_id]
    assert snap.rpc_methods == ((room.participants["bob"].sid, ("slow",)),)
    assert dict(snap.client_protocols)[room.participants["bob"].sid] == 0
    fork = Room.from_snapshot(snap)
    check_invariants(fork)
    assert fork.snapshot() == snap


def test_a_call_in_flight_times_out_alike_in_the_fork() -> None:
    room, _ = _room()
    fork = Room.from_snapshot(room.snapshot())
    for r in (room, fork):
        r.advance(30.0)
    [call] = room.snapshot().rpc_calls  # a JS callee may still answer (it has no deadline)
    assert isinstance(call.outcome, RpcError) and call.outcome.code == 1502
    assert call.settled_at == 15.0
    assert fork.snapshot().rpc_calls == room.snapshot().rpc_calls
    assert room.snapshot().timers == fork.snapshot().timers


def test_the_fork_s_callee_answers_once() -> None:
    room, request_id = _room()
    fork = Room.from_snapshot(room.snapshot())
    fork.apply(M.RespondRpc(identity="bob", request_id=request_id, payload="yo"))
    assert fork.snapshot().rpc_calls == ()
    with pytest.raises(IllegalState):
        fork.apply(M.RespondRpc(identity="bob", request_id=request_id, payload="again"))
    # the original is untouched by what the fork did
    assert [c.request_id for c in room.snapshot().rpc_calls] == [request_id]


def test_stream_ids_carry_over() -> None:
    room, _ = _room()
    fork = Room.from_snapshot(room.snapshot())
    with pytest.raises(InvalidArgument, match="already sent a stream"):
        fork.clients["bob"].send_text("y", stream_id="S1")
    fork.clients["bob"].send_text("y")  # numbered after the original's streams
    assert fork.snapshot().next_stream_number == room.snapshot().next_stream_number + 1


def test_an_answer_error_survives_the_fork() -> None:
    room, request_id = _room()
    room.clients["bob"].respond_rpc(request_id, error=RpcError(2000, "no"))
    fork = Room.from_snapshot(room.snapshot())
    assert fork.snapshot() == room.snapshot()
