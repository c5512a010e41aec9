"""The raise-site rows of the RPC and data-stream verbs (rpc-and-streams §10, §12), appended
to ``roomsim.raise_sites.RAISE_SITES``: (id, where, errors, code, when, note) each.

What LiveKit accepts silently is not a row: a call to an identity not in the room (or hidden,
or the caller itself) fails with ``RpcError`` 1501 at the ack timeout, and a caller or sender
without ``can_publish_data`` is dropped by the server (rpc-and-streams §1), as the SDKs do.
"""

from __future__ import annotations

from typing import Final

from roomsim.errors import (
    IllegalState,
    InvalidArgument,
    InvalidType,
    LimitExceeded,
    RoomsimError,
)

__all__ = ["RPC_ROWS"]

_IA, _FP = "invalid_argument", "failed_precondition"
_Row = tuple[str, str, tuple[type[RoomsimError], ...], str | None, str, str]

RPC_ROWS: Final[tuple[_Row, ...]] = (
    (
        "register_rpc_method.type",
        "`register_rpc_method`, `unregister_rpc_method`, `RegisterRpcMethod`",
        (InvalidType,),
        _IA,
        "the method not a `str`, the handler not callable, `registered` not a `bool`",
        "",
    ),
    (
        "register_rpc_method.again",
        '`register_rpc_method`, `RegisterRpcMethod` (a `sdk="js"` client)',
        (IllegalState,),
        _FP,
        "the method is registered already (JS refuses; Python replaces the handler)",
        "",
    ),
    (
        "perform_rpc.type",
        "`perform_rpc`, `start_rpc`, `PerformRpc`",
        (InvalidType,),
        _IA,
        (
            "destination, method or payload not a `str`; `response_timeout` or "
            "`max_round_trip_latency` not a number"
        ),
        "",
    ),
    (
        "perform_rpc.range",
        "`perform_rpc`, `start_rpc`, `PerformRpc`",
        (InvalidArgument,),
        _IA,
        (
            "`response_timeout` or `max_round_trip_latency` negative, NaN, infinite or over "
            "LiveKit's uint32 milliseconds (about 49.7 days); `max_round_trip_latency` for a "
            '`sdk="js"` caller (JS has none)'
        ),
        "",
    ),
    (
        "perform_rpc.payload",
        "`perform_rpc`, `start_rpc`, `PerformRpc`",
        (),
        None,
        (
            "the payload is over 15 KiB in UTF-8 and the callee is a legacy client "
            "(`client_protocol=0`); nothing is sent"
        ),
        "`roomsim.rpc.RpcError` 1402 (`REQUEST_PAYLOAD_TOO_LARGE`), as the SDK raises it",
    ),
    (
        "perform_rpc.in_handler",
        "`perform_rpc`",
        (IllegalState,),
        _FP,
        "called inside a handler (no call is made: `start_rpc` there)",
        "",
    ),
    (
        "pending_rpc.result",
        "`PendingRpc.result`",
        (IllegalState,),
        _FP,
        "the call has not settled yet",
        "",
    ),
    (
        "respond_rpc.type",
        "`respond_rpc`, `RespondRpc`",
        (InvalidType,),
        _IA,
        (
            "the request id or payload not a `str`, `error` not an `RpcError`, `error_code` "
            "not an `int`"
        ),
        "",
    ),
    (
        "respond_rpc.answer",
        "`respond_rpc`, `RespondRpc`",
        (InvalidArgument,),
        _IA,
        "both a payload and an error, or neither; `error_code` outside LiveKit's uint32",
        "",
    ),
    (
        "respond_rpc.unknown",
        "`respond_rpc`, `RespondRpc`",
        (IllegalState,),
        _FP,
        (
            "the request id is not a call this client's handler deferred and has not answered "
            "(unknown, another client's, answered already, or past a Python callee's deadline)"
        ),
        "",
    ),
    (
        "rpc_error.value",
        "`roomsim.rpc.RpcError(code, message, data)`",
        (InvalidType, InvalidArgument),
        _IA,
        "the code not an `int` or outside uint32, the message or data not a `str`",
        "",
    ),
    (
        "stream_handler.type",
        "`register_text_stream_handler`, `register_byte_stream_handler`",
        (InvalidType,),
        _IA,
        "the topic not a `str`, the handler not callable",
        "",
    ),
    (
        "stream_handler.again",
        "`register_text_stream_handler`, `register_byte_stream_handler`",
        (InvalidArgument,),
        _IA,
        "the topic has a handler of that kind already (both SDKs refuse)",
        "",
    ),
    (
        "send_stream.type",
        (
            "`send_text`, `send_bytes`, `stream_text`, `stream_bytes`, a writer's `write`, "
            "`SendStreamPackets`"
        ),
        (InvalidType,),
        _IA,
        (
            "text not a `str`, data not bytes; topic, name, mime type, stream or reply id not "
            "a `str`; attributes not `str` to `str`; destinations not a sequence of `str`; "
            "packets not a non-empty tuple of stream packets"
        ),
        "",
    ),
    (
        "send_stream.range",
        "`stream_text`, `stream_bytes`, `StreamHeader`",
        (InvalidArgument,),
        _IA,
        "`total_size` negative or over uint64; a header's fields of the other kind",
        "",
    ),
    (
        "send_stream.id",
        "`send_text`, `send_bytes`, `stream_text`, `stream_bytes`, `SendStreamPackets`",
        (InvalidArgument,),
        _IA,
        "the sender used the stream id already",
        "",
    ),
    (
        "send_stream.header_size",
        "`send_text`, `send_bytes`, `stream_text`, `stream_bytes`, `SendStreamPackets`",
        (LimitExceeded,),
        "LIMIT_EXCEEDED",
        "the header packet encodes to over 15,000 bytes (attributes, topic, destinations)",
        "",
    ),
    (
        "send_stream.closed",
        "a writer's `write` and `close`, `SendStreamPackets`",
        (IllegalState,),
        _FP,
        "the stream is closed, or a chunk or trailer names a stream the sender never opened",
        "",
    ),
    (
        "stream_reader.open",
        "a reader's `read_all`",
        (IllegalState,),
        _FP,
        "the stream is still open (iterate the reader to take the chunks so far)",
        "",
    ),
)
