"""Receiving: a stream assembled from its packets, and synchronous readers (rpc-and-streams §9)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final, final

import attrs

from roomsim._validate import check_str as _text
from roomsim._validate import describe as _describe
from roomsim.errors import IllegalState, InvalidArgument, InvalidType
from roomsim.streams._values import (
    ByteStreamInfo,
    StreamChunk,
    StreamError,
    StreamHeader,
    StreamInfo,
    StreamKind,
    StreamTrailer,
    TextStreamInfo,
    _size,
)

# ---------------------------------------------------------------------------------------------
# receiving (rpc-and-streams §9)

_MISSED_CHUNK: Final = "expected chunk index to be exactly one more than the previous"
_LENGTH_EXCEEDED: Final = "read length exceeded total length specified in stream header"
_INCOMPLETE: Final = "stream data is incomplete"
_TOO_LARGE: Final = "stream payload exceeds maximum size"


class IncomingStream:
    """One stream as a receiver assembles it from its packets, with the Rust core's checks.

    Feed it the stream's chunks and trailer with :meth:`receive` (in order), or end it with
    :meth:`abort` (its sender left, or the receiver's room disconnected).  A chunk out of
    sequence, more bytes than the header's ``total_length``, a trailer before that many bytes,
    more than ``max_payload_bytes``, or a trailer with a reason end it with a
    :class:`StreamError`; packets after the end are ignored.
    """

    __slots__ = ("_chunks", "_error", "_header", "_max", "_received", "_sender", "_trailer_attrs")

    def __init__(
        self,
        header: StreamHeader,
        *,
        sender_identity: str,
        max_payload_bytes: int | None = None,
    ) -> None:
        if not isinstance(header, StreamHeader):
            raise InvalidType(f"IncomingStream takes a StreamHeader, got {_describe(header)}")
        self._header = header
        self._sender = _text(sender_identity, "IncomingStream(sender_identity=...)")
        self._max = _size(max_payload_bytes, "IncomingStream(max_payload_bytes=...)")
        self._chunks: list[bytes] = []
        self._received = 0
        self._error: StreamError | None = None
        self._trailer_attrs: Mapping[str, str] | None = None
        total = header.total_length
        if self._max is not None and total is not None and total > self._max:
            self._error = StreamError(_TOO_LARGE)

    @property
    def header(self) -> StreamHeader:
        return self._header

    @property
    def sender_identity(self) -> str:
        """Who sent it (``""`` for a hidden sender, §1)."""
        return self._sender

    @property
    def chunks(self) -> tuple[bytes, ...]:
        """The content of the chunks accepted so far, in order."""
        return tuple(self._chunks)

    @property
    def ended(self) -> bool:
        """Whether the stream is over (closed normally, or with an error)."""
        return self._error is not None or self._trailer_attrs is not None

    @property
    def error(self) -> StreamError | None:
        """Why the stream ended abnormally, or ``None``."""
        return self._error

    @property
    def bytes_received(self) -> int:
        return self._received

    def info(self) -> StreamInfo:
        """The stream's info, with the trailer's attributes merged once it has arrived."""
        info = self._header.info()
        if self._trailer_attrs:
            info = attrs.evolve(info, attributes={**info.attributes, **self._trailer_attrs})
        return info

    def receive(self, packet: StreamChunk | StreamTrailer) -> None:
        """Take the stream's next chunk or its trailer."""
        if not isinstance(packet, StreamChunk | StreamTrailer):
            raise InvalidType(
                f"IncomingStream.receive takes a StreamChunk or StreamTrailer, got "
                f"{_describe(packet)}"
            )
        if packet.stream_id != self._header.stream_id:
            raise InvalidArgument(
                f"packet for stream {packet.stream_id!r} given to stream "
                f"{self._header.stream_id!r}; route packets by stream_id"
            )
        if self.ended:
            return
        if isinstance(packet, StreamChunk):
            self._receive_chunk(packet)
        else:
            self._receive_trailer(packet)

    def _receive_chunk(self, chunk: StreamChunk) -> None:
        if chunk.chunk_index != len(self._chunks):
            self._error = StreamError(_MISSED_CHUNK)
            return
        received = self._received + len(chunk.content)
        if self._max is not None and received > self._max:
            self._error = StreamError(_TOO_LARGE)
            return
        total = self._header.total_length
        if total is not None and received > total:
            self._error = StreamError(_LENGTH_EXCEEDED)
            return
        self._chunks.append(chunk.content)
        self._received = received

    def _receive_trailer(self, trailer: StreamTrailer) -> None:
        self._trailer_attrs = trailer.attributes
        total = self._header.total_length
        if total is not None and self._received < total:
            self._error = StreamError(_INCOMPLETE)
        elif trailer.reason:
            self._error = StreamError(f"stream closed abnormally: {trailer.reason}")

    def abort(self, description: str) -> None:
        """End the stream with ``StreamError(description)`` (no-op once it has ended).

        The SDKs' texts: ``"stream closed abnormally: Participant <identity> unexpectedly
        disconnected in the middle of sending data"`` when the sender leaves, and
        ``"Disconnected while receiving"`` when the receiver's own room disconnects (PY).
        """
        _text(description, "IncomingStream.abort(description=...)")
        if not self.ended:
            self._error = StreamError(description)


class _Reader:
    __slots__ = ("_at_end", "_cursor", "_stream")

    _kind: StreamKind

    def __init__(self, stream: IncomingStream) -> None:
        if not isinstance(stream, IncomingStream):
            raise InvalidType(f"a stream reader takes an IncomingStream, got {_describe(stream)}")
        if stream.header.kind is not self._kind:
            raise InvalidArgument(
                f"a {type(self).__name__} reads {self._kind.value} streams; stream "
                f"{stream.header.stream_id!r} is a {stream.header.kind.value} stream"
            )
        self._stream = stream
        self._cursor = 0
        self._at_end = False

    @property
    def participant_identity(self) -> str:
        """The sender's identity, as the handler receives it."""
        return self._stream.sender_identity

    @property
    def done(self) -> bool:
        """Whether the stream has ended and this reader has taken every chunk."""
        return self._stream.ended and self._cursor >= len(self._stream._chunks)

    def _next_pieces(self) -> Iterator[bytes]:
        while True:
            chunks = self._stream._chunks  # same module: no copy per chunk
            if self._cursor < len(chunks):
                piece = chunks[self._cursor]
                self._cursor += 1
                if piece:
                    yield piece
                continue
            if self._stream.ended:
                self._at_end = True
                if self._stream.error is not None:
                    raise self._stream.error
            return

    def _require_end(self, call: str) -> None:
        if not self._stream.ended:
            header = self._stream.header
            raise IllegalState(
                f"{call} on {self._kind.value} stream {header.stream_id!r} (topic "
                f"{header.topic!r}), which is still open: its sender has not closed it. Read it "
                "after the writer closes, or iterate the reader to take the chunks received so far"
            )


@final
class TextStreamReader(_Reader):
    """An incoming text stream, read synchronously (PY ``TextStreamReader``, §9).

    Iterating yields the chunks received and not yet read, each decoded on its own; it stops
    when it has caught up.  Once the stream has ended it stops for good, raising the stream's
    :class:`StreamError` (after the chunks) if it ended abnormally.  ``read_all()`` returns the
    rest of an ended stream; on a stream still open it raises :class:`IllegalState` (the SDK
    would wait; roomsim's API never blocks).  Reading consumes, as in the SDK.
    """

    __slots__ = ()
    _kind = StreamKind.TEXT

    @property
    def info(self) -> TextStreamInfo:
        """The stream's info; the trailer's attributes are merged once the reader reaches the
        end (as the Python SDK updates ``reader.info.attributes``)."""
        info = self._stream.info() if self._at_end else self._stream.header.info()
        assert isinstance(info, TextStreamInfo)
        return info

    def __iter__(self) -> Iterator[str]:
        for piece in self._next_pieces():
            try:
                yield piece.decode("utf-8")
            except UnicodeDecodeError as e:
                raise StreamError(f"UTF-8 decoding error: {e}") from None

    def read_all(self) -> str:
        """The rest of the stream's text (it must have ended)."""
        self._require_end("read_all()")
        return "".join(self)


@final
class ByteStreamReader(_Reader):
    """An incoming byte stream, read synchronously; as :class:`TextStreamReader`, for bytes.

    ``read_all()`` follows the Rust SDK (the Python SDK's byte reader only iterates).
    """

    __slots__ = ()
    _kind = StreamKind.BYTE

    @property
    def info(self) -> ByteStreamInfo:
        info = self._stream.info() if self._at_end else self._stream.header.info()
        assert isinstance(info, ByteStreamInfo)
        return info

    def __iter__(self) -> Iterator[bytes]:
        return self._next_pieces()

    def read_all(self) -> bytes:
        """The rest of the stream's bytes (it must have ended)."""
        self._require_end("read_all()")
        return b"".join(self)
