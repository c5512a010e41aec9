"""LiveKit's RPC as values: the error, the invocation a handler gets, limits and timeouts.

Everything here is pure and independent of the room: the rules come from LiveKit's SDKs, as
recorded in ``docs/livekit/rpc-and-streams.md`` (cited below as "rpc-and-streams §N").

>>> err = RpcError.built_in(RpcError.ErrorCode.UNSUPPORTED_METHOD)
>>> err.code, err.message
(1400, 'Method not supported at destination')
>>> request_payload_error("x" * 15_361, remote_client_protocol=CLIENT_PROTOCOL_DEFAULT).code
1402
>>> request_payload_error("x" * 15_361, remote_client_protocol=CLIENT_PROTOCOL_DATA_STREAM_V2)
>>> rpc_timeouts("python").handler_timeout
8.0
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Final, Literal, final

import attrs

from roomsim.errors import IllegalState, InvalidArgument, InvalidType

__all__ = [
    "RpcErrorCode",
    "RpcError",
    "RpcInvocation",
    "RpcAnswer",
    "RpcTimeouts",
    "RpcHandler",
    "RpcMethods",
    "DEFER",
    "PendingCall",
    "callee_deadline",
    "MAX_PAYLOAD_BYTES",
    "MAX_MESSAGE_BYTES",
    "MAX_DATA_BYTES",
    "CLIENT_PROTOCOL_DEFAULT",
    "CLIENT_PROTOCOL_DATA_STREAM_RPC",
    "CLIENT_PROTOCOL_DATA_STREAM_V2",
    "RPC_VERSION_V1",
    "RPC_VERSION_V2",
    "RPC_REQUEST_TOPIC",
    "RPC_RESPONSE_TOPIC",
    "INTERNAL_TOPICS",
    "DEFAULT_RESPONSE_TIMEOUT",
    "DEFAULT_MAX_ROUND_TRIP_LATENCY",
    "SDKS",
    "payload_size",
    "truncate_utf8",
    "uses_rpc_v2",
    "request_payload_error",
    "response_payload_error",
    "answer_from_handler",
    "rpc_timeouts",
]

#: The RPC v1 payload limit, in UTF-8 bytes, inclusive (rpc-and-streams §5).
MAX_PAYLOAD_BYTES: Final = 15_360
#: An error's message is cut to this many UTF-8 bytes on the wire (rpc-and-streams §3).
MAX_MESSAGE_BYTES: Final = 256
#: An error's data is cut to this many UTF-8 bytes on the wire (rpc-and-streams §3).
MAX_DATA_BYTES: Final = 15_360

#: A client that speaks RPC v1 only (data packets; the 15 KiB limit applies).
CLIENT_PROTOCOL_DEFAULT: Final = 0
#: A client that takes RPC requests and responses as data streams (no payload limit).
CLIENT_PROTOCOL_DATA_STREAM_RPC: Final = 1
#: "Data streams v2" (single-packet streams); what both current SDKs advertise.
CLIENT_PROTOCOL_DATA_STREAM_V2: Final = 2

RPC_VERSION_V1: Final = 1
RPC_VERSION_V2: Final = 2
#: The internal topics RPC v2 travels on; they never reach user stream handlers (§5).
RPC_REQUEST_TOPIC: Final = "lk.rpc_request"
RPC_RESPONSE_TOPIC: Final = "lk.rpc_response"
INTERNAL_TOPICS: Final = (RPC_REQUEST_TOPIC, RPC_RESPONSE_TOPIC)

#: ``perform_rpc``'s default ``response_timeout``, in seconds, in both SDKs (§4).
DEFAULT_RESPONSE_TIMEOUT: Final = 15.0
#: How long a caller waits for the ack, in seconds (§4).
DEFAULT_MAX_ROUND_TRIP_LATENCY: Final = 7.0

#: The SDK profiles whose RPC rules differ (§4, §6).
SDKS: Final = ("python", "js")


class RpcErrorCode(enum.IntEnum):
    """LiveKit's built-in RPC error codes (rpc-and-streams §3); the names are the SDKs'."""

    #: the handler raised something other than an ``RpcError``
    APPLICATION_ERROR = 1500
    #: no ack arrived within the round-trip allowance
    CONNECTION_TIMEOUT = 1501
    #: no response arrived within ``response_timeout``
    RESPONSE_TIMEOUT = 1502
    #: the callee left (JS caller) or the caller's own session ended
    RECIPIENT_DISCONNECTED = 1503
    #: an answer over 15 KiB to a legacy (v1) caller
    RESPONSE_PAYLOAD_TOO_LARGE = 1504
    #: publishing the request failed
    SEND_FAILED = 1505
    #: the callee has no handler for the method
    UNSUPPORTED_METHOD = 1400
    #: defined by the SDKs, raised by none of them (the server drops such requests)
    RECIPIENT_NOT_FOUND = 1401
    #: a request over 15 KiB to a legacy (v1) callee
    REQUEST_PAYLOAD_TOO_LARGE = 1402
    #: the server is older than 1.8.0
    UNSUPPORTED_SERVER = 1403
    #: the request's version is one the callee does not speak
    UNSUPPORTED_VERSION = 1404


_MESSAGES: Final[Mapping[RpcErrorCode, str]] = MappingProxyType(
    {
        RpcErrorCode.APPLICATION_ERROR: "Application error in method handler",
        RpcErrorCode.CONNECTION_TIMEOUT: "Connection timeout",
        RpcErrorCode.RESPONSE_TIMEOUT: "Response timeout",
        RpcErrorCode.RECIPIENT_DISCONNECTED: "Recipient disconnected",
        RpcErrorCode.RESPONSE_PAYLOAD_TOO_LARGE: "Response payload too large",
        RpcErrorCode.SEND_FAILED: "Failed to send",
        RpcErrorCode.UNSUPPORTED_METHOD: "Method not supported at destination",
        RpcErrorCode.RECIPIENT_NOT_FOUND: "Recipient not found",
        RpcErrorCode.REQUEST_PAYLOAD_TOO_LARGE: "Request payload too large",
        RpcErrorCode.UNSUPPORTED_SERVER: "RPC not supported by server",
        RpcErrorCode.UNSUPPORTED_VERSION: "Unsupported RPC version",
    }
)

_UINT32_MAX: Final = 2**32 - 1


def _describe(value: Any) -> str:
    return f"{value!r} (type {type(value).__name__})"


def _check_text(value: Any, what: str) -> str:
    if type(value) is not str:
        raise InvalidType(f"{what} must be a str, got {_describe(value)}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise InvalidArgument(
                f"{what} is not valid UTF-8 (a lone surrogate {value[e.start]!r} at index "
                f"{e.start}); LiveKit strings are UTF-8: pass text without unpaired surrogates"
            ) from None
    return value


def payload_size(payload: str) -> int:
    """The size LiveKit measures for a payload: its UTF-8 bytes."""
    return len(payload) if payload.isascii() else len(payload.encode("utf-8"))


def truncate_utf8(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes, on a character boundary (§3).

    >>> truncate_utf8("héllo", 2)
    'h'
    """
    if payload_size(text) <= max_bytes:
        return text
    cut = text.encode("utf-8")[:max_bytes]
    return cut.decode("utf-8", "ignore")


class RpcError(Exception):
    """An RPC failure, as LiveKit's SDKs raise it and as handlers raise it to answer with one.

    ``code`` is an int (``RpcError.ErrorCode`` names LiveKit's built-in ones, §3), ``message`` a
    readable text and ``data`` an optional string (JSON recommended).  Codes 1001-1999 are
    LiveKit's; pick your own outside that range.  Two errors with the same type, code, message
    and data are equal, so tests can compare them.

    >>> RpcError(42, "out of coffee", data='{"left": 0}')
    RpcError(42, 'out of coffee', data='{"left": 0}')
    """

    ErrorCode: ClassVar[type[RpcErrorCode]] = RpcErrorCode
    #: the same enum under a shorter name
    Code: ClassVar[type[RpcErrorCode]] = RpcErrorCode
    #: the built-in message for each built-in code
    ErrorMessage: ClassVar[Mapping[RpcErrorCode, str]] = _MESSAGES

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        if type(code) is bool or not isinstance(code, int):
            raise InvalidType(
                f"RpcError(code=...) must be an int (an RpcError.ErrorCode or your own code), "
                f"got {_describe(code)}"
            )
        if not 0 <= code <= _UINT32_MAX:
            raise InvalidArgument(
                f"RpcError(code=...) must fit LiveKit's uint32 field (0..{_UINT32_MAX}), "
                f"got {code}; codes 1001-1999 are LiveKit's, pick another"
            )
        _check_text(message, "RpcError(message=...)")
        if data is not None:
            _check_text(data, "RpcError(data=...)")
        super().__init__(message)
        self._code = int(code)
        self._message = message
        self._data = data

    @property
    def code(self) -> int:
        """The error code; built-in codes compare equal to ``RpcError.ErrorCode`` members."""
        return self._code

    @property
    def message(self) -> str:
        """A readable message."""
        return self._message

    @property
    def data(self) -> str | None:
        """Optional additional data (JSON recommended)."""
        return self._data

    @classmethod
    def built_in(cls, code: RpcErrorCode, data: str | None = None) -> RpcError:
        """The built-in error for ``code``, with LiveKit's message."""
        if not isinstance(code, RpcErrorCode):
            raise InvalidType(
                f"RpcError.built_in(code=...) takes an RpcError.ErrorCode, got {_describe(code)}"
            )
        return cls(code, _MESSAGES[code], data)

    def as_received(self, sdk: str) -> RpcError:
        """This error as a caller on ``sdk`` receives it (rpc-and-streams §3).

        Both SDKs cut the message to 256 UTF-8 bytes and the data to 15 360 bytes when they
        rebuild a received error.  The Python SDK then shows absent data as ``""`` (its FFI's
        optional field), the JS SDK shows empty data as absent (``None``).  Built-in errors a
        caller raises itself (timeouts, size checks) come the same way.

        >>> RpcError.built_in(RpcError.ErrorCode.CONNECTION_TIMEOUT).as_received("python").data
        ''
        """
        which = _check_sdk(sdk)
        message = truncate_utf8(self._message, MAX_MESSAGE_BYTES)
        data = None if self._data is None else truncate_utf8(self._data, MAX_DATA_BYTES)
        if which == "python" and data is None:
            data = ""
        elif which == "js" and data == "":
            data = None
        if message == self._message and data == self._data:
            return self
        return RpcError(self._code, message, data)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, RpcError)
        return (self._code, self._message, self._data) == (other._code, other._message, other._data)

    def __hash__(self) -> int:
        return hash((type(self), self._code, self._message, self._data))

    def __repr__(self) -> str:
        tail = "" if self._data is None else f", data={self._data!r}"
        return f"{type(self).__name__}({self._code}, {self._message!r}{tail})"

    def __str__(self) -> str:
        return self._message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._code, self._message, self._data))


def _check_identity(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _check_text(value, f"RpcInvocation.{attribute.name}")


def _check_timeout(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not float:
        raise InvalidType(
            f"RpcInvocation.{attribute.name} is seconds as a float, got {_describe(value)}"
        )
    if not math.isfinite(value) or value < 0:
        raise InvalidArgument(
            f"RpcInvocation.{attribute.name} must be a finite number of seconds >= 0, got {value!r}"
        )


@final
@attrs.frozen(kw_only=True)
class RpcInvocation:
    """What a method handler receives (PY ``RpcInvocationData``; rpc-and-streams §6).

    ``response_timeout`` is what the caller's SDK told the callee, in seconds: with a Python
    caller, the caller's timeout less the 7 s round-trip allowance (at least 1 s); with a JS
    caller, at least 8 s (§4).  ``caller_identity`` is ``""`` when the caller is hidden (§1).

    >>> call = RpcInvocation(request_id="RPC_1", caller_identity="alice", payload="{}",
    ...                      response_timeout=8.0, method="get_state")
    >>> call.caller
    'alice'
    """

    request_id: str = attrs.field(validator=_check_identity)
    caller_identity: str = attrs.field(validator=_check_identity)
    payload: str = attrs.field(validator=_check_identity)
    response_timeout: float = attrs.field(validator=_check_timeout)
    method: str = attrs.field(validator=_check_identity)

    @property
    def caller(self) -> str:
        """The caller's identity (the same as ``caller_identity``)."""
        return self.caller_identity


@final
class _Defer:
    """The type of :data:`DEFER`; it has one instance."""

    __slots__ = ()
    _instance: ClassVar[_Defer | None] = None

    def __new__(cls) -> _Defer:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DEFER"

    def __reduce__(self) -> str:
        return "DEFER"


#: What a handler returns to answer later (the answer is sent by a separate call, on the
#: virtual clock); the SDK's equivalent is a handler still awaiting.
DEFER: Final = _Defer()


def _check_answer(inst: RpcAnswer, attribute: attrs.Attribute[Any], value: Any) -> None:
    if (inst.payload is None) == (inst.error is None):
        raise InvalidArgument(
            "an RpcAnswer holds exactly one of payload and error; build it with "
            "RpcAnswer.ok(payload) or RpcAnswer.fail(error)"
        )


@final
@attrs.frozen(kw_only=True)
class RpcAnswer:
    """The callee's answer to one request: a payload or an error (the ``RpcResponse`` packet)."""

    payload: str | None = None
    error: RpcError | None = attrs.field(default=None, validator=_check_answer)

    @classmethod
    def ok(cls, payload: str) -> RpcAnswer:
        return cls(payload=_check_text(payload, "RpcAnswer.ok(payload)"))

    @classmethod
    def fail(cls, error: RpcError) -> RpcAnswer:
        if not isinstance(error, RpcError):
            raise InvalidType(f"RpcAnswer.fail(error) takes an RpcError, got {_describe(error)}")
        return cls(error=error)


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


def _check_sdk(sdk: Any) -> Literal["python", "js"]:
    if sdk == "python":
        return "python"
    if sdk == "js":
        return "js"
    raise InvalidArgument(f"sdk must be one of {SDKS}, got {sdk!r}")


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
    f = float(value)
    if not math.isfinite(f) or f < 0:
        raise InvalidArgument(f"{what} must be a finite number of seconds >= 0, got {value!r}")
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

    def __repr__(self) -> str:
        state = "pending" if self._outcome is None else f"settled={self._outcome!r}"
        return f"<PendingCall {self.request_id!r} {self._sdk} {state}>"
