# mypy: disable-error-code="arg-type, call-overload, dict-item, func-returns-value"
# (the cases pass wrong types on purpose)
"""The raise-site cases of the RPC and data-stream verbs (``roomsim._raise_sites_rpc``), as
``test_raise_sites.Case`` arguments: (id, label, trigger, error, code, fix, setup)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from roomsim import IllegalState, InvalidArgument, InvalidType, LimitExceeded
from roomsim import mutations as M
from roomsim.rpc import DEFER, RpcError, RpcInvocation
from roomsim.streams import StreamChunk, StreamTrailer, text_header
from tests.reliability._world import World

__all__ = ["RPC_CASES", "RPC_SPECIAL_IDS"]

IA, FP = "invalid_argument", "failed_precondition"
#: tested on their own (``test_raise_sites_rpc``)
RPC_SPECIAL_IDS = {"perform_rpc.in_handler"}


def _answer(inv: RpcInvocation) -> str:
    return "ok"


def _reader(reader: Any, identity: str) -> None:
    pass


def _deferred(w: World) -> None:
    """bob defers ``slow``; alice's call RPC_1 awaits bob's answer."""
    w.bob.register_rpc_method("slow", lambda inv: DEFER)
    _hold(w, w.alice.start_rpc("bob", "slow", "hi"))


def _js(w: World) -> None:
    """bob leaves (the room is full); ``js`` (a JS client) registers ``m``."""
    w.bob.disconnect()
    w.room.connect("js", sdk="js").register_rpc_method("m", _answer)


def _legacy(w: World) -> None:
    w.bob.disconnect()
    w.room.connect("old", client_protocol=0)


def _text_handler(w: World) -> None:
    w.bob.register_text_stream_handler("t", _reader)


def _open_stream(w: World) -> None:
    w.alice.send_text("x", stream_id="S1")


def _hold(w: World, value: object) -> None:
    """Keep what a setup made (a writer, a reader) for the trigger."""
    setattr(w, "held", value)  # noqa: B010


def _held(w: World) -> Any:
    return getattr(w, "held")  # noqa: B009


def _writer(w: World) -> None:
    _hold(w, w.alice.stream_text(stream_id="W1"))


def _closed_writer(w: World) -> None:
    _writer(w)
    _held(w).close()


def _open_reader(w: World) -> None:
    readers: list[Any] = []
    w.bob.register_text_stream_handler("t", lambda r, who: readers.append(r))
    w.alice.stream_text(topic="t", stream_id="W1").write("x")
    _hold(w, readers[0])


_T = Callable[[World], object]
_Case = tuple[str, str, _T, type[BaseException], "str | None", "str | None", "_T | None"]

_REQUEST = "RPC_1"

RPC_CASES: list[_Case] = [
    # RPC methods
    (
        "register_rpc_method.type",
        "method",
        lambda w: w.alice.register_rpc_method(1, _answer),
        InvalidType,
        IA,
        "must be a str",
        None,
    ),
    (
        "register_rpc_method.type",
        "handler",
        lambda w: w.alice.register_rpc_method("m", 3),
        InvalidType,
        IA,
        "takes a callable",
        None,
    ),
    (
        "register_rpc_method.type",
        "unregister",
        lambda w: w.alice.unregister_rpc_method(None),
        InvalidType,
        IA,
        "must be a str",
        None,
    ),
    (
        "register_rpc_method.type",
        "mutation",
        lambda w: w.room.apply(M.RegisterRpcMethod(identity="alice", method="m", registered=1)),
        InvalidType,
        IA,
        "must be a bool",
        None,
    ),
    (
        "register_rpc_method.again",
        "js",
        lambda w: w.room.clients["js"].register_rpc_method("m", _answer),
        IllegalState,
        FP,
        "unregisterRpcMethod before",
        _js,
    ),
    (
        "register_rpc_method.again",
        "mutation",
        lambda w: w.room.apply(M.RegisterRpcMethod(identity="js", method="m")),
        IllegalState,
        FP,
        "unregisterRpcMethod before",
        _js,
    ),
    # calls
    (
        "perform_rpc.type",
        "destination",
        lambda w: w.alice.start_rpc(1, "m"),
        InvalidType,
        IA,
        "must be a str",
        None,
    ),
    (
        "perform_rpc.type",
        "method",
        lambda w: w.alice.perform_rpc("bob", None),
        InvalidType,
        IA,
        "must be a str",
        None,
    ),
    (
        "perform_rpc.type",
        "payload",
        lambda w: w.alice.start_rpc("bob", "m", b"x"),
        InvalidType,
        IA,
        "must be a str",
        None,
    ),
    (
        "perform_rpc.type",
        "timeout",
        lambda w: w.alice.start_rpc("bob", "m", response_timeout="1"),
        InvalidType,
        IA,
        "takes a number of seconds",
        None,
    ),
    (
        "perform_rpc.range",
        "negative",
        lambda w: w.alice.start_rpc("bob", "m", response_timeout=-1),
        InvalidArgument,
        IA,
        "finite number of seconds >= 0",
        None,
    ),
    (
        "perform_rpc.range",
        "nan",
        lambda w: w.alice.perform_rpc("bob", "m", max_round_trip_latency=float("nan")),
        InvalidArgument,
        IA,
        "finite number of seconds >= 0",
        None,
    ),
    (
        "perform_rpc.range",
        "uint32-ms",
        lambda w: w.alice.start_rpc("bob", "m", max_round_trip_latency=1e308),
        InvalidArgument,
        IA,
        "pass a shorter timeout",
        None,
    ),
    (
        "perform_rpc.range",
        "js-latency",
        lambda w: w.room.clients["js"].start_rpc("alice", "m", max_round_trip_latency=1.0),
        InvalidArgument,
        IA,
        "leave it out for a client with sdk='js'",
        _js,
    ),
    (
        "perform_rpc.range",
        "mutation",
        lambda w: w.room.apply(
            M.PerformRpc(
                caller="alice", destination="bob", method="m", response_timeout=float("inf")
            )
        ),
        InvalidArgument,
        IA,
        "finite number of seconds >= 0",
        None,
    ),
    (
        "perform_rpc.payload",
        "legacy",
        lambda w: w.alice.start_rpc("old", "m", "é" * 8000),
        RpcError,
        None,
        "payload too large",
        _legacy,
    ),
    (
        "pending_rpc.result",
        "pending",
        lambda w: _held(w).result(),
        IllegalState,
        FP,
        "let virtual time pass or answer it",
        _deferred,
    ),
    # answers
    (
        "respond_rpc.type",
        "error",
        lambda w: w.bob.respond_rpc(_REQUEST, error="no"),
        InvalidType,
        IA,
        "takes an RpcError",
        _deferred,
    ),
    (
        "respond_rpc.type",
        "payload",
        lambda w: w.bob.respond_rpc(_REQUEST, 3),
        InvalidType,
        IA,
        "must be a str",
        _deferred,
    ),
    (
        "respond_rpc.type",
        "code",
        lambda w: w.room.apply(M.RespondRpc(identity="bob", request_id=_REQUEST, error_code="1")),
        InvalidType,
        IA,
        "needs an int code",
        _deferred,
    ),
    (
        "respond_rpc.type",
        "code-bool",
        lambda w: w.room.apply(M.RespondRpc(identity="bob", request_id=_REQUEST, error_code=True)),
        InvalidType,
        IA,
        "needs an int code",
        _deferred,
    ),
    (
        "respond_rpc.answer",
        "both",
        lambda w: w.bob.respond_rpc(_REQUEST, "x", error=RpcError(1, "m")),
        InvalidArgument,
        IA,
        "exactly one of them",
        _deferred,
    ),
    (
        "respond_rpc.answer",
        "neither",
        lambda w: w.bob.respond_rpc(_REQUEST),
        InvalidArgument,
        IA,
        "exactly one of them",
        _deferred,
    ),
    (
        "respond_rpc.answer",
        "code-range",
        lambda w: w.room.apply(M.RespondRpc(identity="bob", request_id=_REQUEST, error_code=-1)),
        InvalidArgument,
        IA,
        "pick another",
        _deferred,
    ),
    (
        "respond_rpc.unknown",
        "unknown",
        lambda w: w.bob.respond_rpc("RPC_9", "x"),
        IllegalState,
        FP,
        "answer only the request ids",
        _deferred,
    ),
    (
        "respond_rpc.unknown",
        "not-the-callee",
        lambda w: w.alice.respond_rpc(_REQUEST, "x"),
        IllegalState,
        FP,
        "answer only the request ids",
        _deferred,
    ),
    (
        "respond_rpc.unknown",
        "answered",
        lambda w: w.bob.respond_rpc(_REQUEST, "again"),
        IllegalState,
        FP,
        "answer only the request ids",
        lambda w: (_deferred(w), w.bob.respond_rpc(_REQUEST, "x")),
    ),
    (
        "respond_rpc.unknown",
        "past-deadline",
        lambda w: w.bob.respond_rpc(_REQUEST, "late"),
        IllegalState,
        FP,
        "answer only the request ids",
        lambda w: (_deferred(w), w.room.advance(9.0)),
    ),
    (
        "rpc_error.value",
        "code",
        lambda w: RpcError("1", "m"),
        InvalidType,
        IA,
        "must be an int",
        None,
    ),
    (
        "rpc_error.value",
        "range",
        lambda w: RpcError(2**32, "m"),
        InvalidArgument,
        IA,
        "pick another",
        None,
    ),
    (
        "rpc_error.value",
        "message",
        lambda w: RpcError(1, 2),
        InvalidType,
        IA,
        "must be a str",
        None,
    ),
    # stream handlers
    (
        "stream_handler.type",
        "topic",
        lambda w: w.bob.register_text_stream_handler(1, _reader),
        InvalidType,
        IA,
        "must be a str",
        None,
    ),
    (
        "stream_handler.type",
        "handler",
        lambda w: w.bob.register_byte_stream_handler("t", 1),
        InvalidType,
        IA,
        "takes a callable",
        None,
    ),
    (
        "stream_handler.again",
        "text",
        lambda w: w.bob.register_text_stream_handler("t", _reader),
        InvalidArgument,
        IA,
        "unregister_text_stream_handler('t') first",
        _text_handler,
    ),
    (
        "stream_handler.again",
        "byte",
        lambda w: w.bob.register_byte_stream_handler("b", _reader),
        InvalidArgument,
        IA,
        "unregister_byte_stream_handler('b') first",
        lambda w: w.bob.register_byte_stream_handler("b", _reader),
    ),
    # sending streams
    (
        "send_stream.type",
        "text",
        lambda w: w.alice.send_text(b"x"),
        InvalidType,
        IA,
        "must be a str",
        None,
    ),
    (
        "send_stream.type",
        "data",
        lambda w: w.alice.send_bytes("x"),
        InvalidType,
        IA,
        "takes bytes",
        None,
    ),
    (
        "send_stream.type",
        "topic",
        lambda w: w.alice.send_text("x", topic=1),
        InvalidType,
        IA,
        "must be a str",
        None,
    ),
    (
        "send_stream.type",
        "attributes",
        lambda w: w.alice.send_text("x", attributes={"k": 1}),
        InvalidType,
        IA,
        "values must be str",
        None,
    ),
    (
        "send_stream.type",
        "destinations",
        lambda w: w.alice.send_text("x", destination_identities="bob"),
        InvalidType,
        IA,
        "must be a tuple of identities",
        None,
    ),
    (
        "send_stream.type",
        "stream-id",
        lambda w: w.alice.stream_text(stream_id=1),
        InvalidType,
        IA,
        "must be a str",
        None,
    ),
    (
        "send_stream.type",
        "name",
        lambda w: w.alice.send_bytes(b"x", name=1),
        InvalidType,
        IA,
        "must be a str",
        None,
    ),
    (
        "send_stream.type",
        "write",
        lambda w: _held(w).write(b"x"),
        InvalidType,
        IA,
        "must be a str",
        _writer,
    ),
    (
        "send_stream.type",
        "packets",
        lambda w: w.room.apply(M.SendStreamPackets(sender="alice", packets=())),
        InvalidType,
        IA,
        "non-empty tuple of stream packets",
        None,
    ),
    (
        "send_stream.range",
        "total-size",
        lambda w: w.alice.stream_bytes(total_size=-1),
        InvalidArgument,
        IA,
        "must be between 0",
        None,
    ),
    (
        "send_stream.id",
        "again",
        lambda w: w.alice.send_text("y", stream_id="S1"),
        InvalidArgument,
        IA,
        "each stream needs a new id",
        _open_stream,
    ),
    (
        "send_stream.id",
        "twice-in-one",
        lambda w: w.room.apply(
            M.SendStreamPackets(
                sender="alice", packets=(text_header(stream_id="Q", topic="", timestamp=0.0),) * 2
            )
        ),
        InvalidArgument,
        IA,
        "each stream needs a new id",
        None,
    ),
    (
        "send_stream.header_size",
        "attributes",
        lambda w: w.alice.send_text("x", attributes={"k": "v" * 15_000}),
        LimitExceeded,
        "LIMIT_EXCEEDED",
        "reduce attribute size",
        None,
    ),
    (
        "send_stream.header_size",
        "writer",
        lambda w: w.alice.stream_text(topic="t" * 15_000),
        LimitExceeded,
        "LIMIT_EXCEEDED",
        "reduce attribute size",
        None,
    ),
    (
        "send_stream.closed",
        "write",
        lambda w: _held(w).write("x"),
        IllegalState,
        FP,
        "open a new stream",
        _closed_writer,
    ),
    (
        "send_stream.closed",
        "close-twice",
        lambda w: _held(w).close(),
        IllegalState,
        FP,
        "close it once",
        _closed_writer,
    ),
    (
        "send_stream.closed",
        "never-opened",
        lambda w: w.room.apply(
            M.SendStreamPackets(
                sender="alice", packets=(StreamChunk(stream_id="Q", chunk_index=0, content=b"x"),)
            )
        ),
        IllegalState,
        FP,
        "open it with a StreamHeader first",
        None,
    ),
    (
        "send_stream.closed",
        "trailer-after-trailer",
        lambda w: w.room.apply(
            M.SendStreamPackets(sender="alice", packets=(StreamTrailer(stream_id="S1"),))
        ),
        IllegalState,
        FP,
        "a closed stream takes nothing more",
        _open_stream,
    ),
    (
        "stream_reader.open",
        "read-all",
        lambda w: _held(w).read_all(),
        IllegalState,
        FP,
        "Read it after the writer closes",
        _open_reader,
    ),
]
