"""RPC rules per SDK: payload limits, answers from handlers, timeouts, methods and pending calls."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any, final

import attrs

from roomsim._validate import check_str as _check_text
from roomsim._validate import describe as _describe
from roomsim.errors import IllegalState, InvalidArgument, InvalidType, broken
from roomsim.rpc._values import (
    _UINT32_MAX,
    CLIENT_PROTOCOL_DATA_STREAM_RPC,
    CLIENT_PROTOCOL_DATA_STREAM_V2,
    DEFAULT_MAX_ROUND_TRIP_LATENCY,
    DEFAULT_RESPONSE_TIMEOUT,
    DEFER,
    MAX_DATA_BYTES,
    MAX_PAYLOAD_BYTES,
    RpcAnswer,
    RpcError,
    RpcErrorCode,
    RpcInvocation,
    _check_sdk,
    payload_size,
    truncate_utf8,
)


def uses_rpc_v2(remote_client_protocol: int) -> bool:
    """Whether RPC to (or from) a client advertising this protocol travels as data streams (§5)."""
    return remote_client_protocol >= CLIENT_PROTOCOL_DATA_STREAM_RPC


def request_payload_error(payload: str, *, remote_client_protocol: int) -> RpcError | None:
    """The caller's size check, before anything is sent: 1402, or ``None`` when it may go (§5).

    Only a legacy callee (protocol 0) has the 15 360-byte limit; current SDKs take any size.
    ``remote_client_protocol`` is what the caller's SDK knows of the destination: pass
    ``CLIENT_PROTOCOL_DEFAULT`` for an identity it does not know (absent, hidden, itself).
    """
    if not uses_rpc_v2(remote_client_protocol) and payload_size(payload) > MAX_PAYLOAD_BYTES:
        return RpcError.built_in(RpcErrorCode.REQUEST_PAYLOAD_TOO_LARGE)
    return None


def response_payload_error(payload: str, *, caller_client_protocol: int) -> RpcError | None:
    """The callee's size check on its answer: 1504 in its place, or ``None`` (§5).

    ``caller_client_protocol`` is what the callee's SDK knows of the caller (0 for a hidden one).
    """
    if not uses_rpc_v2(caller_client_protocol) and payload_size(payload) > MAX_PAYLOAD_BYTES:
        return RpcError.built_in(RpcErrorCode.RESPONSE_PAYLOAD_TOO_LARGE)
    return None


def answer_from_handler(
    outcome: object, *, sdk: str, caller_client_protocol: int = CLIENT_PROTOCOL_DATA_STREAM_V2
) -> RpcAnswer | None:
    """The answer an SDK's callee sends for what its handler did (rpc-and-streams §6).

    ``outcome`` is what the handler returned (a ``str``, or ``None`` for ``""``) or the
    exception it raised.  An ``RpcError`` is passed through as it is (the caller cuts it to the
    wire limits, :meth:`RpcError.as_received`); any other
    exception becomes 1500 with LiveKit's message, and with ``data="Uncaught error: <message>"``
    from a JS callee answering a v1 caller.  An answer too large for a legacy caller becomes
    1504.  :data:`DEFER` gives ``None``: no answer yet.  A handler that returned anything else
    is a programming error: :class:`InvalidType`.

    >>> answer_from_handler(ValueError("boom"), sdk="python")
    RpcAnswer(payload=None, error=RpcError(1500, 'Application error in method handler'))
    """
    which = _check_sdk(sdk)
    if outcome is DEFER:
        return None
    if isinstance(outcome, RpcError):
        return RpcAnswer.fail(outcome)
    if isinstance(outcome, BaseException):
        data = None
        if which == "js" and not uses_rpc_v2(caller_client_protocol):
            data = truncate_utf8(f"Uncaught error: {outcome}", MAX_DATA_BYTES)
        return RpcAnswer.fail(RpcError.built_in(RpcErrorCode.APPLICATION_ERROR, data))
    if outcome is None:
        outcome = ""
    if type(outcome) is not str:
        raise InvalidType(
            f"an RPC handler must return a str (None for '', or DEFER to answer later), returned "
            f"{_describe(outcome)}; serialise it, e.g. json.dumps(value)"
        )
    _check_text(outcome, "an RPC handler's return value")
    too_large = response_payload_error(outcome, caller_client_protocol=caller_client_protocol)
    if too_large is not None:
        return RpcAnswer.fail(too_large)
    return RpcAnswer.ok(outcome)


@final
@attrs.frozen(kw_only=True)
class RpcTimeouts:
    """When a caller gives up, and what its callee is told, for one SDK profile (§4).

    The caller fails with 1501 when no ack arrives ``ack_timeout`` seconds after sending, and
    with 1502 when no response arrives ``response_timeout`` seconds after the ack
    (``response_timer_from_ack``, the Python/Rust caller) or after sending (the JS caller, whose
    two timers run in parallel).  ``handler_timeout`` is the ``response_timeout`` the callee's
    handler receives; a Python callee also enforces it, answering 1502 when it passes.
    """

    ack_timeout: float
    response_timeout: float
    response_timer_from_ack: bool
    handler_timeout: float


def _seconds(value: Any, what: str) -> float:
    if type(value) not in (int, float):
        raise InvalidType(
            f"{what} takes a number of seconds (int or float), got {_describe(value)}"
        )
    try:
        f = float(value)
    except OverflowError:  # an int beyond a float
        f = math.inf
    if not math.isfinite(f) or f < 0:
        raise InvalidArgument(f"{what} must be a finite number of seconds >= 0, got {value!r}")
    if f * 1000 > _UINT32_MAX:  # the request carries it as uint32 milliseconds
        raise InvalidArgument(
            f"{what} must fit LiveKit's uint32 milliseconds (at most {_UINT32_MAX / 1000} s), "
            f"got {value!r}; pass a shorter timeout"
        )
    return f


def rpc_timeouts(
    sdk: str,
    response_timeout: float | None = None,
    max_round_trip_latency: float | None = None,
) -> RpcTimeouts:
    """The timeouts of ``perform_rpc`` on one SDK profile (rpc-and-streams §4).

    Python (on the Rust core): times travel in whole milliseconds; the ack timeout is
    ``max_round_trip_latency`` (7 s); the callee is told ``max(response_timeout - 7 s, 1 s)``.
    JS: the ack timeout is a fixed 7 s (``max_round_trip_latency`` is refused); the callee is
    told ``max(response_timeout, 8 s)``.

    >>> rpc_timeouts("js", response_timeout=2.0)
    RpcTimeouts(ack_timeout=7.0, response_timeout=2.0, response_timer_from_ack=False, \
handler_timeout=8.0)
    """
    which = _check_sdk(sdk)
    rt = (
        DEFAULT_RESPONSE_TIMEOUT
        if response_timeout is None
        else _seconds(response_timeout, "perform_rpc(response_timeout=...)")
    )
    if which == "js":
        if max_round_trip_latency is not None:
            raise InvalidArgument(
                "the JS SDK's performRpc has no max_round_trip_latency (its ack timeout is a "
                "fixed 7 s); leave it out for a client with sdk='js'"
            )
        rt_ms = math.floor(rt * 1000)
        return RpcTimeouts(
            ack_timeout=DEFAULT_MAX_ROUND_TRIP_LATENCY,
            response_timeout=rt_ms / 1000,
            response_timer_from_ack=False,
            handler_timeout=max(rt_ms, 8000) / 1000,
        )
    rtl = (
        DEFAULT_MAX_ROUND_TRIP_LATENCY
        if max_round_trip_latency is None
        else _seconds(max_round_trip_latency, "perform_rpc(max_round_trip_latency=...)")
    )
    # PY sends int(seconds * 1000) milliseconds; RS subtracts, saturating at 0, then floors at 1 s
    rt_ms = int(rt * 1000)
    rtl_ms = int(rtl * 1000)
    handler_ms = max(max(rt_ms - rtl_ms, 0), 1000)
    return RpcTimeouts(
        ack_timeout=rtl_ms / 1000,
        response_timeout=rt_ms / 1000,
        response_timer_from_ack=True,
        handler_timeout=handler_ms / 1000,
    )


#: A method handler: takes the invocation, returns the response (``None`` for ``""``) or raises.
RpcHandler = Callable[[RpcInvocation], object]


class RpcMethods:
    """One client's registered RPC methods, with its SDK's rule for a second registration (§6).

    The Python SDK replaces the handler silently; the JS SDK refuses (:class:`IllegalState`,
    with JS's message).  Unregistering an unknown method does nothing in both.
    """

    __slots__ = ("_handlers", "_sdk")

    def __init__(self, sdk: str = "python") -> None:
        self._sdk = _check_sdk(sdk)
        self._handlers: dict[str, RpcHandler] = {}

    def register(self, method: str, handler: RpcHandler) -> None:
        _check_text(method, "register_rpc_method(method=...)")
        if not callable(handler):
            raise InvalidType(
                f"register_rpc_method({method!r}, handler) takes a callable that receives an "
                f"RpcInvocation, got {_describe(handler)}"
            )
        if self._sdk == "js" and method in self._handlers:
            raise IllegalState(
                f"RPC handler already registered for method {method}, unregisterRpcMethod "
                "before trying to register again"
            )
        self._handlers[method] = handler

    def unregister(self, method: str) -> None:
        _check_text(method, "unregister_rpc_method(method=...)")
        self._handlers.pop(method, None)

    def get(self, method: str) -> RpcHandler | None:
        """The handler for ``method``, or ``None`` (the caller then gets 1400)."""
        return self._handlers.get(method)

    def __contains__(self, method: object) -> bool:
        return method in self._handlers

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(self._handlers))

    def __len__(self) -> int:
        return len(self._handlers)


def callee_deadline(sdk: str, invoked_at: float, invocation: RpcInvocation) -> float | None:
    """When a callee's SDK gives up on its own handler and answers 1502 (§4), or ``None``.

    The Python SDK cancels the handler ``invocation.response_timeout`` seconds after invoking
    it; the JS (and plain Rust) callee never does.
    """
    if _check_sdk(sdk) == "js":
        return None
    return invoked_at + invocation.response_timeout


class PendingCall:
    """One ``perform_rpc`` seen from the caller, on the virtual clock (rpc-and-streams §4).

    Pure bookkeeping for the core: it is told when the ack and the answer arrive, when time
    passes (:meth:`on_time`, at :meth:`next_deadline`), and when either side leaves; it
    settles once, with the response payload or an :class:`RpcError` as the caller's SDK
    raises it (:meth:`RpcError.as_received`).

    - Python (Rust core) caller: 1501 if no ack within ``ack_timeout`` of the call; then 1502 if
      no answer within ``response_timeout`` of the ack.  An answer is read only after the ack.
      The callee leaving changes nothing (the timers decide).
    - JS caller: the ack timer and the response timer both run from the call; the first to
      pass decides (the ack timer wins a tie: it was set first).  The callee leaving fails the
      call at once with 1503.
    - Either: the caller's own session ending fails it with 1503.

    >>> call = PendingCall(request_id="RPC_1", sdk="python", timeouts=rpc_timeouts("python"),
    ...                    started_at=0.0)
    >>> call.next_deadline()
    7.0
    >>> call.on_ack(0.0)
    >>> call.next_deadline()
    15.0
    >>> call.on_answer(RpcAnswer.ok("pong"), now=0.0)
    True
    >>> call.result()
    'pong'
    """

    __slots__ = (
        "_acked_at",
        "_held",
        "_outcome",
        "_sdk",
        "_settled_at",
        "request_id",
        "started_at",
        "timeouts",
    )

    def __init__(
        self, *, request_id: str, sdk: str, timeouts: RpcTimeouts, started_at: float
    ) -> None:
        self._sdk = _check_sdk(sdk)
        _check_text(request_id, "PendingCall(request_id=...)")
        if not isinstance(timeouts, RpcTimeouts):
            raise InvalidType(
                f"PendingCall(timeouts=...) takes RpcTimeouts (from rpc_timeouts), got "
                f"{_describe(timeouts)}"
            )
        self.request_id = request_id
        self.timeouts = timeouts
        self.started_at = _seconds(started_at, "PendingCall(started_at=...)")
        self._acked_at: float | None = None
        self._held: RpcAnswer | None = None
        self._outcome: str | RpcError | None = None
        self._settled_at: float | None = None

    @property
    def sdk(self) -> str:
        """The caller's SDK profile."""
        return self._sdk

    @property
    def settled(self) -> bool:
        return self._outcome is not None

    @property
    def acked_at(self) -> float | None:
        return self._acked_at

    @property
    def settled_at(self) -> float | None:
        """The virtual time the call settled, or ``None`` while pending."""
        return self._settled_at

    def _settle(self, now: float, outcome: str | RpcError) -> None:
        if self._outcome is not None:
            broken("an RPC call settles twice", request_id=self.request_id)
        if isinstance(outcome, RpcError):
            outcome = outcome.as_received(self._sdk)
        self._outcome = outcome
        self._settled_at = now

    def _ack_deadline(self) -> float:
        return self.started_at + self.timeouts.ack_timeout

    def _response_deadline(self) -> float | None:
        if not self.timeouts.response_timer_from_ack:
            return self.started_at + self.timeouts.response_timeout
        if self._acked_at is None:
            return None
        return self._acked_at + self.timeouts.response_timeout

    def next_deadline(self) -> float | None:
        """The next virtual time at which :meth:`on_time` may settle the call, or ``None``."""
        if self.settled:
            return None
        times = []
        if self._acked_at is None:
            times.append(self._ack_deadline())
        response = self._response_deadline()
        if response is not None:
            times.append(response)
        return min(times)

    def on_ack(self, now: float) -> None:
        """The callee's ack arrived (ignored once settled, or if already acked)."""
        if self.settled or self._acked_at is not None:
            return
        self._acked_at = now
        if self._held is not None:
            held, self._held = self._held, None
            self._take(held, now)

    def on_answer(self, answer: RpcAnswer, now: float) -> bool:
        """The callee's answer arrived at ``now``; ``False`` when it is too late and dropped.

        A Python caller that has no ack yet keeps the answer until the ack comes (the Rust
        core reads the response only after the ack).
        """
        if not isinstance(answer, RpcAnswer):
            raise InvalidType(f"on_answer takes an RpcAnswer, got {_describe(answer)}")
        if self.settled:
            return False
        if self.timeouts.response_timer_from_ack and self._acked_at is None:
            self._held = answer
            return True
        self._take(answer, now)
        return True

    def _take(self, answer: RpcAnswer, now: float) -> None:
        if answer.error is not None:
            self._settle(now, answer.error)
        else:
            assert answer.payload is not None
            self._settle(now, answer.payload)

    def on_time(self, now: float) -> None:
        """Time is ``now``: settle with 1501 or 1502 if a deadline has passed."""
        if self.settled:
            return
        ack = self._ack_deadline() if self._acked_at is None else None
        response = self._response_deadline()
        if ack is not None and ack <= now and (response is None or ack <= response):
            self._settle(ack, RpcError.built_in(RpcErrorCode.CONNECTION_TIMEOUT))
        elif response is not None and response <= now:
            self._settle(response, RpcError.built_in(RpcErrorCode.RESPONSE_TIMEOUT))

    def on_callee_left(self, now: float) -> None:
        """The callee left the room: a JS caller fails at once with 1503 (§4)."""
        if not self.settled and self._sdk == "js":
            self._settle(now, RpcError.built_in(RpcErrorCode.RECIPIENT_DISCONNECTED))

    def on_caller_left(self, now: float) -> None:
        """The caller's own session ended: 1503 (the pending call is dropped, §4)."""
        if not self.settled:
            self._settle(now, RpcError.built_in(RpcErrorCode.RECIPIENT_DISCONNECTED))

    def result(self) -> str:
        """The response payload, or raise the call's :class:`RpcError`."""
        if self._outcome is None:
            raise IllegalState(
                f"RPC call {self.request_id!r} is still pending (next deadline at "
                f"t={self.next_deadline()}); let virtual time pass or answer it first"
            )
        if isinstance(self._outcome, RpcError):
            raise self._outcome
        return self._outcome

    def state(self) -> tuple[float | None, RpcAnswer | None, str | RpcError | None, float | None]:
        """(acked at, held answer, outcome, settled at): what a snapshot keeps of the call."""
        return self._acked_at, self._held, self._outcome, self._settled_at

    @classmethod
    def restored(
        cls,
        *,
        request_id: str,
        sdk: str,
        timeouts: RpcTimeouts,
        started_at: float,
        state: tuple[float | None, RpcAnswer | None, str | RpcError | None, float | None],
    ) -> PendingCall:
        """The call :meth:`state` describes (a fork's)."""
        call = cls(request_id=request_id, sdk=sdk, timeouts=timeouts, started_at=started_at)
        call._acked_at, call._held, call._outcome, call._settled_at = state
        return call

    def __repr__(self) -> str:
        state = "pending" if self._outcome is None else f"settled={self._outcome!r}"
        return f"<PendingCall {self.request_id!r} {self._sdk} {state}>"
