"""roomsim.streams: LiveKit's data streams as values (docs/livekit/rpc-and-streams.md §7-§10)."""

from __future__ import annotations

import doctest
import pickle
from collections.abc import Iterable

import attrs
import pytest

import roomsim.streams
from roomsim.errors import IllegalState, InvalidArgument, InvalidType, LimitExceeded
from roomsim.streams import (
    STREAM_CHUNK_SIZE,
    ByteStreamInfo,
    ByteStreamReader,
    ByteStreamWriter,
    IncomingStream,
    OperationType,
    StreamChunk,
    StreamError,
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
    check_header_size,
    header_packet_size,
    split_bytes,
    split_text,
    text_header,
    text_stream_packets,
)


def _header(**kw: object) -> StreamHeader:
    fields: dict[str, object] = {"stream_id": "ST_1", "topic": "lk.chat", "timestamp": 2.0}
    fields.update(kw)
    return text_header(**fields)  # type: ignore[arg-type]


def _feed(stream: IncomingStream, packets: Iterable[StreamPacket]) -> None:
    for packet in packets:
        if not isinstance(packet, StreamHeader):
            stream.receive(packet)


def _incoming(packets: tuple[StreamPacket, ...], **kw: object) -> IncomingStream:
    header = packets[0]
    assert isinstance(header, StreamHeader)
    stream = IncomingStream(header, sender_identity="alice", **kw)  # type: ignore[arg-type]
    _feed(stream, packets[1:])
    return stream


def test_all_names_what_the_module_defines() -> None:
    module = roomsim.streams
    defined = {
        n
        for n, obj in vars(module).items()
        if not n.startswith("_") and getattr(obj, "__module__", None) == module.__name__
    }
    assert defined <= set(module.__all__)
    assert all(hasattr(module, n) for n in module.__all__)
    assert len(module.__all__) == len(set(module.__all__))


def test_the_module_examples_hold() -> None:
    result = doctest.testmod(roomsim.streams)
    assert result.attempted > 0
    assert result.failed == 0


# --- chunking (§8) ----------------------------------------------------------------------------


def test_split_text_matches_the_rust_sdks_own_examples() -> None:
    # livekit-data-stream/src/utf8_chunk.rs tests
    assert split_text("Hello, World!", 4) == (b"Hell", b"o, W", b"orld", b"!")
    assert split_text("", 5) == ()
    assert split_text("X", 5) == (b"X",)
    assert split_text("Hello 👋", 4) == (b"Hell", b"o ", "👋".encode())


def test_split_text_cuts_40000_bytes_at_15000() -> None:
    # outgoing/manager.rs test pre_v2_long_text_splits_at_mtu
    assert STREAM_CHUNK_SIZE == 15_000
    assert [len(c) for c in split_text("A" * 40_000)] == [15_000, 15_000, 10_000]


def test_split_text_backs_off_over_a_multibyte_character() -> None:
    chunks = split_text("a" * 14_999 + "€")  # the euro sign's 3 bytes straddle the boundary
    assert [len(c) for c in chunks] == [14_999, 3]


def test_split_bytes_cuts_at_fixed_offsets() -> None:
    assert split_bytes(bytes(range(10)), 4) == (b"\x00\x01\x02\x03", b"\x04\x05\x06\x07", b"\x08\t")
    assert split_bytes(b"") == ()
    assert split_bytes(bytearray(b"ab"), 4) == (b"ab",)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: split_text(b"x"), InvalidType, "must be a str"),  # type: ignore[arg-type]
        (lambda: split_text("x", 3), InvalidArgument, "at least 4"),
        (lambda: split_text("x", 4.0), InvalidType, "chunk_size must be an int"),  # type: ignore[arg-type]
        (lambda: split_bytes("x"), InvalidType, "send text with send_text"),  # type: ignore[arg-type]
        (lambda: split_text("\udc00"), InvalidArgument, "lone surrogate"),
    ],
)
def test_chunking_refuses_wrong_input(call: object, error: type[Exception], match: str) -> None:
    assert callable(call)
    with pytest.raises(error, match=match):
        call()


# --- values (§1, §9) --------------------------------------------------------------------------


def test_a_text_header_gives_the_python_sdks_info() -> None:
    header = _header(total_length=5, attributes={"k": "v"}, attached_stream_ids=["A"])
    assert header.kind is StreamKind.TEXT and header.mime_type == "text/plain"
    assert header.info() == TextStreamInfo(
        stream_id="ST_1",
        topic="lk.chat",
        timestamp=2.0,
        size=5,
        attributes={"k": "v"},
        attachments=("A",),
    )


def test_a_byte_header_defaults_to_unknown_and_octet_stream() -> None:
    header = byte_header(stream_id="ST_2", topic="files", timestamp=0)
    info = header.info()
    assert isinstance(info, ByteStreamInfo)
    assert (info.name, info.mime_type, info.size, info.timestamp) == (
        "unknown",
        "application/octet-stream",
        None,
        0.0,
    )


def test_values_are_frozen_and_their_attributes_read_only() -> None:
    info = _header(attributes={"k": "v"}).info()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        info.topic = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        info.attributes["k"] = "w"  # type: ignore[index]
    chunk = StreamChunk(stream_id="s", chunk_index=0, content=bytearray(b"x"))
    assert type(chunk.content) is bytes
    trailer = StreamTrailer(stream_id="s", attributes={"a": "b"})
    assert pickle.loads(pickle.dumps(dict(trailer.attributes))) == {"a": "b"}


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: _header(topic=None), InvalidType, r"StreamHeader.topic must be a str"),
        (lambda: _header(timestamp="1"), InvalidType, r"StreamHeader.timestamp takes virtual"),
        (lambda: _header(timestamp=-1.0), InvalidArgument, r"StreamHeader.timestamp must be"),
        (lambda: _header(total_length=-1), InvalidArgument, r"StreamHeader.total_length"),
        (lambda: _header(total_length=1.0), InvalidType, r"StreamHeader.total_length"),
        (lambda: _header(attributes={"k": 1}), InvalidType, r"StreamHeader.attributes\['k'\]"),
        (lambda: _header(attributes=[("k", "v")]), InvalidType, r"StreamHeader.attributes must"),
        (lambda: _header(attached_stream_ids="AB"), InvalidType, "must be a tuple of str"),
        (lambda: _header(version=2**31), InvalidArgument, "int32"),
        (lambda: _header(generated=1), InvalidType, r"StreamHeader.generated must be a bool"),
        (lambda: _header(operation_type=1), InvalidType, r"must be a OperationType"),
        (
            lambda: StreamHeader(
                stream_id="s",
                kind="text",  # type: ignore[arg-type]
                topic="",
                timestamp=0,
                mime_type="text/plain",
            ),
            InvalidType,
            "must be a StreamKind",
        ),
        (
            lambda: StreamChunk(stream_id="s", chunk_index=-1, content=b""),
            InvalidArgument,
            r"StreamChunk.chunk_index",
        ),
        (
            lambda: StreamChunk(stream_id="s", chunk_index=0, content="text"),
            InvalidType,
            r"StreamChunk.content must be bytes",
        ),
        (
            lambda: TextStreamInfo(stream_id="s", topic="t", timestamp=0, size=True),
            InvalidType,
            r"TextStreamInfo.size",
        ),
    ],
)
def test_wrong_values_are_refused_naming_the_field(
    build: object, error: type[Exception], match: str
) -> None:
    assert callable(build)
    with pytest.raises(error, match=match):
        build()


def test_text_only_fields_are_refused_on_a_byte_header_and_name_on_a_text_header() -> None:
    with pytest.raises(InvalidArgument, match="sets text-only fields"):
        StreamHeader(
            stream_id="s",
            kind=StreamKind.BYTE,
            topic="",
            timestamp=0,
            mime_type="x",
            operation_type=OperationType.UPDATE,
        )
    with pytest.raises(InvalidArgument, match="only byte streams have a name"):
        StreamHeader(
            stream_id="s", kind=StreamKind.TEXT, topic="", timestamp=0, mime_type="x", name="n"
        )


# --- one-shot sends (§7) ----------------------------------------------------------------------


def test_send_text_is_header_chunks_from_zero_and_a_normal_trailer() -> None:
    text = "é" * 10_000  # 20 000 bytes: two chunks
    header = _header(total_length=20_000)
    packets = text_stream_packets(text, header)
    assert packets[0] is header
    chunks = packets[1:-1]
    assert [c.chunk_index for c in chunks if isinstance(c, StreamChunk)] == [0, 1]
    assert packets[-1] == StreamTrailer(stream_id="ST_1")


def test_an_empty_text_is_a_header_and_a_trailer() -> None:
    packets = text_stream_packets("", _header(total_length=0))
    assert [type(p) for p in packets] == [StreamHeader, StreamTrailer]


def test_a_declared_length_must_match_the_content() -> None:
    with pytest.raises(InvalidArgument, match="declares total_length=3 but carries 2 bytes"):
        text_stream_packets("é", _header(total_length=3))
    with pytest.raises(InvalidArgument, match="has a byte header"):
        text_stream_packets("x", byte_header(stream_id="b", topic="", timestamp=0))
    with pytest.raises(InvalidArgument, match="has a text header"):
        byte_stream_packets(b"x", _header())


def test_send_bytes_round_trips_through_a_reader() -> None:
    data = bytes(range(256)) * 200  # 51 200 bytes: four chunks
    packets = byte_stream_packets(data, byte_header(stream_id="B", topic="f", timestamp=0))
    assert len(packets) == 6
    reader = ByteStreamReader(_incoming(packets))
    assert reader.read_all() == data
    assert reader.done


# --- writers (§7) -----------------------------------------------------------------------------


class _Sink:
    def __init__(self) -> None:
        self.calls: list[tuple[StreamPacket, ...]] = []
        self.fail = False

    def __call__(self, packets: tuple[StreamPacket, ...]) -> None:
        if self.fail:
            raise ConnectionError("refused")
        self.calls.append(packets)


def test_a_writer_sends_the_header_then_each_write_in_one_call_then_the_trailer() -> None:
    sink = _Sink()
    header = _header()
    writer = TextStreamWriter.open(header, sink)
    writer.write("a" * 15_001)
    writer.write("")
    writer.write("b")
    writer.close(reason="", attributes={"final": "1"})
    assert sink.calls[0] == (header,)
    assert [len(call) for call in sink.calls] == [1, 2, 1, 1]
    sent = [p for call in sink.calls[1:3] for p in call]
    indexes = [p.chunk_index for p in sent if isinstance(p, StreamChunk)]
    assert indexes == [0, 1, 2]
    assert sink.calls[-1] == (StreamTrailer(stream_id="ST_1", attributes={"final": "1"}),)
    assert writer.closed and writer.chunks_sent == 3


def test_writing_or_closing_after_close_raises_the_sdks_messages() -> None:
    writer = TextStreamWriter.open(_header(), _Sink())
    writer.close()
    with pytest.raises(IllegalState, match="Cannot write after stream is closed"):
        writer.write("x")
    with pytest.raises(IllegalState, match="Stream already closed"):
        writer.close()


def test_a_refused_send_leaves_the_writer_unchanged() -> None:
    sink = _Sink()
    writer = TextStreamWriter.open(_header(), sink)
    sink.fail = True
    with pytest.raises(ConnectionError):
        writer.write("lost")
    with pytest.raises(ConnectionError):
        writer.close()
    sink.fail = False
    writer.write("kept")
    writer.close()
    chunk = sink.calls[1][0]
    assert isinstance(chunk, StreamChunk) and chunk.chunk_index == 0
    assert writer.closed


def test_the_context_manager_closes_normally_or_with_the_exceptions_reason() -> None:
    sink = _Sink()
    with TextStreamWriter.open(_header(), sink) as writer:
        writer.write("par")
        writer.write("tial")
    assert sink.calls[-1] == (StreamTrailer(stream_id="ST_1"),)
    sink = _Sink()

    def interrupted() -> None:
        with TextStreamWriter.open(_header(), sink) as writer:
            writer.write("half")
            raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError):
        interrupted()
    assert sink.calls[-1] == (
        StreamTrailer(stream_id="ST_1", reason="RuntimeError: model crashed"),
    )


def test_a_writer_closed_inside_the_block_is_not_closed_again() -> None:
    sink = _Sink()
    with TextStreamWriter.open(_header(), sink) as writer:
        writer.close(reason="cancelled")
    assert len(sink.calls) == 2


def test_writer_info_keeps_total_size_locally() -> None:
    writer = TextStreamWriter(_header(), _Sink(), total_size=42)
    assert writer.info.size == 42
    assert writer.header.total_length is None
    byte_writer = ByteStreamWriter(byte_header(stream_id="b", topic="", timestamp=0), _Sink())
    assert byte_writer.info.name == "unknown"


def test_writers_refuse_wrong_types() -> None:
    writer = TextStreamWriter(_header(), _Sink())
    with pytest.raises(InvalidType, match=r"TextStreamWriter.write\(text\) must be a str"):
        writer.write(b"x")  # type: ignore[arg-type]
    byte_writer = ByteStreamWriter(byte_header(stream_id="b", topic="", timestamp=0), _Sink())
    with pytest.raises(InvalidType, match="must be bytes"):
        byte_writer.write("x")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="needs a text header"):
        TextStreamWriter(byte_header(stream_id="b", topic="", timestamp=0), _Sink())
    with pytest.raises(InvalidType, match="send must be callable"):
        TextStreamWriter(_header(), None)  # type: ignore[arg-type]
    with pytest.raises(InvalidType, match="takes a StreamHeader"):
        TextStreamWriter("h", _Sink())  # type: ignore[arg-type]


# --- receiving (§9) ---------------------------------------------------------------------------


def _stream_of(*texts: str, reason: str = "", total: int | None = None) -> IncomingStream:
    header = _header(total_length=total)
    stream = IncomingStream(header, sender_identity="alice")
    for i, text in enumerate(texts):
        stream.receive(StreamChunk(stream_id="ST_1", chunk_index=i, content=text.encode()))
    stream.receive(StreamTrailer(stream_id="ST_1", reason=reason, attributes={"end": "1"}))
    return stream


def test_a_reader_yields_each_chunk_and_read_all_joins_the_rest() -> None:
    reader = TextStreamReader(_stream_of("hel", "", "lo"))
    assert list(reader) == ["hel", "lo"]  # empty chunks are skipped, as in the SDK
    assert reader.read_all() == ""  # reading consumes
    reader = TextStreamReader(_stream_of("hel", "lo"))
    assert next(iter(reader)) == "hel"
    assert reader.read_all() == "lo"
    assert reader.participant_identity == "alice"


def test_trailer_attributes_reach_info_once_the_reader_reaches_the_end() -> None:
    reader = TextStreamReader(_stream_of("x"))
    assert dict(reader.info.attributes) == {}
    reader.read_all()
    assert dict(reader.info.attributes) == {"end": "1"}


def test_an_open_stream_can_be_iterated_but_not_read_all() -> None:
    stream = IncomingStream(_header(), sender_identity="alice")
    reader = TextStreamReader(stream)
    assert list(reader) == []
    stream.receive(StreamChunk(stream_id="ST_1", chunk_index=0, content=b"par"))
    assert list(reader) == ["par"]
    with pytest.raises(IllegalState, match="still open"):
        reader.read_all()
    stream.receive(StreamChunk(stream_id="ST_1", chunk_index=1, content=b"tial"))
    stream.receive(StreamTrailer(stream_id="ST_1"))
    assert not reader.done
    assert reader.read_all() == "tial"
    assert reader.done


@pytest.mark.parametrize(
    ("stream", "description"),
    [
        (lambda: _stream_of("ab", reason="interrupted"), "stream closed abnormally: interrupted"),
        (lambda: _stream_of("ab", total=3), "stream data is incomplete"),
        (
            lambda: _stream_of("abcd", total=3),
            "read length exceeded total length specified in stream header",
        ),
    ],
)
def test_a_stream_that_ends_badly_raises_after_its_chunks(stream: object, description: str) -> None:
    assert callable(stream)
    incoming = stream()
    reader = TextStreamReader(incoming)
    chunks: list[str] = []
    with pytest.raises(StreamError) as info:
        chunks.extend(reader)
    assert info.value == StreamError(description)
    assert isinstance(info.value, ConnectionError)
    assert incoming.ended and incoming.error == StreamError(description)
    with pytest.raises(StreamError):
        reader.read_all()


def test_a_missing_chunk_ends_the_stream() -> None:
    stream = IncomingStream(_header(), sender_identity="a")
    stream.receive(StreamChunk(stream_id="ST_1", chunk_index=1, content=b"x"))
    assert stream.error == StreamError(
        "expected chunk index to be exactly one more than the previous"
    )
    stream.receive(StreamChunk(stream_id="ST_1", chunk_index=0, content=b"x"))
    assert stream.chunks == ()  # packets after the end are ignored


def test_a_stream_over_the_receivers_maximum_is_refused() -> None:
    big = IncomingStream(_header(total_length=11), sender_identity="a", max_payload_bytes=10)
    assert big.error == StreamError("stream payload exceeds maximum size")
    open_ended = IncomingStream(_header(), sender_identity="a", max_payload_bytes=10)
    open_ended.receive(StreamChunk(stream_id="ST_1", chunk_index=0, content=b"x" * 11))
    assert open_ended.error == StreamError("stream payload exceeds maximum size")


def test_abort_ends_an_open_stream_once() -> None:
    stream = IncomingStream(_header(), sender_identity="bob")
    stream.receive(StreamChunk(stream_id="ST_1", chunk_index=0, content=b"half"))
    reason = "Participant bob unexpectedly disconnected in the middle of sending data"
    stream.abort(f"stream closed abnormally: {reason}")
    stream.abort("Disconnected while receiving")
    reader = TextStreamReader(stream)
    assert next(iter(reader)) == "half"
    with pytest.raises(StreamError, match="unexpectedly disconnected"):
        reader.read_all()


def test_a_chunk_that_is_not_utf8_fails_the_text_reader() -> None:
    stream = IncomingStream(_header(), sender_identity="a")
    stream.receive(StreamChunk(stream_id="ST_1", chunk_index=0, content=b"\xff"))
    stream.receive(StreamTrailer(stream_id="ST_1"))
    with pytest.raises(StreamError, match="UTF-8 decoding error"):
        TextStreamReader(stream).read_all()


def test_receiving_refuses_foreign_packets_and_readers_the_wrong_kind() -> None:
    stream = IncomingStream(_header(), sender_identity="a")
    with pytest.raises(InvalidArgument, match="route packets by stream_id"):
        stream.receive(StreamTrailer(stream_id="other"))
    with pytest.raises(InvalidType, match="StreamChunk or StreamTrailer"):
        stream.receive(_header())  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="reads byte streams"):
        ByteStreamReader(stream)
    with pytest.raises(InvalidType, match="takes an IncomingStream"):
        TextStreamReader("stream")  # type: ignore[arg-type]


# --- handlers (§9, §10) -----------------------------------------------------------------------


def _on_text(reader: object, identity: str) -> None:
    return None


def test_one_handler_per_topic_and_kind_with_the_sdks_message() -> None:
    handlers = StreamHandlers()
    handlers.register(StreamKind.TEXT, "lk.chat", _on_text)
    handlers.register(StreamKind.BYTE, "lk.chat", _on_text)  # bytes are a separate table
    with pytest.raises(InvalidArgument, match=r"text stream handler for topic 'lk\.chat' already"):
        handlers.register(StreamKind.TEXT, "lk.chat", _on_text)
    with pytest.raises(ValueError, match=r"byte stream handler for topic 'lk\.chat' already"):
        handlers.register(StreamKind.BYTE, "lk.chat", _on_text)
    assert handlers.handler_for(StreamKind.TEXT, "lk.chat") is _on_text
    assert handlers.handler_for(StreamKind.TEXT, "other") is None
    handlers.unregister(StreamKind.TEXT, "lk.chat")
    handlers.unregister(StreamKind.TEXT, "never")
    assert handlers.topics(StreamKind.TEXT) == ()
    assert handlers.topics(StreamKind.BYTE) == ("lk.chat",)
    with pytest.raises(InvalidType, match="takes a callable"):
        handlers.register(StreamKind.TEXT, "t", 3)  # type: ignore[arg-type]
    with pytest.raises(InvalidType, match="kind must be a StreamKind"):
        handlers.register("text", "t", _on_text)  # type: ignore[arg-type]


# --- header size (§7) -------------------------------------------------------------------------


def _protobuf_size(header: StreamHeader, dest: tuple[str, ...], sender: str) -> int:
    models = pytest.importorskip("livekit.protocol.models")
    kw: dict[str, object] = {}
    if header.kind is StreamKind.TEXT:
        kw["text_header"] = models.DataStream.TextHeader(
            operation_type=list(OperationType).index(header.operation_type),
            version=header.version,
            reply_to_stream_id=header.reply_to_stream_id,
            attached_stream_ids=list(header.attached_stream_ids),
            generated=header.generated,
        )
    else:
        kw["byte_header"] = models.DataStream.ByteHeader(name=header.name)
    proto = models.DataStream.Header(
        stream_id=header.stream_id,
        timestamp=int(header.timestamp * 1000),
        topic=header.topic,
        mime_type=header.mime_type,
        attributes=dict(header.attributes),
        **kw,
    )
    if header.total_length is not None:
        proto.total_length = header.total_length
    packet = models.DataPacket(
        participant_identity=sender, destination_identities=list(dest), stream_header=proto
    )
    size: int = packet.ByteSize()
    return size


@pytest.mark.parametrize(
    ("header", "dest", "sender"),
    [
        (_header(), (), ""),
        (byte_header(stream_id="B", topic="", timestamp=0, name=""), (), ""),
        (
            _header(
                total_length=0,
                attributes={"é": "", "k": "v" * 300},
                reply_to_stream_id="r",
                attached_stream_ids=("a", "bb"),
                version=-1,
                generated=True,
                operation_type=OperationType.REACTION,
                timestamp=1e6,
            ),
            ("bob", "carol"),
            "alice",
        ),
    ],
)
def test_the_header_size_is_the_protobuf_encoding(
    header: StreamHeader, dest: tuple[str, ...], sender: str
) -> None:
    size = header_packet_size(header, destination_identities=dest, participant_identity=sender)
    assert size == _protobuf_size(header, dest, sender)


def test_a_header_over_15000_bytes_is_refused() -> None:
    fits = _header(attributes={"k": "v" * 14_900})
    check_header_size(fits)
    too_big = _header(attributes={"k": "v" * 15_000})
    with pytest.raises(LimitExceeded, match="over LiveKit's limit of 15000"):
        check_header_size(too_big)
