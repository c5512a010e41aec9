"""The facade's RPC requests: ``perform_rpc``, ``register_rpc_method``,
``unregister_rpc_method`` and ``rpc_method_invocation_response`` (rpc-and-streams §4, §6).

A method the SDK registers becomes a roomsim method whose handler defers
(``roomsim.rpc.DEFER``) and sends the SDK an ``rpc_method_invocation`` event; the SDK's handler
runs in its event loop and answers with ``rpc_method_invocation_response``, which becomes
``respond_rpc``.  An SDK call is a roomsim ``start_rpc``; its ``perform_rpc`` callback is sent
once the call settles (at once, at the callee's answer, or when virtual time passes a
timeout and ``flush`` runs).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from livekit.rtc._proto import ffi_pb2 as _ff
from livekit.rtc._proto import rpc_pb2 as _rpc

from roomsim.errors import RoomsimError
from roomsim.rpc import DEFER, RpcError, RpcErrorCode, RpcInvocation

if TYPE_CHECKING:
    from roomsim._client_rpc import PendingRpc
    from roomsim.livekit._ffi import InProcessFfi, Session

__all__ = ["RpcRequests"]


def _error(err: RpcError) -> _rpc.RpcError:
    out = _rpc.RpcError(code=err.code, message=err.message)
    if err.data is not None:
        out.data = err.data
    return out


class RpcRequests:
    """The RPC request handlers of one in-process FFI."""

    def __init__(self, ffi: InProcessFfi) -> None:
        self.ffi = ffi
        #: SDK calls not yet answered: (async id, the roomsim call)
        self.calls: list[tuple[int, PendingRpc]] = []
        #: invocation id -> (callee session, request id)
        self.invocations: dict[int, tuple[Session, str]] = {}
        self._next_invocation = 1

    def answers(self) -> dict[str, Callable[[Any], _ff.FfiResponse]]:
        return {
            "register_rpc_method": self._register,
            "unregister_rpc_method": self._unregister,
            "perform_rpc": self._perform,
            "rpc_method_invocation_response": self._respond,
        }

    def flush(self) -> None:
        """Send the ``perform_rpc`` callback of every call that has settled."""
        waiting = []
        for aid, call in self.calls:
            if not call.done:
                waiting.append((aid, call))
                continue
            try:
                cb = _rpc.PerformRpcCallback(async_id=aid, payload=call.result())
            except RpcError as err:
                cb = _rpc.PerformRpcCallback(async_id=aid, error=_error(err))
            self.ffi.put(_ff.FfiEvent(perform_rpc=cb))
        self.calls = waiting

    def _register(self, req: _rpc.RegisterRpcMethodRequest) -> _ff.FfiResponse:
        s = self.ffi._session(req.local_participant_handle)
        if s is not None:
            session = s

            def invoke(inv: RpcInvocation) -> object:
                iid = self._next_invocation
                self._next_invocation += 1
                self.invocations[iid] = (session, inv.request_id)
                event = _rpc.RpcMethodInvocationEvent(
                    local_participant_handle=session.participant_handle,
                    invocation_id=iid,
                    method=inv.method,
                    request_id=inv.request_id,
                    caller_identity=inv.caller_identity,
                    payload=inv.payload,
                    response_timeout_ms=round(inv.response_timeout * 1000),
                )
                session.emit(_ff.FfiEvent(rpc_method_invocation=event))
                return DEFER

            # the Rust core replaces a registration silently, as roomsim's Python profile does
            with contextlib.suppress(RoomsimError):
                s.client.register_rpc_method(req.method, invoke)
        return _ff.FfiResponse(register_rpc_method=_rpc.RegisterRpcMethodResponse())

    def _unregister(self, req: _rpc.UnregisterRpcMethodRequest) -> _ff.FfiResponse:
        s = self.ffi._session(req.local_participant_handle)
        if s is not None:
            s.client.unregister_rpc_method(req.method)
        return _ff.FfiResponse(unregister_rpc_method=_rpc.UnregisterRpcMethodResponse())

    def _perform(self, req: _rpc.PerformRpcRequest) -> _ff.FfiResponse:
        aid = self.ffi._async_id()
        s = self.ffi._session(req.local_participant_handle)
        error: RpcError | None = None
        if s is None:
            error = RpcError.built_in(RpcErrorCode.RECIPIENT_DISCONNECTED)
        else:
            try:
                call = s.client.start_rpc(
                    req.destination_identity,
                    req.method,
                    req.payload,
                    response_timeout=(
                        req.response_timeout_ms / 1000
                        if req.HasField("response_timeout_ms")
                        else None
                    ),
                    max_round_trip_latency=(
                        req.max_round_trip_latency_ms / 1000
                        if req.HasField("max_round_trip_latency_ms")
                        else None
                    ),
                )
            except RpcError as err:
                error = err
            except RoomsimError as exc:
                error = RpcError(RpcErrorCode.SEND_FAILED, str(exc)[:256])
            else:
                self.calls.append((aid, call))
        if error is not None:
            self.ffi.put(
                _ff.FfiEvent(perform_rpc=_rpc.PerformRpcCallback(async_id=aid, error=_error(error)))
            )
        self.flush()
        return _ff.FfiResponse(perform_rpc=_rpc.PerformRpcResponse(async_id=aid))

    def _respond(self, req: _rpc.RpcMethodInvocationResponseRequest) -> _ff.FfiResponse:
        found = self.invocations.pop(req.invocation_id, None)
        text = ""
        if found is None:
            text = f"no RPC invocation {req.invocation_id} awaits an answer"
        else:
            session, request_id = found
            try:
                if req.HasField("error"):
                    e = req.error
                    err = RpcError(e.code, e.message, e.data if e.HasField("data") else None)
                    session.client.respond_rpc(request_id, error=err)
                else:
                    session.client.respond_rpc(request_id, req.payload)
            except RoomsimError as exc:
                text = str(exc)
        self.flush()
        resp = _rpc.RpcMethodInvocationResponseResponse()
        if text:
            resp.error = text
        return _ff.FfiResponse(rpc_method_invocation_response=resp)
