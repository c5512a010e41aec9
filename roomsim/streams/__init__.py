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
'hello'"""

from __future__ import annotations

from collections.abc import Mapping as _Mapping

from roomsim._exports import publish as _publish
from roomsim.streams._handlers import StreamHandler as StreamHandler
from roomsim.streams._handlers import StreamHandlers as StreamHandlers
from roomsim.streams._handlers import check_header_size as check_header_size
from roomsim.streams._handlers import header_packet_size as header_packet_size
from roomsim.streams._readers import ByteStreamReader as ByteStreamReader
from roomsim.streams._readers import IncomingStream as IncomingStream
from roomsim.streams._readers import TextStreamReader as TextStreamReader
from roomsim.streams._values import BYTE_MIME_TYPE as BYTE_MIME_TYPE
from roomsim.streams._values import DEFAULT_BYTE_STREAM_NAME as DEFAULT_BYTE_STREAM_NAME
from roomsim.streams._values import STREAM_CHUNK_SIZE as STREAM_CHUNK_SIZE
from roomsim.streams._values import TEXT_MIME_TYPE as TEXT_MIME_TYPE
from roomsim.streams._values import Buffer as Buffer
from roomsim.streams._values import ByteStreamInfo as ByteStreamInfo
from roomsim.streams._values import OperationType as OperationType
from roomsim.streams._values import StreamChunk as StreamChunk
from roomsim.streams._values import StreamError as StreamError
from roomsim.streams._values import StreamHeader as StreamHeader
from roomsim.streams._values import StreamInfo as StreamInfo
from roomsim.streams._values import StreamKind as StreamKind
from roomsim.streams._values import StreamPacket as StreamPacket
from roomsim.streams._values import StreamTrailer as StreamTrailer
from roomsim.streams._values import TextStreamInfo as TextStreamInfo
from roomsim.streams._values import byte_header as byte_header
from roomsim.streams._values import byte_stream_packets as byte_stream_packets
from roomsim.streams._values import split_bytes as split_bytes
from roomsim.streams._values import split_text as split_text
from roomsim.streams._values import text_header as text_header
from roomsim.streams._values import text_stream_packets as text_stream_packets
from roomsim.streams._writers import ByteStreamWriter as ByteStreamWriter
from roomsim.streams._writers import SendPackets as SendPackets
from roomsim.streams._writers import TextStreamWriter as TextStreamWriter

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

_publish(globals())
#: the published classes' annotations name it: ``typing.get_type_hints`` resolves them here
Mapping = _Mapping
