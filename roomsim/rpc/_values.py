"""RPC values: error codes and messages, RpcError, invocations, answers."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Final, Literal, final

import attrs

from roomsim._validate import check_str as _check_text
from roomsim._validate import describe as _describe
from roomsim.errors import InvalidArgument, InvalidType

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


def _check_sdk(sdk: Any) -> Literal["python", "js"]:
    if sdk == "python":
        return "python"
    if sdk == "js":
        return "js"
    raise InvalidArgument(f"sdk must be one of {SDKS}, got {sdk!r}")
