"""The reference model's RPC and data streams (rpc-and-streams §1, §3-§7, §12), naive and
eager, sharing no code with the core: a mixin of ``ReferenceRoom``.

The differential machine drives python clients (client protocol 2) without handler
functions and without time, so a call: fails 1400 at once when the callee has not registered
the method (if the answer can reach the caller), waits for the callee's ``RespondRpc`` when it
has, and otherwise waits for a timeout no step reaches; a caller's session ending fails it
1503.  Stream packets reach no python client as an event (no handler: the SDK drops them), so
what is observable is each sender's stream ids and the refusals.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from roomsim import mutations as M
from roomsim.errors import IllegalState, InvalidArgument, InvalidType, LimitExceeded
from roomsim.streams import StreamChunk, StreamHeader, StreamTrailer

__all__ = ["RPC_MODELLED", "RpcModel", "call_fields"]

RPC_MODELLED = frozenset({M.RegisterRpcMethod, M.PerformRpc, M.RespondRpc, M.SendStreamPackets})

_UINT32 = 2**32 - 1
_PACKET = 15_000


@attrs.define
class _Call:
    request_id: str
    caller_sid: str
    callee_sid: str | None
    reply: bool
    invoked: bool = False
    answered: bool = False
    #: None while pending; then the response str or the error code (an int)
    outcome: str | int | None = None


def call_fields(call: Any) -> tuple[str, bool, str | int | None]:
    """(request id, settled, response or error code) of a roomsim ``PendingCall``."""
    if not call.settled:
        return (call.request_id, False, None)
    try:
        return (call.request_id, True, call.result())
    except Exception as e:  # an RpcError
        return (call.request_id, True, e.code)  # type: ignore[attr-defined]


def _seconds(v: Any) -> None:
    if v is None:
        return
    if type(v) not in (int, float):
        raise InvalidType("reference model: a timeout is a number")
    if not math.isfinite(v) or v < 0 or v * 1000 > _UINT32:
        raise InvalidArgument("reference model: a timeout out of range")


def _text(v: Any) -> None:
    if not isinstance(v, str):
        raise InvalidType("reference model: not a str")


class RpcModel:
    """Mixed into ``ReferenceRoom``: ``people`` (identity -> person with ``sid``, ``permission``)
    and ``_lookup`` are the room's."""

    people: dict[str, Any]

    def _lookup(self, identity: Any, what: str = "identity") -> Any: ...

    def _rpc_init(self) -> None:
        self.rpc_calls: dict[str, _Call] = {}
        self.rpc_methods: dict[str, set[str]] = {}
        self.stream_ids: dict[str, dict[str, bool]] = {}
        self._next_request = 1

    def _rpc_session_ended(self, sid: str) -> None:
        for call in self.rpc_calls.values():
            if call.caller_sid == sid and call.outcome is None:
                call.outcome = 1503
            if call.callee_sid == sid:
                call.answered = True
        self.rpc_methods.pop(sid, None)
        self.stream_ids.pop(sid, None)

    def rpc_call(self, request_id: str) -> tuple[str, bool, str | int | None]:
        call = self.rpc_calls[request_id]
        return (request_id, call.outcome is not None, call.outcome)

    def awaiting(self, sid: str) -> tuple[str, ...]:
        return tuple(
            r
            for r, c in self.rpc_calls.items()
            if c.callee_sid == sid and c.invoked and not c.answered
        )

    # --- mutations -----------------------------------------------------------------------------

    def _do_register_rpc_method(self, m: M.RegisterRpcMethod) -> None:
        _text(m.method)
        if type(m.registered) is not bool:
            raise InvalidType("reference model: registered is a bool")
        p = self._lookup(m.identity)
        names = self.rpc_methods.setdefault(p.sid, set())
        if m.registered:
            names.add(m.method)
        else:
            names.discard(m.method)

    def _do_perform_rpc(self, m: M.PerformRpc) -> tuple[str, bool, str | int | None]:
        for v in (m.destination, m.method, m.payload):
            _text(v)
        caller = self._lookup(m.caller, "caller")
        _seconds(m.response_timeout)
        _seconds(m.max_round_trip_latency)
        request_id = f"RPC_{self._next_request}"
        self._next_request += 1
        callee = self.people.get(m.destination)
        if callee is caller or not caller.permission.can_publish_data:
            callee = None
        reply = (
            callee is not None
            and callee.permission.can_publish_data
            and not caller.permission.hidden
        )
        call = _Call(request_id, caller.sid, callee.sid if callee else None, reply)
        self.rpc_calls[request_id] = call
        if callee is not None:
            if m.method in self.rpc_methods.get(callee.sid, ()):
                call.invoked = True
            else:
                call.answered = True
                if reply:
                    call.outcome = 1400
        return self.rpc_call(request_id)

    def _do_respond_rpc(self, m: M.RespondRpc) -> None:
        _text(m.request_id)
        _text(m.error_message)
        for v in (m.payload, m.error_data):
            if v is not None:
                _text(v)
        p = self._lookup(m.identity)
        call = self.rpc_calls.get(m.request_id)
        if call is None or call.callee_sid != p.sid or not call.invoked or call.answered:
            raise IllegalState("reference model: no such invocation awaiting an answer")
        if (m.payload is None) == (m.error_code is None):
            raise InvalidArgument("reference model: a payload or an error")
        if m.error_code is not None:
            if type(m.error_code) is not int:
                raise InvalidType("reference model: an int code")
            if not 0 <= m.error_code <= _UINT32:
                raise InvalidArgument("reference model: a uint32 code")
        call.answered = True
        if call.reply and call.outcome is None:
            call.outcome = m.payload if m.payload is not None else m.error_code

    def _do_send_stream_packets(self, m: M.SendStreamPackets) -> None:
        if not isinstance(m.packets, tuple | list) or not m.packets:
            raise InvalidType("reference model: packets are a non-empty tuple")
        for packet in m.packets:
            if not isinstance(packet, StreamHeader | StreamChunk | StreamTrailer):
                raise InvalidType("reference model: not a stream packet")
        p = self._lookup(m.sender, "sender")
        state = dict(self.stream_ids.get(p.sid, {}))
        for packet in m.packets:
            if isinstance(packet, StreamHeader):
                if packet.stream_id in state:
                    raise InvalidArgument("reference model: a stream id used again")
                size = sum(len(k.encode()) + len(v.encode()) for k, v in packet.attributes.items())
                if size + len(packet.topic.encode()) > _PACKET:
                    raise LimitExceeded("reference model: a header over 15 000 bytes")
                state[packet.stream_id] = True
            else:
                assert isinstance(packet, StreamChunk | StreamTrailer)
                if not state.get(packet.stream_id):
                    raise IllegalState("reference model: no open stream")
                if isinstance(packet, StreamTrailer):
                    state[packet.stream_id] = False
        self.stream_ids[p.sid] = state
