"""RPC and data streams in the generators (rpc-and-streams §12): ``mutations`` draws deferred
answers (payloads, built-in and application errors), ``invalid_mutations`` draws RPC and
stream refusals that change nothing, and the state machine checks that each call ends exactly
once: with a response, an error or a timeout, on the virtual clock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule, run_state_machine_as_test

from roomsim import Room, RoomsimError
from roomsim import mutations as M
from roomsim import strategies as rs
from roomsim.rpc import PendingCall, RpcError
from roomsim.stateful import RoomStateMachine
from roomsim.testing import check_invariants

RPC_FAMILIES = frozenset(
    {M.Connect, M.Disconnect, M.Advance, M.RegisterRpcMethod, M.PerformRpc, M.RespondRpc}
    | {M.SendStreamPackets, M.UpdateParticipant}
)


def _callee_waiting() -> tuple[Room, str]:
    room = Room("r")
    room.connect("alice")
    room.connect("bob")
    room.apply(M.RegisterRpcMethod(identity="bob", method="m"))  # a name, no function
    call = room.apply(M.PerformRpc(caller="alice", destination="bob", method="m"))
    return room, call.request_id


@given(st.data())
def test_deferred_answers_are_drawn_and_apply(data: st.DataObject) -> None:
    room, request_id = _callee_waiting()
    bob = room.clients["bob"]
    assert list(bob.awaiting_answer) == [request_id]
    m = data.draw(rs.mutations(room, families=[M.RespondRpc]))
    assert isinstance(m, M.RespondRpc) and m.request_id == request_id
    room.apply(m)
    assert list(bob.awaiting_answer) == []
    check_invariants(room)


@given(st.data())
def test_rpc_and_stream_refusals_change_nothing(data: st.DataObject) -> None:
    room, _ = _callee_waiting()
    families = [M.RegisterRpcMethod, M.PerformRpc, M.RespondRpc, M.SendStreamPackets]
    refusal = data.draw(rs.invalid_mutations(room, families=families))
    before = room.snapshot()
    with pytest.raises(refusal.error):
        room.apply(refusal.mutation)
    assert room.snapshot() == before
    check_invariants(room)


def test_every_rpc_refusal_can_be_drawn() -> None:
    room, _ = _callee_waiting()
    seen: set[type[RoomsimError]] = set()
    families = [M.RegisterRpcMethod, M.PerformRpc, M.RespondRpc, M.SendStreamPackets]

    @settings(max_examples=200, database=None)
    @given(rs.invalid_mutations(room, families=families))
    def draw(refusal: rs.Refusal) -> None:
        seen.add(refusal.error)

    draw()
    assert len(seen) >= 5, seen


class RpcMachine(RoomStateMachine):
    """Calls, answers and streams only; each call's outcome is fixed once it settles."""

    families = RPC_FAMILIES
    swarm = False
    weights: ClassVar[Mapping[type[M.Mutation], int]] = {
        M.RegisterRpcMethod: 3,
        M.PerformRpc: 4,
        M.RespondRpc: 8,
    }
    answered: ClassVar[dict[str, int]] = {"payload": 0, "error": 0, "timeout": 0}

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[PendingCall] = []
        self.outcomes: dict[str, tuple[object, float | None]] = {}
        self.seeded = False

    @precondition(lambda self: not self.seeded and len(self.room.participants) >= 2)
    @rule()
    def seed_a_call(self) -> None:
        """One call awaiting its callee's answer, so that every run has an answer to draw."""
        self.seeded = True
        caller, callee = list(self.room.participants)[:2]
        self.apply(M.RegisterRpcMethod(identity=callee, method="seeded"))
        self.apply(M.PerformRpc(caller=caller, destination=callee, method="seeded"))

    def apply(self, mutation: M.Mutation) -> Any:
        result = super().apply(mutation)
        if isinstance(mutation, M.PerformRpc):
            assert isinstance(result, PendingCall)
            self.calls.append(result)
        elif isinstance(mutation, M.RespondRpc):
            RpcMachine.answered["payload" if mutation.payload is not None else "error"] += 1
        return result

    @invariant()
    def a_call_ends_exactly_once(self) -> None:
        now = self.room.now
        for call in self.calls:
            if not call.settled:
                due = call.next_deadline()
                assert due is not None and due > now, f"{call!r} missed its deadline {due}"
                continue
            outcome = _outcome(call)
            first = self.outcomes.setdefault(call.request_id, (outcome, call.settled_at))
            assert first == (outcome, call.settled_at), f"{call!r} settled twice"

    def teardown(self) -> None:
        if not self.room.closed:
            self.room.advance(60.0)  # past every deadline: each call has ended
        for call in self.calls:
            assert call.settled, f"{call!r} never ended"
            outcome = _outcome(call)
            if isinstance(outcome, RpcError) and outcome.code in (1501, 1502):
                RpcMachine.answered["timeout"] += 1


def _outcome(call: PendingCall) -> object:
    try:
        return call.result()
    except RpcError as e:
        return e


def test_the_state_machine_ends_every_call_exactly_once() -> None:
    run_state_machine_as_test(
        RpcMachine, settings=settings(max_examples=40, stateful_step_count=25, database=None)
    )
    answered = RpcMachine.answered
    assert answered["payload"] + answered["error"] > 0 and answered["timeout"] > 0, answered


def test_answers_are_payloads_and_errors() -> None:
    room, _ = _callee_waiting()
    kinds: set[bool] = set()

    @settings(max_examples=50, database=None)
    @given(rs.mutations(room, families=[M.RespondRpc]))
    def draw(m: M.Mutation) -> None:
        assert isinstance(m, M.RespondRpc)
        kinds.add(m.payload is None)

    draw()
    assert kinds == {True, False}
