"""Stream values: kinds, errors, headers, chunks, trailers, chunking, a stream's packets."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeAlias, final

import attrs

from roomsim._validate import _copy_map
from roomsim._validate import check_str as _text
from roomsim._validate import describe as _describe
from roomsim.errors import InvalidArgument, InvalidType

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
    f: float = _float_if_int(value)
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
    if type(value) is not int:
        return value
    try:
        return float(value)
    except OverflowError:  # an int beyond a float: refused as not finite
        return math.inf


def _freeze_mapping(value: Any) -> Any:
    # one read of the caller's mapping: one whose reads fail is refused here (InvalidArgument)
    if not isinstance(value, Mapping):
        return value
    return MappingProxyType(_copy_map(value, "attributes", "must be a mapping of str to str"))


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
