"""Stream handlers per topic, and the size of a header packet (rpc-and-streams §9, §10)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from roomsim._validate import check_str as _text
from roomsim._validate import describe as _describe
from roomsim.errors import InvalidArgument, InvalidType, LimitExceeded
from roomsim.streams._values import (
    STREAM_CHUNK_SIZE,
    OperationType,
    StreamHeader,
    StreamKind,
)

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

    __slots__ = ("_byte", "_fallback", "_text")

    def __init__(self) -> None:
        self._text: dict[str, StreamHandler] = {}
        self._byte: dict[str, StreamHandler] = {}
        #: the handler of every stream whose topic has none of its own (``set_fallback``)
        self._fallback: StreamHandler | None = None

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
        return self._table(kind).get(topic, self._fallback)

    def set_fallback(self, handler: StreamHandler | None) -> None:
        """Give every stream whose topic has no handler of its own to ``handler`` (``None``:
        drop them again), as an SDK's native core hands every stream to its language layer."""
        if handler is not None and not callable(handler):
            raise InvalidType(
                "receive_all_streams(handler) takes a callable (reader, participant_identity), "
                f"got {_describe(handler)}"
            )
        self._fallback = handler

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
