"""RPC and data streams: register, call, answer, stream packets; and the RPC timers
(rpc-and-streams §1, §4-§7).

Routing follows the data-packet rule (server ``BroadcastDataPacketForRoom``, §1): to the
destinations present (or everyone else), never to the sender, nothing from a sender without
``can_publish_data``; a hidden sender arrives as identity "".  Each applier checks its mutation
completely, then commits.
"""

from __future__ import annotations

from roomsim import _facts as facts
from roomsim import mutations
from roomsim._peer import Call, sdk_of
from roomsim._records import ParticipantRecord
from roomsim._server import Server, TimerKind
from roomsim.errors import IllegalState, InvalidArgument, InvalidType
from roomsim.rpc import (
    PendingCall,
    RpcAnswer,
    RpcError,
    RpcErrorCode,
    RpcInvocation,
    callee_deadline,
    request_payload_error,
    response_payload_error,
    rpc_timeouts,
)
from roomsim.streams import StreamHeader, StreamTrailer, check_header_size

__all__ = [
    "apply_perform_rpc",
    "apply_register_rpc_method",
    "apply_respond_rpc",
    "apply_send_stream_packets",
    "rpc_timer",
]


def apply_register_rpc_method(server: Server, m: mutations.RegisterRpcMethod) -> None:
    rec = server.lookup(m.identity)
    names = server.peer.methods.get(rec.sid, set())
    if m.registered and m.method in names and sdk_of(server.sessions.get(rec.identity)) == "js":
        # JS refuses a second registration (rpc-and-streams §6); Python replaces silently
        raise IllegalState(
            f"RPC handler already registered for method {m.method}, unregisterRpcMethod "
            "before trying to register again"
        )
    if m.registered:
        server.peer.methods.setdefault(rec.sid, set()).add(m.method)
    elif rec.sid in server.peer.methods:
        server.peer.methods[rec.sid].discard(m.method)


def _visible(server: Server, viewer: ParticipantRecord, identity: str) -> ParticipantRecord | None:
    """The record of ``identity`` as ``viewer``'s SDK knows it (None: absent, hidden, itself)."""
    rec = server.records.get(identity)
    if rec is None or rec.sid == viewer.sid or rec.permission.hidden:
        return None
    return rec


def apply_perform_rpc(server: Server, m: mutations.PerformRpc) -> PendingCall:
    caller = server.lookup(m.caller)
    sdk = sdk_of(server.sessions.get(caller.identity))
    timeouts = rpc_timeouts(sdk, m.response_timeout, m.max_round_trip_latency)
    peer = server.peer
    known = _visible(server, caller, m.destination)
    protocol = peer.protocol(known.sid) if known is not None else 0
    too_large = request_payload_error(m.payload, remote_client_protocol=protocol)
    if too_large is not None:
        raise too_large  # the SDK checks before sending (rpc-and-streams §5)
    # commit
    now = server.now()
    request_id = f"RPC_{peer.next_request}"
    peer.next_request += 1
    pending = PendingCall(request_id=request_id, sdk=sdk, timeouts=timeouts, started_at=now)
    callee = server.records.get(m.destination)
    if callee is not None and callee.sid == caller.sid:
        callee = None  # the server never routes a packet back to its sender
    if not caller.permission.can_publish_data:
        callee = None  # dropped by the server (rpc-and-streams §1)
    call = Call(pending, caller.sid, callee.sid if callee is not None else None)
    peer.calls[request_id] = call
    if callee is not None:
        # the callee's SDK acks at once; the ack (and later the answer) reaches the caller only
        # if the callee may publish data and the caller is not hidden (§1)
        call.reply = callee.permission.can_publish_data and not caller.permission.hidden
        if call.reply:
            pending.on_ack(now)
        caller_protocol = 0 if caller.permission.hidden else peer.protocol(caller.sid)
        call.caller_protocol = caller_protocol
        if m.method in peer.methods.get(callee.sid, ()):
            invocation = RpcInvocation(
                request_id=request_id,
                caller_identity="" if caller.permission.hidden else caller.identity,
                payload=m.payload,
                response_timeout=timeouts.handler_timeout,
                method=m.method,
            )
            call.invoked = True
            call.deadline = callee_deadline(
                sdk_of(server.sessions.get(callee.identity)), now, invocation
            )
            if call.deadline is not None:
                server.schedule(call.deadline, TimerKind.RPC, request_id)
            server.append(
                facts.RpcRequested(callee.identity, callee.sid, invocation, caller_protocol, now)
            )
        else:
            _answer(call, RpcAnswer.fail(RpcError.built_in(RpcErrorCode.UNSUPPORTED_METHOD)), now)
    deadline = pending.next_deadline()
    if deadline is not None:
        server.schedule(deadline, TimerKind.RPC, request_id)
    peer.prune(call)
    return pending


def _answer(call: Call, answer: RpcAnswer, now: float) -> None:
    call.answered = True
    if call.reply:
        call.pending.on_answer(answer, now)


def apply_respond_rpc(server: Server, m: mutations.RespondRpc) -> None:
    rec = server.lookup(m.identity)
    call = server.peer.calls.get(m.request_id)
    if call is None or call.callee_sid != rec.sid or not call.invoked or call.answered:
        raise IllegalState(
            f"{m.identity!r} has no RPC invocation {m.request_id!r} awaiting an answer (never "
            "received, already answered, or answered 1502 at its deadline); answer only the "
            "request ids your handler returned DEFER for",
            code="failed_precondition",
        )
    if (m.payload is None) == (m.error_code is None):
        raise InvalidArgument(
            "respond_rpc() takes a payload or an error, exactly one of them; got "
            + ("both" if m.payload is not None else "neither")
        )
    if m.error_code is not None:
        if type(m.error_code) is not int:
            raise InvalidType(f"respond_rpc(error=...) needs an int code, got {m.error_code!r}")
        answer = RpcAnswer.fail(RpcError(m.error_code, m.error_message, m.error_data))
    else:
        assert m.payload is not None
        too_large = response_payload_error(m.payload, caller_client_protocol=call.caller_protocol)
        answer = RpcAnswer.ok(m.payload) if too_large is None else RpcAnswer.fail(too_large)
    # commit
    _answer(call, answer, server.now())
    server.peer.prune(call)


def rpc_timer(server: Server, request_id: str) -> None:
    """A call's deadline: the caller's (1501/1502) or a Python callee's own (it answers 1502)."""
    call = server.peer.calls.get(request_id)
    if call is None:
        return
    now = server.now()
    if call.deadline is not None and call.deadline <= now and not call.answered:
        _answer(call, RpcAnswer.fail(RpcError.built_in(RpcErrorCode.RESPONSE_TIMEOUT)), now)
    pending = call.pending
    before = pending.next_deadline()
    pending.on_time(now)
    after = pending.next_deadline()
    if after is not None and after != before:
        server.schedule(after, TimerKind.RPC, request_id)
    server.peer.prune(call)


def apply_send_stream_packets(server: Server, m: mutations.SendStreamPackets) -> None:
    rec = server.lookup(m.sender)
    streams = server.peer.open_streams.get(rec.sid, {})
    state = dict(streams)  # stream id -> open, as the packets go by (checked before commit)
    for p in m.packets:
        if isinstance(p, StreamHeader):
            if p.stream_id in state:
                raise InvalidArgument(
                    f"{m.sender!r} already sent a stream with id {p.stream_id!r}; each stream "
                    "needs a new id (leave stream_id out and roomsim numbers them)"
                )
            check_header_size(
                p, destination_identities=m.destination_identities, participant_identity=m.sender
            )
            state[p.stream_id] = True
        elif not state.get(p.stream_id):
            raise IllegalState(
                f"{m.sender!r} has no open stream {p.stream_id!r} to send "
                f"{type(p).__name__} for; open it with a StreamHeader first "
                "(a closed stream takes nothing more)",
                code="failed_precondition",
            )
        elif isinstance(p, StreamTrailer):
            state[p.stream_id] = False
    # commit
    server.peer.open_streams[rec.sid] = state
    server.peer.next_stream += sum(1 for p in m.packets if isinstance(p, StreamHeader))
    if not rec.permission.can_publish_data:
        return  # dropped by the server (rpc-and-streams §1)
    dest = frozenset(m.destination_identities) if m.destination_identities else None
    server.append(facts.StreamPackets(rec, m.packets, dest, server.now()))
