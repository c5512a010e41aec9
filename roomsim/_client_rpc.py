"""The client's RPC and data-stream verbs, and what its SDK does with what it receives.

``Client`` inherits :class:`PeerVerbs`.  A client with an RPC method or a stream handler is
delivered in dispatch (its handlers react right after each commit, design §1): an invocation
runs the method's handler in the callee's turn and its answer is a nested ``RespondRpc``; a
stream header for a topic with a handler opens a reader and calls the handler, later packets
feed that reader (rpc-and-streams §6, §9).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, final, overload

from roomsim import _facts as facts
from roomsim import mutations
from roomsim._peer import sdk_of
from roomsim._validate import check_str, describe
from roomsim.errors import HandlerFailure, IllegalState, InvalidType
from roomsim.rpc import (
    INTERNAL_TOPICS,
    PendingCall,
    RpcError,
    RpcHandler,
    RpcInvocation,
    RpcMethods,
    answer_from_handler,
)
from roomsim.streams import (
    BYTE_MIME_TYPE,
    DEFAULT_BYTE_STREAM_NAME,
    ByteStreamInfo,
    ByteStreamReader,
    ByteStreamWriter,
    IncomingStream,
    StreamHandler,
    StreamHandlers,
    StreamHeader,
    StreamKind,
    StreamPacket,
    StreamTrailer,
    TextStreamInfo,
    TextStreamReader,
    TextStreamWriter,
    byte_header,
    byte_stream_packets,
    text_header,
    text_stream_packets,
)

if TYPE_CHECKING:
    from roomsim._log import FactLog
    from roomsim._server import Server
    from roomsim.room import Room

__all__ = ["PeerVerbs", "PendingRpc"]

log = logging.getLogger("roomsim")

#: the key under which a client with RPC methods or stream handlers is kept eager (no event
#: has this name, so no event handler is ever looked up under it)
PEER_KEY = "<rpc and streams>"


@final
class _Received:
    """What a ``HandlerFailure`` names for an RPC or stream handler that failed."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: object) -> None:
        self.name = name
        self.value = value

    def __repr__(self) -> str:
        return f"{self.name}({self.value!r})"


class PeerSide:
    """One client's RPC methods, stream handlers and the streams it is receiving."""

    __slots__ = ("incoming", "methods", "streams")

    def __init__(self, sdk: str) -> None:
        self.methods = RpcMethods(sdk)
        self.streams = StreamHandlers()
        #: (sender sid, stream id) -> the stream being read
        self.incoming: dict[tuple[str, str], IncomingStream] = {}

    def receive(self, client: PeerVerbs, f: facts.Fact, failures: list[HandlerFailure]) -> None:
        if type(f) is facts.RpcRequested:
            if f.callee_sid == client.sid:
                self._invoke(client, f, failures)
        elif type(f) is facts.StreamPackets:
            if f.sender_sid == client.sid or (
                f.destinations is not None and client.identity not in f.destinations
            ):
                return
            for p in f.packets:
                self._stream_packet(client, f, p, failures)  # type: ignore[arg-type]
        elif type(f) is facts.Left:
            if f.rec.sid == client.sid:
                self._abort(None, "Disconnected while receiving")
            else:
                self._abort(
                    f.rec.sid,
                    f"stream closed abnormally: Participant {f.rec.identity} unexpectedly "
                    "disconnected in the middle of sending data",
                )
        elif type(f) is facts.Moved and f.rec.sid == client.sid:
            self._abort_moved(f)

    def _invoke(
        self, client: PeerVerbs, f: facts.RpcRequested, failures: list[HandlerFailure]
    ) -> None:
        inv = f.invocation
        assert isinstance(inv, RpcInvocation)
        handler = self.methods.get(inv.method)
        if handler is None:
            return  # a name registered without a function (a replay, a fork): answered by log
        try:
            outcome: object = handler(inv)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # the SDK logs it and answers 1500 (rpc-and-streams §6)
            if not isinstance(exc, RpcError):
                log.warning(
                    "Uncaught error returned by RPC handler for %s. Returning "
                    "APPLICATION_ERROR instead.",
                    inv.method,
                    exc_info=exc,
                )
            outcome = exc
        sdk = sdk_of(client)
        try:
            answer = answer_from_handler(outcome, sdk=sdk, caller_client_protocol=f.caller_protocol)
        except InvalidType as exc:
            # nothing is sent (the Python SDK fails to build its answer): the caller times out
            failures.append(HandlerFailure(client.identity, _Received("rpc", inv), exc))
            return
        if answer is None or client._gone:
            return  # DEFER: respond_rpc() answers later
        if answer.error is not None:
            client.respond_rpc(inv.request_id, error=answer.error)
        else:
            assert answer.payload is not None
            client.respond_rpc(inv.request_id, answer.payload)

    def _stream_packet(
        self,
        client: PeerVerbs,
        f: facts.StreamPackets,
        p: StreamPacket,
        failures: list[HandlerFailure],
    ) -> None:
        key = (f.sender_sid, p.stream_id)
        if isinstance(p, StreamHeader):
            if p.topic in INTERNAL_TOPICS:
                return
            handler = self.streams.handler_for(p.kind, p.topic)
            if handler is None:
                log.info(
                    "ignoring %s stream with topic '%s', no callback attached",
                    p.kind.value,
                    p.topic,
                )
                return
            sender = "" if f.hidden else f.sender
            stream = IncomingStream(p, sender_identity=sender)
            self.incoming[key] = stream
            reader: Any = (
                TextStreamReader(stream) if p.kind is StreamKind.TEXT else ByteStreamReader(stream)
            )
            try:
                handler(reader, sender)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:
                failures.append(HandlerFailure(client.identity, _Received("stream", p), exc))
            return
        open_stream = self.incoming.get(key)
        if open_stream is None:
            return
        open_stream.receive(p)
        if isinstance(p, StreamTrailer) or open_stream.ended:
            del self.incoming[key]

    def _abort_moved(self, f: facts.Moved) -> None:
        """The client moved (faults §5.1): the SDK tears every old remote down as on a
        departure, which aborts the streams it was sending (Rust ``AbortStreamsFrom``)."""
        for p in f.known:
            self._abort(
                p.sid,
                f"stream closed abnormally: Participant {p.identity} unexpectedly "
                "disconnected in the middle of sending data",
            )
        self._abort(None, "stream closed abnormally: the participant moved to another room")

    def _abort(self, sender_sid: str | None, description: str) -> None:
        for key in tuple(self.incoming):
            if sender_sid is None or key[0] == sender_sid:
                self.incoming.pop(key).abort(description)


@final
class PendingRpc:
    """An RPC call ``start_rpc`` made: settles on the virtual clock.

    ``done`` says whether it has settled; ``result()`` returns the response or raises the
    ``RpcError`` (``IllegalState`` while pending); ``wait()`` lets virtual time pass, timer by
    timer, until it settles, as an SDK caller awaiting ``perform_rpc`` does.
    """

    __slots__ = ("_call", "_room")

    def __init__(self, room: Room, call: PendingCall) -> None:
        self._room = room
        self._call = call

    @property
    def request_id(self) -> str:
        return self._call.request_id

    @property
    def done(self) -> bool:
        return self._call.settled

    @property
    def settled_at(self) -> float | None:
        """The virtual time the call settled, or None while pending."""
        return self._call.settled_at

    def result(self) -> str:
        return self._call.result()

    def wait(self) -> str:
        """Advance the room's clock to each deadline until the call settles; the result."""
        call = self._call
        while not call.settled:
            due = call.next_deadline()
            assert due is not None
            # timer by timer: a callee's own deadline may settle the call before the caller's
            due = min(due, self._room._time.next_due())
            self._room.advance(max(0.0, due - self._room.now))
        return call.result()

    def __repr__(self) -> str:
        return f"<PendingRpc {self.request_id!r} {'settled' if self.done else 'pending'}>"


class PeerVerbs:
    """RPC and data-stream verbs of ``Client`` (rpc-and-streams; DESIGN §6)."""

    __slots__ = ("_peer",)
    _peer: PeerSide | None

    if TYPE_CHECKING:
        identity: str
        sid: str
        _gone: bool
        _room: Room
        _server: Server
        _facts: FactLog
        _handlers: dict[str, list[Callable[[Any], object]]]

        def _apply(self, verb: str, m: mutations.Mutation) -> Any: ...
        def _check_live(self, verb: str) -> None: ...
        @property
        def _ended(self) -> bool: ...

    def _receive_peer(self, f: facts.Fact, failures: list[HandlerFailure]) -> None:
        if self._peer is not None:
            self._peer.receive(self, f, failures)

    def _peer_side(self) -> PeerSide:
        """This client's RPC and stream state; from now on it is delivered in dispatch."""
        if self._peer is None:
            self._peer = PeerSide(sdk_of(self))
        if PEER_KEY not in self._handlers:
            first = not self._handlers
            self._handlers[PEER_KEY] = []
            if first and not self._ended:
                self._facts.make_eager(self)  # type: ignore[arg-type]
        return self._peer

    # ----------------------------------------------------------------------------------------
    # RPC

    @overload
    def register_rpc_method(self, method: str) -> Callable[[RpcHandler], RpcHandler]: ...
    @overload
    def register_rpc_method(self, method: str, handler: RpcHandler) -> RpcHandler: ...
    def register_rpc_method(self, method: str, handler: RpcHandler | None = None) -> Any:
        """Answer calls of ``method`` with ``handler(invocation)`` (a decorator without it).

        The handler returns the response str, raises ``RpcError`` (passed to the caller) or
        any other exception (the caller gets 1500), or returns ``roomsim.rpc.DEFER`` to answer
        later with ``respond_rpc``.  Python replaces an earlier handler; JS refuses.
        """
        if handler is None:

            def register(h: RpcHandler) -> RpcHandler:
                self.register_rpc_method(method, h)
                return h

            return register
        check_str(method, "register_rpc_method(method=...)")
        if not callable(handler):
            raise InvalidType(
                f"register_rpc_method({method!r}, handler) takes a callable that receives an "
                f"RpcInvocation, got {describe(handler)}"
            )
        self._apply(
            "register_rpc_method",
            mutations.RegisterRpcMethod(identity=self.identity, method=method),
        )
        side = self._peer_side()
        side.methods.unregister(method)
        side.methods.register(method, handler)
        return handler

    def unregister_rpc_method(self, method: str) -> None:
        """Stop answering ``method`` (later calls get 1400); an unknown method is a no-op."""
        self._apply(
            "unregister_rpc_method",
            mutations.RegisterRpcMethod(identity=self.identity, method=method, registered=False),
        )
        if self._peer is not None:
            self._peer.methods.unregister(method)

    def start_rpc(
        self,
        destination_identity: str,
        method: str,
        payload: str = "",
        *,
        response_timeout: float | None = None,
        max_round_trip_latency: float | None = None,
    ) -> PendingRpc:
        """Call ``method`` at ``destination_identity`` without waiting: a :class:`PendingRpc`.

        An immediate handler answers within this call; a deferred one, or nobody, leaves it
        pending until ``respond_rpc`` or a timeout (1501 at 7 s, 1502) on the virtual clock.
        A request too large for a legacy callee raises ``RpcError`` 1402 and sends nothing.
        """
        call: PendingCall = self._apply(
            "perform_rpc",
            mutations.PerformRpc(
                caller=self.identity,
                destination=destination_identity,
                method=method,
                payload=payload,
                response_timeout=response_timeout,
                max_round_trip_latency=max_round_trip_latency,
            ),
        )
        return PendingRpc(self._room, call)

    def perform_rpc(
        self,
        destination_identity: str,
        method: str,
        payload: str = "",
        *,
        response_timeout: float | None = None,
        max_round_trip_latency: float | None = None,
    ) -> str:
        """Call ``method`` at ``destination_identity`` and return its response, or raise the
        ``RpcError``; waiting lets virtual time pass (``PendingRpc.wait``).  Inside a handler it
        raises ``IllegalState`` and makes no call (virtual time can't pass in dispatch): use
        ``start_rpc`` there and read the ``PendingRpc`` after the verb returns."""
        if self._facts.dispatching:
            raise IllegalState(
                f"perform_rpc({method!r}) can't wait inside a handler (virtual time can't pass "
                "during dispatch), so no call was made; use start_rpc() and read the "
                "PendingRpc's result after the verb returns",
                code="failed_precondition",
            )
        pending = self.start_rpc(
            destination_identity,
            method,
            payload,
            response_timeout=response_timeout,
            max_round_trip_latency=max_round_trip_latency,
        )
        return pending.wait()

    @property
    def rpc_methods(self) -> tuple[str, ...]:
        """The RPC method names this client has registered (sorted), as the room decides
        calls with them (a replayed or forked client has the names, not the functions)."""
        return tuple(sorted(self._server.peer.methods.get(self.sid, ())))

    @property
    def awaiting_answer(self) -> tuple[str, ...]:
        """The request ids this client was invoked for and has not answered yet (its handler
        returned ``DEFER``, or it has the method name but no function: a replay, a fork);
        ``respond_rpc`` answers each once."""
        sid = self.sid
        return tuple(
            request_id
            for request_id, call in self._server.peer.calls.items()
            if call.callee_sid == sid and call.invoked and not call.answered
        )

    def respond_rpc(
        self, request_id: str, payload: str | None = None, *, error: RpcError | None = None
    ) -> None:
        """Answer a call this client's handler deferred (returned ``DEFER``): ``payload``, or
        ``error=RpcError(...)``."""
        if error is not None and not isinstance(error, RpcError):
            raise InvalidType(f"respond_rpc(error=...) takes an RpcError, got {describe(error)}")
        self._apply(
            "respond_rpc",
            mutations.RespondRpc(
                identity=self.identity,
                request_id=request_id,
                payload=payload,
                error_code=None if error is None else error.code,
                error_message="" if error is None else error.message,
                error_data=None if error is None else error.data,
            ),
        )

    # ----------------------------------------------------------------------------------------
    # data streams

    def register_text_stream_handler(self, topic: str, handler: StreamHandler) -> None:
        """Call ``handler(reader, participant_identity)`` for each text stream on ``topic``."""
        self._check_live("register_text_stream_handler")
        self._register_stream(StreamKind.TEXT, topic, handler)

    def register_byte_stream_handler(self, topic: str, handler: StreamHandler) -> None:
        """Call ``handler(reader, participant_identity)`` for each byte stream on ``topic``."""
        self._check_live("register_byte_stream_handler")
        self._register_stream(StreamKind.BYTE, topic, handler)

    def _register_stream(self, kind: StreamKind, topic: str, handler: StreamHandler) -> None:
        if self._peer is None:
            StreamHandlers().register(kind, topic, handler)  # the checks, before any change
        self._peer_side().streams.register(kind, topic, handler)

    def receive_all_streams(self, handler: StreamHandler | None) -> None:
        """Call ``handler(reader, participant_identity)`` for every incoming text or byte stream
        whose topic has no handler of its own (``None`` stops).  This is what an SDK's native
        core does: it hands every stream to the language layer, which drops the topics it has
        no handler for (rpc-and-streams §9); ``roomsim.livekit.serve()`` relies on it."""
        self._check_live("receive_all_streams")
        if self._peer is None:
            StreamHandlers().set_fallback(handler)  # the check, before any change
        self._peer_side().streams.set_fallback(handler)

    def unregister_text_stream_handler(self, topic: str) -> None:
        if self._peer is not None:
            self._peer.streams.unregister(StreamKind.TEXT, topic)

    def unregister_byte_stream_handler(self, topic: str) -> None:
        if self._peer is not None:
            self._peer.streams.unregister(StreamKind.BYTE, topic)

    def _send_packets(
        self, destination_identities: Sequence[str]
    ) -> Callable[[tuple[StreamPacket, ...]], None]:
        opened_in = self._server

        def send(packets: tuple[StreamPacket, ...]) -> None:
            if self._server is not opened_in:
                raise IllegalState(
                    f"{self.identity!r} can't write to a stream it opened in room "
                    f"{opened_in.name!r}: it moved to room {self._server.name!r}, which ended "
                    "the streams it had open (faults §5.1); open a new stream",
                    code="failed_precondition",
                )
            self._apply(
                "send_stream_packets",
                mutations.SendStreamPackets(
                    sender=self.identity,
                    packets=packets,
                    destination_identities=destination_identities,  # type: ignore[arg-type]
                ),
            )

        return send

    def _stream_id(self, stream_id: str | None) -> str:
        if stream_id is None:
            return f"ST_{self._server.peer.next_stream}"
        return check_str(stream_id, "stream_id")

    def send_text(
        self,
        text: str,
        *,
        topic: str = "",
        destination_identities: Sequence[str] = (),
        attributes: Mapping[str, str] | None = None,
        reply_to_id: str | None = None,
        stream_id: str | None = None,
    ) -> TextStreamInfo:
        """Send ``text`` as one text stream (header, 15 000-byte chunks, trailer); its info."""
        self._check_live("send_text")
        header = text_header(
            stream_id=self._stream_id(stream_id),
            topic=topic,
            timestamp=self._room.now,
            total_length=len(check_str(text, "send_text(text=...)").encode()),
            attributes=attributes,
            reply_to_stream_id=reply_to_id or "",
        )
        self._send_packets(destination_identities)(text_stream_packets(text, header))
        info = header.info()
        assert isinstance(info, TextStreamInfo)
        return info

    def stream_text(
        self,
        *,
        topic: str = "",
        destination_identities: Sequence[str] = (),
        attributes: Mapping[str, str] | None = None,
        total_size: int | None = None,
        reply_to_id: str | None = None,
        stream_id: str | None = None,
    ) -> TextStreamWriter:
        """Open a text stream: ``write()`` sends chunks, ``close()`` (or the ``with`` block's
        end) the trailer; each write is one mutation."""
        self._check_live("stream_text")
        header = text_header(
            stream_id=self._stream_id(stream_id),
            topic=topic,
            timestamp=self._room.now,
            attributes=attributes,
            reply_to_stream_id=reply_to_id or "",
        )
        return TextStreamWriter.open(
            header, self._send_packets(destination_identities), total_size=total_size
        )

    def send_bytes(
        self,
        data: bytes,
        *,
        topic: str = "",
        name: str | None = None,
        mime_type: str | None = None,
        destination_identities: Sequence[str] = (),
        attributes: Mapping[str, str] | None = None,
        stream_id: str | None = None,
    ) -> ByteStreamInfo:
        """Send ``data`` as one byte stream (``send_file`` reads a file into this); its info."""
        self._check_live("send_bytes")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidType(f"send_bytes(data=...) takes bytes, got {describe(data)}")
        header = byte_header(
            stream_id=self._stream_id(stream_id),
            topic=topic,
            timestamp=self._room.now,
            name=DEFAULT_BYTE_STREAM_NAME if name is None else name,
            mime_type=BYTE_MIME_TYPE if mime_type is None else mime_type,
            total_length=len(data),
            attributes=attributes,
        )
        self._send_packets(destination_identities)(byte_stream_packets(data, header))
        info = header.info()
        assert isinstance(info, ByteStreamInfo)
        return info

    def stream_bytes(
        self,
        name: str = DEFAULT_BYTE_STREAM_NAME,
        *,
        topic: str = "",
        mime_type: str | None = None,
        total_size: int | None = None,
        destination_identities: Sequence[str] = (),
        attributes: Mapping[str, str] | None = None,
        stream_id: str | None = None,
    ) -> ByteStreamWriter:
        """Open a byte stream: as ``stream_text``, for bytes."""
        self._check_live("stream_bytes")
        header = byte_header(
            stream_id=self._stream_id(stream_id),
            topic=topic,
            timestamp=self._room.now,
            name=name,
            mime_type=BYTE_MIME_TYPE if mime_type is None else mime_type,
            total_length=total_size,
            attributes=attributes,
        )
        return ByteStreamWriter.open(header, self._send_packets(destination_identities))
