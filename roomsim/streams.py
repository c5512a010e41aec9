"""LiveKit's data streams as values: packets, chunking, reassembly, readers and writers.

Everything here is pure and independent of the room; the rules come from LiveKit's SDKs, as
recorded in ``docs/livekit/rpc-and-streams.md`` (cited below as "rpc-and-streams §N").  A
stream is a header, chunks numbered from 0 and a trailer (§7).  Writers hand each write's
packets to a callback; receivers assemble them in an :class:`IncomingStream` and read them
through a synchronous :class:`TextStreamReader` or :class:`ByteStreamReader`.

>>> [len(c) for c in split_text("é" * 8, chunk_size=5)]
[4, 4, 4, 4]
>>> header = text_header(stream_id="ST_1", topic="lk.chat", timestamp=1.5)
>>> sent = []
>>> with TextStreamWriter.open(header, sent.append) as w:
...     w.write("hel")
...     w.write("lo")
>>> incoming = IncomingStream(header, sender_identity="alice")
>>> for packets in sent[1:]:
...     for packet in packets:
...         incoming.receive(packet)
>>> TextStreamReader(incoming).read_all()
'hello'
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType, TracebackType
from typing import Any, Final, TypeAlias, final

import attrs

from roomsim.errors import IllegalState, InvalidArgument, InvalidType, LimitExceeded

__all__ = [
    "STREAM_CHUNK_SIZE",
    "TEXT_MIME_TYPE",
    "BYTE_MIME_TYPE",
    "DEFAULT_BYTE_STREAM_NAME",
    "StreamKind",
    "OperationType",
    "StreamError",
    "TextStreamInfo",
    "ByteStreamInfo",
    "StreamInfo",
    "StreamHeader",
    "StreamChunk",
    "StreamTrailer",
    "StreamPacket",
    "SendPackets",
    "Buffer",
    "StreamHandler",
    "split_text",
    "split_bytes",
    "text_header",
    "byte_header",
    "text_stream_packets",
    "byte_stream_packets",
    "TextStreamWriter",
    "ByteStreamWriter",
    "IncomingStream",
    "TextStreamReader",
    "ByteStreamReader",
    "StreamHandlers",
    "header_packet_size",
    "check_header_size",
]

#: The most content bytes in one chunk, in both SDKs (rpc-and-streams §7).
STREAM_CHUNK_SIZE: Final = 15_000
TEXT_MIME_TYPE: Final = "text/plain"
BYTE_MIME_TYPE: Final = "application/octet-stream"
#: ``send_bytes``'s default stream name.
DEFAULT_BYTE_STREAM_NAME: Final = "unknown"

_UINT64_MAX: Final = 2**64 - 1

#: What byte streams take: bytes, or a buffer copied to bytes.
Buffer: TypeAlias = bytes | bytearray | memoryview


class StreamKind(enum.Enum):
    """A text stream (``text_header``) or a byte stream (``byte_header``)."""

    TEXT = "text"
    BYTE = "byte"


class OperationType(enum.Enum):
    """``DataStream.OperationType`` of a text stream's header (rpc-and-streams §1)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REACTION = "reaction"


class StreamError(ConnectionError):
    """A stream that ended abnormally, as the SDK's reader raises it (PY ``StreamError``, §9).

    ``description`` is the SDK's text: ``"stream closed abnormally: <reason>"``,
    ``"stream data is incomplete"``, ...
    """

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, StreamError)
        return self.description == other.description

    def __hash__(self) -> int:
        return hash((type(self), self.description))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.description,))


# ---------------------------------------------------------------------------------------------
# checks


def _describe(value: Any) -> str:
    return f"{value!r} (type {type(value).__name__})"


def _text(value: Any, what: str) -> str:
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


def _data(value: Any, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise InvalidType(
            f"{what} must be bytes (or bytearray, memoryview), got {_describe(value)}; "
            "send text with send_text / stream_text"
        )
    return bytes(value)


def _attributes(value: Any, what: str) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidType(f"{what} must be a mapping of str to str, got {_describe(value)}")
    out: dict[str, str] = {}
    for k, v in value.items():
        if type(k) is not str:
            raise InvalidType(
                f"{what} has a key {k!r} of type {type(k).__name__}; keys must be str"
            )
        if type(v) is not str:
            raise InvalidType(f"{what}[{k!r}] is {_describe(v)}; values must be str")
        out[_text(k, f"{what} key")] = _text(v, f"{what}[{k!r}]")
    return MappingProxyType(out)


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, tuple | list):
        raise InvalidType(f"{what} must be a tuple of str, got {_describe(value)}")
    return tuple(_text(v, f"{what} entry") for v in value)


def _size(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if type(value) is not int:
        raise InvalidType(f"{what} must be an int number of bytes or None, got {_describe(value)}")
    if not 0 <= value <= _UINT64_MAX:
        raise InvalidArgument(f"{what} must be between 0 and {_UINT64_MAX} bytes, got {value}")
    return value


def _seconds(value: Any, what: str) -> float:
    if type(value) not in (int, float):
        raise InvalidType(f"{what} takes virtual seconds (int or float), got {_describe(value)}")
    f = float(value)
    if not math.isfinite(f) or f < 0:
        raise InvalidArgument(f"{what} must be a finite number of seconds >= 0, got {value!r}")
    return f


def _chunk_size(value: Any) -> int:
    if type(value) is not int:
        raise InvalidType(f"chunk_size must be an int, got {_describe(value)}")
    if value < 4:
        raise InvalidArgument(
            f"chunk_size must be at least 4 (a UTF-8 character takes up to 4 bytes), got {value}"
        )
    return value


def _enum(value: Any, cls: type[enum.Enum], what: str) -> Any:
    if not isinstance(value, cls):
        members = ", ".join(f"{cls.__name__}.{m.name}" for m in cls)
        raise InvalidType(f"{what} must be a {cls.__name__} ({members}), got {_describe(value)}")
    return value


def _v(check: Callable[[Any, str], Any]) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """An attrs validator running a roomsim check; messages name the class and the field."""

    def validate(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        check(value, f"{type(inst).__name__}.{attribute.name}")

    return validate


def _v_enum(cls: type[enum.Enum]) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def validate(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        _enum(value, cls, f"{type(inst).__name__}.{attribute.name}")

    return validate


def _float_if_int(value: Any) -> Any:
    return float(value) if type(value) is int else value


def _freeze_mapping(value: Any) -> Any:
    return MappingProxyType(dict(value)) if isinstance(value, Mapping) else value


def _tuple_if_list(value: Any) -> Any:
    return tuple(value) if type(value) is list else value


def _bytes_if_buffer(value: Any) -> Any:
    return bytes(value) if isinstance(value, bytearray | memoryview) else value


# ---------------------------------------------------------------------------------------------
# chunking (rpc-and-streams §8)


def split_text(text: str, chunk_size: int = STREAM_CHUNK_SIZE) -> tuple[bytes, ...]:
    """``text`` as UTF-8 chunks of at most ``chunk_size`` bytes, never splitting a character.

    LiveKit's algorithm (RS ``Utf8AwareChunks``, JS ``splitUtf8``): while more than
    ``chunk_size`` bytes remain, back off from byte ``chunk_size`` over continuation bytes and cut
    there.  An empty text gives no chunks.
    """
    _text(text, "split_text(text=...)")
    n = _chunk_size(chunk_size)
    encoded = text.encode("utf-8")
    chunks: list[bytes] = []
    start = 0
    end = len(encoded)
    while end - start > n:
        k = n
        while k > 0 and (encoded[start + k] & 0xC0) == 0x80:
            k -= 1
        chunks.append(encoded[start : start + k])
        start += k
    if start < end:
        chunks.append(encoded[start:])
    return tuple(chunks)


def split_bytes(data: Buffer, chunk_size: int = STREAM_CHUNK_SIZE) -> tuple[bytes, ...]:
    """``data`` cut at every ``chunk_size`` bytes (RS ``chunks(15000)``); empty data: no chunks."""
    raw = _data(data, "split_bytes(data=...)")
    n = _chunk_size(chunk_size)
    return tuple(raw[i : i + n] for i in range(0, len(raw), n))


# ---------------------------------------------------------------------------------------------
# values


@final
@attrs.frozen(kw_only=True)
class TextStreamInfo:
    """A text stream's info, with the Python SDK's fields (rpc-and-streams §9).

    ``timestamp`` is the virtual time the header was sent, in seconds (the SDKs carry wall-clock
    milliseconds).  ``size`` is the header's total length in UTF-8 bytes, ``None`` when the
    header has none (``stream_text``; the Python SDK shows 0 there).  ``attachments`` are the
    ids of attached byte streams.  A reader's info gains the trailer's attributes once the
    reader reaches the end.
    """

    stream_id: str = attrs.field(validator=_v(_text))
    topic: str = attrs.field(validator=_v(_text))
    timestamp: float = attrs.field(converter=_float_if_int, validator=_v(_seconds))
    mime_type: str = attrs.field(default=TEXT_MIME_TYPE, validator=_v(_text))
    size: int | None = attrs.field(default=None, validator=_v(_size))
    attributes: Mapping[str, str] = attrs.field(
        factory=dict, converter=_freeze_mapping, validator=_v(_attributes), hash=False
    )
    attachments: tuple[str, ...] = attrs.field(
        default=(), converter=_tuple_if_list, validator=_v(_strings)
    )


@final
@attrs.frozen(kw_only=True)
class ByteStreamInfo:
    """A byte stream's info, with the Python SDK's fields (rpc-and-streams §9).

    As :class:`TextStreamInfo`, with the stream's ``name`` (a file's base name) instead of
    ``attachments``.
    """

    stream_id: str = attrs.field(validator=_v(_text))
    topic: str = attrs.field(validator=_v(_text))
    timestamp: float = attrs.field(converter=_float_if_int, validator=_v(_seconds))
    mime_type: str = attrs.field(default=BYTE_MIME_TYPE, validator=_v(_text))
    size: int | None = attrs.field(default=None, validator=_v(_size))
    attributes: Mapping[str, str] = attrs.field(
        factory=dict, converter=_freeze_mapping, validator=_v(_attributes), hash=False
    )
    name: str = attrs.field(default=DEFAULT_BYTE_STREAM_NAME, validator=_v(_text))


StreamInfo: TypeAlias = TextStreamInfo | ByteStreamInfo


def _check_header(inst: StreamHeader, attribute: attrs.Attribute[Any], value: Any) -> None:
    if inst.kind is StreamKind.BYTE and (
        inst.operation_type is not OperationType.CREATE
        or inst.version
        or inst.reply_to_stream_id
        or inst.attached_stream_ids
        or inst.generated
    ):
        raise InvalidArgument(
            f"StreamHeader {inst.stream_id!r} is a byte stream, but sets text-only fields "
            "(operation_type, version, reply_to_stream_id, attached_stream_ids, generated); "
            "leave them at their defaults"
        )
    if inst.kind is StreamKind.TEXT and inst.name:
        raise InvalidArgument(
            f"StreamHeader {inst.stream_id!r} is a text stream, but sets name={inst.name!r}; "
            "only byte streams have a name"
        )


def _int32(value: Any, what: str) -> int:
    if type(value) is not int:
        raise InvalidType(f"{what} must be an int, got {_describe(value)}")
    if not -(2**31) <= value < 2**31:
        raise InvalidArgument(f"{what} must fit LiveKit's int32 field, got {value}")
    return value


def _bool(value: Any, what: str) -> bool:
    if type(value) is not bool:
        raise InvalidType(f"{what} must be a bool, got {_describe(value)}")
    return value


@final
@attrs.frozen(kw_only=True)
class StreamHeader:
    """A ``DataStream.Header`` packet (rpc-and-streams §1), opening one stream.

    ``kind`` says whether it carries a text header (``operation_type``, ``version``,
    ``reply_to_stream_id``, ``attached_stream_ids``, ``generated``) or a byte header (``name``).
    ``total_length`` is in bytes, ``None`` for a stream of unknown size.  Build one with
    :func:`text_header` or :func:`byte_header`.
    """

    stream_id: str = attrs.field(validator=_v(_text))
    kind: StreamKind = attrs.field(validator=_v_enum(StreamKind))
    topic: str = attrs.field(validator=_v(_text))
    timestamp: float = attrs.field(converter=_float_if_int, validator=_v(_seconds))
    mime_type: str = attrs.field(validator=_v(_text))
    total_length: int | None = attrs.field(default=None, validator=_v(_size))
    attributes: Mapping[str, str] = attrs.field(
        factory=dict, converter=_freeze_mapping, validator=_v(_attributes), hash=False
    )
    name: str = attrs.field(default="", validator=_v(_text))
    operation_type: OperationType = attrs.field(
        default=OperationType.CREATE,
        validator=_v_enum(OperationType),
    )
    version: int = attrs.field(default=0, validator=_v(_int32))
    reply_to_stream_id: str = attrs.field(default="", validator=_v(_text))
    attached_stream_ids: tuple[str, ...] = attrs.field(
        default=(), converter=_tuple_if_list, validator=_v(_strings)
    )
    generated: bool = attrs.field(
        default=False,
        validator=[_v(_bool), _check_header],
    )

    def info(self) -> StreamInfo:
        """The info a receiver's reader (and the sender's call) shows for this header."""
        if self.kind is StreamKind.TEXT:
            return TextStreamInfo(
                stream_id=self.stream_id,
                topic=self.topic,
                timestamp=self.timestamp,
                mime_type=self.mime_type,
                size=self.total_length,
                attributes=self.attributes,
                attachments=self.attached_stream_ids,
            )
        return ByteStreamInfo(
            stream_id=self.stream_id,
            topic=self.topic,
            timestamp=self.timestamp,
            mime_type=self.mime_type,
            size=self.total_length,
            attributes=self.attributes,
            name=self.name,
        )


def _index(value: Any, what: str) -> int:
    if type(value) is not int:
        raise InvalidType(f"{what} must be an int, got {_describe(value)}")
    if not 0 <= value <= _UINT64_MAX:
        raise InvalidArgument(f"{what} must be between 0 and {_UINT64_MAX}, got {value}")
    return value


@final
@attrs.frozen(kw_only=True)
class StreamChunk:
    """A ``DataStream.Chunk`` packet: ``content`` bytes at position ``chunk_index`` (from 0)."""

    stream_id: str = attrs.field(validator=_v(_text))
    chunk_index: int = attrs.field(validator=_v(_index))
    content: bytes = attrs.field(converter=_bytes_if_buffer, validator=_v(_data))


@final
@attrs.frozen(kw_only=True)
class StreamTrailer:
    """A ``DataStream.Trailer`` packet, closing a stream.

    An empty ``reason`` is a normal end; any other ends the stream abnormally at its readers.
    ``attributes`` are merged into the readers' info.
    """

    stream_id: str = attrs.field(validator=_v(_text))
    reason: str = attrs.field(default="", validator=_v(_text))
    attributes: Mapping[str, str] = attrs.field(
        factory=dict, converter=_freeze_mapping, validator=_v(_attributes), hash=False
    )


StreamPacket: TypeAlias = StreamHeader | StreamChunk | StreamTrailer


def text_header(
    *,
    stream_id: str,
    topic: str,
    timestamp: float,
    total_length: int | None = None,
    attributes: Mapping[str, str] | None = None,
    reply_to_stream_id: str = "",
    attached_stream_ids: tuple[str, ...] = (),
    operation_type: OperationType = OperationType.CREATE,
    version: int = 0,
    generated: bool = False,
) -> StreamHeader:
    """The header of a text stream (MIME type ``text/plain``)."""
    return StreamHeader(
        stream_id=stream_id,
        kind=StreamKind.TEXT,
        topic=topic,
        timestamp=timestamp,
        mime_type=TEXT_MIME_TYPE,
        total_length=total_length,
        attributes={} if attributes is None else attributes,
        reply_to_stream_id=reply_to_stream_id,
        attached_stream_ids=attached_stream_ids,
        operation_type=operation_type,
        version=version,
        generated=generated,
    )


def byte_header(
    *,
    stream_id: str,
    topic: str,
    timestamp: float,
    name: str = DEFAULT_BYTE_STREAM_NAME,
    mime_type: str = BYTE_MIME_TYPE,
    total_length: int | None = None,
    attributes: Mapping[str, str] | None = None,
) -> StreamHeader:
    """The header of a byte stream (``name`` defaults to ``unknown`` as in ``send_bytes``)."""
    return StreamHeader(
        stream_id=stream_id,
        kind=StreamKind.BYTE,
        topic=topic,
        timestamp=timestamp,
        mime_type=mime_type,
        total_length=total_length,
        attributes={} if attributes is None else attributes,
        name=name,
    )


def _chunks_from(stream_id: str, first_index: int, pieces: tuple[bytes, ...]) -> list[StreamChunk]:
    return [
        StreamChunk(stream_id=stream_id, chunk_index=first_index + i, content=piece)
        for i, piece in enumerate(pieces)
    ]


def text_stream_packets(text: str, header: StreamHeader) -> tuple[StreamPacket, ...]:
    """What ``send_text`` sends: the header, the text's chunks and a normal trailer (§7).

    ``header`` must be a text header whose ``total_length`` is the text's UTF-8 length (as
    ``send_text`` sets it) or ``None``.
    """
    _text(text, "send_text(text=...)")
    if header.kind is not StreamKind.TEXT:
        raise InvalidArgument(f"stream {header.stream_id!r} has a byte header; send bytes to it")
    pieces = split_text(text)
    _check_total(header, sum(len(p) for p in pieces))
    return (
        header,
        *_chunks_from(header.stream_id, 0, pieces),
        StreamTrailer(stream_id=header.stream_id),
    )


def byte_stream_packets(data: Buffer, header: StreamHeader) -> tuple[StreamPacket, ...]:
    """What ``send_bytes`` sends: the header, chunks of at most 15 000 bytes, a trailer (§7)."""
    raw = _data(data, "send_bytes(data=...)")
    if header.kind is not StreamKind.BYTE:
        raise InvalidArgument(f"stream {header.stream_id!r} has a text header; send text to it")
    _check_total(header, len(raw))
    return (
        header,
        *_chunks_from(header.stream_id, 0, split_bytes(raw)),
        StreamTrailer(stream_id=header.stream_id),
    )


def _check_total(header: StreamHeader, size: int) -> None:
    if header.total_length is not None and header.total_length != size:
        raise InvalidArgument(
            f"stream {header.stream_id!r} declares total_length={header.total_length} but "
            f"carries {size} bytes; declare the content's UTF-8 length (or None)"
        )


# ---------------------------------------------------------------------------------------------
# writers (rpc-and-streams §7)

#: Receives the packets of one write (or of the opening, or of the close), to send them at once.
SendPackets: TypeAlias = Callable[[tuple[StreamPacket, ...]], None]


class _Writer:
    __slots__ = ("_closed", "_header", "_next_index", "_send")

    _kind: StreamKind

    def __init__(self, header: StreamHeader, send: SendPackets) -> None:
        if not isinstance(header, StreamHeader):
            raise InvalidType(f"a stream writer takes a StreamHeader, got {_describe(header)}")
        if header.kind is not self._kind:
            raise InvalidArgument(
                f"a {type(self).__name__} needs a {self._kind.value} header; stream "
                f"{header.stream_id!r} has a {header.kind.value} header"
            )
        if not callable(send):
            raise InvalidType(
                f"a stream writer's send must be callable (it receives each write's packets), "
                f"got {_describe(send)}"
            )
        self._header = header
        self._send = send
        self._next_index = 0
        self._closed = False

    @property
    def header(self) -> StreamHeader:
        """The header this writer's stream was opened with."""
        return self._header

    @property
    def closed(self) -> bool:
        """Whether the trailer has been sent."""
        return self._closed

    @property
    def chunks_sent(self) -> int:
        """How many chunks this writer has sent."""
        return self._next_index

    def _write_pieces(self, pieces: tuple[bytes, ...]) -> None:
        if self._closed:
            raise IllegalState(
                f"Cannot write after stream is closed (stream {self._header.stream_id!r}, "
                f"topic {self._header.topic!r}); open a new stream to send more"
            )
        if not pieces:
            return
        packets = tuple(_chunks_from(self._header.stream_id, self._next_index, pieces))
        self._send(packets)
        self._next_index += len(packets)

    def close(self, *, reason: str = "", attributes: Mapping[str, str] | None = None) -> None:
        """Send the trailer.  A non-empty ``reason`` ends the stream abnormally at its readers;
        ``attributes`` are merged into their info (PY ``aclose(reason=, attributes=)``)."""
        if self._closed:
            raise IllegalState(
                f"Stream already closed (stream {self._header.stream_id!r}, topic "
                f"{self._header.topic!r}); close it once"
            )
        trailer = StreamTrailer(
            stream_id=self._header.stream_id,
            reason=reason,
            attributes={} if attributes is None else attributes,
        )
        self._send((trailer,))
        self._closed = True

    def __enter__(self) -> Any:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._closed:
            return
        if exc is None:
            self.close()
        else:
            # roomsim's choice: a block that raised ends the stream abnormally, so its readers
            # see a StreamError instead of a truncated text that looks complete
            self.close(reason=f"{type(exc).__name__}: {exc}")


@final
class TextStreamWriter(_Writer):
    """An open text stream (``stream_text``): ``write()`` sends chunks, ``close()`` the trailer.

    Each ``write`` hands its chunks (split at 15 000 bytes on UTF-8 boundaries; none for ``""``)
    to ``send`` in one call, so a write is sent whole or not at all.  As a context manager it
    closes on exit; if the block raised, the trailer's reason names the exception.
    """

    __slots__ = ("_total_size",)
    _kind = StreamKind.TEXT

    def __init__(
        self, header: StreamHeader, send: SendPackets, *, total_size: int | None = None
    ) -> None:
        super().__init__(header, send)
        self._total_size = _size(total_size, "stream_text(total_size=...)")

    @classmethod
    def open(
        cls, header: StreamHeader, send: SendPackets, *, total_size: int | None = None
    ) -> TextStreamWriter:
        """Send the header and return the writer (what ``stream_text`` does)."""
        writer = cls(header, send, total_size=total_size)
        send((header,))
        return writer

    @property
    def info(self) -> TextStreamInfo:
        """The sender's info; ``size`` is the ``total_size`` given, kept locally (§7)."""
        info = self._header.info()
        assert isinstance(info, TextStreamInfo)
        if info.size is None and self._total_size is not None:
            info = attrs.evolve(info, size=self._total_size)
        return info

    def write(self, text: str) -> None:
        """Send ``text`` as the stream's next chunks."""
        self._write_pieces(split_text(_text(text, "TextStreamWriter.write(text)")))

    def __enter__(self) -> TextStreamWriter:
        return self


@final
class ByteStreamWriter(_Writer):
    """An open byte stream (``stream_bytes``): as :class:`TextStreamWriter`, for bytes."""

    __slots__ = ()
    _kind = StreamKind.BYTE

    @classmethod
    def open(cls, header: StreamHeader, send: SendPackets) -> ByteStreamWriter:
        """Send the header and return the writer (what ``stream_bytes`` does)."""
        writer = cls(header, send)
        send((header,))
        return writer

    @property
    def info(self) -> ByteStreamInfo:
        info = self._header.info()
        assert isinstance(info, ByteStreamInfo)
        return info

    def write(self, data: Buffer) -> None:
        """Send ``data`` as the stream's next chunks."""
        self._write_pieces(split_bytes(_data(data, "ByteStreamWriter.write(data)")))

    def __enter__(self) -> ByteStreamWriter:
        return self


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


# ---------------------------------------------------------------------------------------------
# handlers (rpc-and-streams §9, §10)

#: A stream handler: called with the reader and the sender's identity when a header arrives.
StreamHandler: TypeAlias = Callable[[Any, str], object]


class StreamHandlers:
    """One client's stream handlers, one per topic and kind (rpc-and-streams §9, §10).

    A second registration for a topic raises :class:`InvalidArgument` (a ``ValueError``, as the
    Python SDK's) with the SDK's message; unregistering an unknown topic does nothing.  A
    stream whose topic has no handler is dropped by the receiver (``handler_for`` is ``None``).
    """

    __slots__ = ("_byte", "_text")

    def __init__(self) -> None:
        self._text: dict[str, StreamHandler] = {}
        self._byte: dict[str, StreamHandler] = {}

    def _table(self, kind: StreamKind) -> dict[str, StreamHandler]:
        if not isinstance(kind, StreamKind):
            raise InvalidType(f"kind must be a StreamKind, got {_describe(kind)}")
        return self._text if kind is StreamKind.TEXT else self._byte

    def register(self, kind: StreamKind, topic: str, handler: StreamHandler) -> None:
        table = self._table(kind)
        verb = f"register_{kind.value}_stream_handler"
        _text(topic, f"{verb}(topic=...)")
        if not callable(handler):
            raise InvalidType(
                f"{verb}({topic!r}, handler) takes a callable (reader, participant_identity), "
                f"got {_describe(handler)}"
            )
        if topic in table:
            raise InvalidArgument(
                f"{kind.value} stream handler for topic '{topic}' already set; call "
                f"unregister_{kind.value}_stream_handler({topic!r}) first"
            )
        table[topic] = handler

    def unregister(self, kind: StreamKind, topic: str) -> None:
        table = self._table(kind)
        _text(topic, f"unregister_{kind.value}_stream_handler(topic=...)")
        table.pop(topic, None)

    def handler_for(self, kind: StreamKind, topic: str) -> StreamHandler | None:
        """The handler a stream of this kind and topic is given to, or ``None`` (dropped)."""
        return self._table(kind).get(topic)

    def topics(self, kind: StreamKind) -> tuple[str, ...]:
        """The topics with a handler, in registration order."""
        return tuple(self._table(kind))


def _varint_size(value: int) -> int:
    if value < 0:
        return 10  # protobuf encodes a negative int32/int64 in ten bytes
    size = 1
    while value >= 0x80:
        value >>= 7
        size += 1
    return size


def _len_field(tag_size: int, length: int) -> int:
    return tag_size + _varint_size(length) + length


def _str_field(tag_size: int, text: str) -> int:
    n = len(text) if text.isascii() else len(text.encode("utf-8"))
    return _len_field(tag_size, n) if n else 0


def header_packet_size(
    header: StreamHeader,
    *,
    destination_identities: tuple[str, ...] = (),
    participant_identity: str = "",
) -> int:
    """The encoded size of the ``DataPacket`` carrying ``header``, as the SDKs measure it (§7).

    The timestamp is encoded as roomsim's virtual milliseconds (the SDKs' wall-clock
    milliseconds take a few bytes more).
    """
    if not isinstance(header, StreamHeader):
        raise InvalidType(f"header_packet_size takes a StreamHeader, got {_describe(header)}")
    size = _str_field(1, header.stream_id)
    ms = int(header.timestamp * 1000)
    size += 1 + _varint_size(ms) if ms else 0
    size += _str_field(1, header.topic) + _str_field(1, header.mime_type)
    if header.total_length is not None:
        size += 1 + _varint_size(header.total_length)
    for key, value in header.attributes.items():
        entry = _len_field(1, len(key.encode("utf-8"))) + _len_field(1, len(value.encode("utf-8")))
        size += _len_field(1, entry)
    if header.kind is StreamKind.TEXT:
        inner = 0
        op = list(OperationType).index(header.operation_type)
        inner += 1 + _varint_size(op) if op else 0
        inner += 1 + _varint_size(header.version) if header.version else 0
        inner += _str_field(1, header.reply_to_stream_id)
        for sid in header.attached_stream_ids:
            inner += _len_field(1, len(sid.encode("utf-8")))
        inner += 2 if header.generated else 0
    else:
        inner = _str_field(1, header.name)
    size += _len_field(1, inner)
    packet = _str_field(1, participant_identity)
    for identity in destination_identities:
        packet += _len_field(1, len(identity.encode("utf-8")))
    return packet + _len_field(1, size)


def check_header_size(
    header: StreamHeader,
    *,
    destination_identities: tuple[str, ...] = (),
    participant_identity: str = "",
) -> None:
    """Refuse a header whose packet exceeds 15 000 bytes, as the SDKs refuse it (§7)."""
    size = header_packet_size(
        header,
        destination_identities=destination_identities,
        participant_identity=participant_identity,
    )
    if size > STREAM_CHUNK_SIZE:
        raise LimitExceeded(
            f"the header of stream {header.stream_id!r} (topic {header.topic!r}) encodes to "
            f"{size} bytes, over LiveKit's limit of {STREAM_CHUNK_SIZE} for one packet (the SDK "
            "fails with 'stream header exceeds maximum size'); reduce attribute size"
        )
