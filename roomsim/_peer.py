"""RPC and data streams as the room holds them: calls in flight, registered method names, open
streams and each session's client protocol (rpc-and-streams §1, §4, §5).

Both are protocols the SDKs run over data packets; the server only routes them.  roomsim keeps
the caller's side of each call (a :class:`roomsim.rpc.PendingCall`) here, so a call settles on
the virtual clock whether or not anyone reads the caller's events.  The appliers and the timer
are in ``_apply/peer``; a callee's handler runs in dispatch (``_client_rpc``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from roomsim.errors import broken
from roomsim.rpc import PendingCall
from roomsim.snapshot import RoomSnapshot, RpcCallSnapshot

__all__ = ["Call", "PeerState", "sdk_of"]


def sdk_of(session: Any) -> str:
    """The SDK profile of a session's client (``Client.sdk``; "python" if it has none)."""
    sdk = getattr(session, "sdk", "python")
    return sdk if sdk in ("python", "js") else "python"


class Call:
    """One RPC in flight: the caller's ``pending`` call and the callee's side of it."""

    __slots__ = (
        "answered",
        "callee_sid",
        "caller_protocol",
        "caller_sid",
        "deadline",
        "invoked",
        "pending",
        "reply",
    )

    def __init__(self, pending: PendingCall, caller_sid: str, callee_sid: str | None) -> None:
        self.pending = pending
        self.caller_sid = caller_sid
        self.callee_sid = callee_sid
        #: the callee's handler was given the request (its answer is awaited)
        self.invoked = False
        #: the callee has answered (or can no longer answer)
        self.answered = False
        #: whether the callee's answer can reach the caller (callee may publish data, caller
        #: not hidden: an answer to identity "" reaches nobody, rpc-and-streams §1)
        self.reply = False
        #: a Python callee's own deadline (it answers 1502 then), or None
        self.deadline: float | None = None
        #: what the callee's SDK knows of the caller's protocol (0 for a hidden caller)
        self.caller_protocol = 0

    @property
    def request_id(self) -> str:
        return self.pending.request_id

    def done(self) -> bool:
        return self.pending.settled and (self.answered or not self.invoked)

    def snapshot(self) -> RpcCallSnapshot:
        p = self.pending
        acked_at, held, outcome, settled_at = p.state()
        return RpcCallSnapshot(
            request_id=p.request_id,
            sdk=p.sdk,
            timeouts=p.timeouts,
            started_at=p.started_at,
            acked_at=acked_at,
            held=held,
            outcome=outcome,
            settled_at=settled_at,
            caller_sid=self.caller_sid,
            callee_sid=self.callee_sid,
            invoked=self.invoked,
            answered=self.answered,
            reply=self.reply,
            deadline=self.deadline,
            caller_protocol=self.caller_protocol,
        )

    @classmethod
    def restored(cls, s: RpcCallSnapshot) -> Call:
        pending = PendingCall.restored(
            request_id=s.request_id,
            sdk=s.sdk,
            timeouts=s.timeouts,
            started_at=s.started_at,
            state=(s.acked_at, s.held, s.outcome, s.settled_at),
        )
        call = cls(pending, s.caller_sid, s.callee_sid)
        call.invoked, call.answered, call.reply = s.invoked, s.answered, s.reply
        call.deadline, call.caller_protocol = s.deadline, s.caller_protocol
        return call


class PeerState:
    """A room's RPC and stream bookkeeping (one per ``Server``)."""

    __slots__ = ("calls", "methods", "next_request", "next_stream", "open_streams", "protocols")

    def __init__(self) -> None:
        self.next_request = 1
        self.next_stream = 1
        #: request id -> the call, while either side still waits
        self.calls: dict[str, Call] = {}
        #: session sid -> its registered RPC method names
        self.methods: dict[str, set[str]] = {}
        #: session sid -> the client protocol its SDK advertises
        self.protocols: dict[str, int] = {}
        #: session sid -> the ids of the streams it has open; every id it ever used
        self.open_streams: dict[str, dict[str, bool]] = {}

    def snapshot_fields(self) -> dict[str, Any]:
        """The ``RoomSnapshot`` fields of this state (in request order, sids sorted)."""
        return {
            "rpc_calls": tuple(c.snapshot() for c in self.calls.values()),
            "rpc_methods": tuple(
                (sid, tuple(sorted(n))) for sid, n in sorted(self.methods.items())
            ),
            "client_protocols": tuple(sorted(self.protocols.items())),
            "streams": tuple(
                (sid, tuple(s.items())) for sid, s in sorted(self.open_streams.items())
            ),
            "next_request_number": self.next_request,
            "next_stream_number": self.next_stream,
        }

    def restore(self, snap: RoomSnapshot) -> None:
        """Take the state ``snap`` describes (a fork's)."""
        self.calls = {c.request_id: Call.restored(c) for c in snap.rpc_calls}
        self.methods = {sid: set(names) for sid, names in snap.rpc_methods}
        self.protocols = dict(snap.client_protocols)
        self.open_streams = {sid: dict(ids) for sid, ids in snap.streams}
        self.next_request = snap.next_request_number
        self.next_stream = snap.next_stream_number

    def check(self, timers: Iterable[tuple[float, int, Any, Any]], live: Collection[str]) -> None:
        """Raise ``InternalError`` unless each call in flight ends exactly once: a pending call
        has a live caller and a timer at or before its next deadline, a Python callee's own
        deadline has its timer, and a finished call is not kept (``live``: current sids)."""
        due: dict[Any, float] = {}
        for when, _order, kind, arg in timers:
            if kind.value == "rpc":
                due[arg] = min(when, due.get(arg, when))
        for request_id, call in self.calls.items():
            p = call.pending
            if call.request_id != request_id or call.done():
                broken("a finished or misfiled RPC call is kept", request_id=request_id)
            if p.settled != (p.settled_at is not None):
                broken("an RPC call's outcome and settle time disagree", request_id=request_id)
            deadline = p.next_deadline()
            if not p.settled and (
                call.caller_sid not in live
                or deadline is None
                or due.get(request_id, deadline + 1) > deadline
            ):
                broken("a pending RPC call can never end", request_id=request_id)
            own = call.deadline if call.invoked and not call.answered else None
            if own is not None and due.get(request_id, own + 1) > own:
                broken("a Python callee's deadline has no timer", request_id=request_id)

    def protocol(self, sid: str) -> int:
        return self.protocols.get(sid, 0)

    def session_ended(self, sid: str, now: float) -> None:
        """A session left: its calls end (1503 for a caller; a JS caller's callee left: 1503),
        its methods and open streams go."""
        for call in tuple(self.calls.values()):
            if call.caller_sid == sid:
                call.pending.on_caller_left(now)
            if call.callee_sid == sid:
                call.pending.on_callee_left(now)
                call.answered = True
            self.prune(call)
        self.methods.pop(sid, None)
        self.open_streams.pop(sid, None)
        self.protocols.pop(sid, None)

    def prune(self, call: Call) -> None:
        if call.done():
            self.calls.pop(call.request_id, None)
