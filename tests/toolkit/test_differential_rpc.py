"""The differential test over RPC and data streams (rpc-and-streams §12): the reference model
(``_reference_rpc``) and roomsim agree on calls, answers, method names and stream ids."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from hypothesis import settings
from hypothesis.stateful import precondition, rule, run_state_machine_as_test

from roomsim import Permission, RoomsimError
from roomsim import mutations as M
from roomsim.streams import StreamTrailer, text_header, text_stream_packets
from tests.toolkit.test_differential import DifferentialMachine


class RpcDifferential(DifferentialMachine):
    swarm = False
    weights: ClassVar[Mapping[type[M.Mutation], int]] = {
        M.Connect: 2,
        M.RegisterRpcMethod: 8,
        M.PerformRpc: 12,
        M.RespondRpc: 20,
        M.SendStreamPackets: 4,
    }
    applied: ClassVar[set[type[M.Mutation]]] = set()

    def __init__(self) -> None:
        super().__init__()
        self.seeded = False

    @precondition(lambda self: not self.seeded and len(self.room.participants) >= 2)
    @rule()
    def seed_a_call(self) -> None:
        """One call awaiting its callee's answer (a method name, no function), so that the
        run has an answer to draw: random draws reach one only now and then."""
        self.seeded = True
        people = list(self.room.participants.values())
        callers = [p for p in people if p.permission.can_publish_data]
        if not callers:
            return
        caller = callers[0]
        callee = next(p for p in people if p.identity != caller.identity)
        self.apply(M.RegisterRpcMethod(identity=callee.identity, method="seeded"))
        self.apply(
            M.PerformRpc(caller=caller.identity, destination=callee.identity, method="seeded")
        )

    def apply(self, mutation: M.Mutation) -> Any:
        result = super().apply(mutation)
        RpcDifferential.applied.add(type(mutation))
        return result


def test_the_model_and_roomsim_agree_on_rpc_and_streams() -> None:
    run_state_machine_as_test(
        RpcDifferential,
        settings=settings(max_examples=40, stateful_step_count=25, database=None, derandomize=True),
    )
    assert {M.RegisterRpcMethod, M.PerformRpc, M.RespondRpc, M.SendStreamPackets} <= (
        RpcDifferential.applied
    )


def test_a_scripted_round_trip_agrees() -> None:
    machine = DifferentialMachine()
    grant = Permission(can_update_metadata=True)
    hidden = Permission(hidden=True)
    header = text_header(stream_id="S", topic="t", timestamp=0.0, total_length=2)
    script: list[M.Mutation] = [
        M.Connect(identity="alice", permission=grant),
        M.Connect(identity="bob", permission=grant),
        M.Connect(identity="ghost", permission=hidden),
        M.RegisterRpcMethod(identity="bob", method="m"),
        M.PerformRpc(caller="alice", destination="bob", method="m", payload="hi"),  # RPC_1
        M.PerformRpc(caller="alice", destination="bob", method="x"),  # 1400
        M.PerformRpc(caller="ghost", destination="bob", method="m"),  # RPC_3: no reply
        M.RespondRpc(identity="bob", request_id="RPC_1", payload="yo"),
        M.RespondRpc(identity="bob", request_id="RPC_3", error_code=2000, error_message="no"),
        M.PerformRpc(caller="bob", destination="nobody", method="m"),  # waits: 1501 later
        M.SendStreamPackets(sender="alice", packets=text_stream_packets("hi", header)),
        M.Disconnect(identity="bob"),
    ]
    for m in script:
        machine.apply(m)
        machine.rpc_calls_agree()
    outcomes = [machine.model.rpc_call(f"RPC_{i}") for i in range(1, 5)]
    assert outcomes == [
        ("RPC_1", True, "yo"),
        ("RPC_2", True, 1400),
        ("RPC_3", False, None),
        ("RPC_4", True, 1503),  # bob, the caller, left
    ]
    for refused in (
        M.RespondRpc(identity="alice", request_id="RPC_1", payload="again"),
        M.SendStreamPackets(sender="alice", packets=(StreamTrailer(stream_id="S"),)),
        M.SendStreamPackets(sender="alice", packets=(header,)),
    ):
        try:
            machine.apply(refused)
        except AssertionError:
            raise
        except RoomsimError:  # pragma: no cover - _both compares the classes, raising none
            raise
    machine.teardown()
