"""Chunking and reassembly of data streams, for any text and bytes (rpc-and-streams §7-§9).

Any text splits into chunks of at most the chunk size that are each valid UTF-8 and join back to
the text; LiveKit's cut backs off at most three bytes, so every chunk but the last is longer
than the size minus four; bytes split at fixed offsets; and whatever a writer sends, in any
pieces, a receiver reassembles exactly.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from roomsim.streams import (
    STREAM_CHUNK_SIZE,
    ByteStreamReader,
    ByteStreamWriter,
    IncomingStream,
    StreamChunk,
    StreamHeader,
    StreamPacket,
    TextStreamReader,
    TextStreamWriter,
    byte_header,
    split_bytes,
    split_text,
    text_header,
)

SIZES = st.one_of(st.integers(4, 64), st.just(STREAM_CHUNK_SIZE))
# every kind of character: 1- to 4-byte UTF-8, without lone surrogates
TEXTS = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)


@given(text=TEXTS, size=SIZES)
def test_text_chunks_round_trip_and_never_split_a_character(text: str, size: int) -> None:
    chunks = split_text(text, size)
    assert b"".join(chunks).decode("utf-8") == text
    for chunk in chunks:
        assert 0 < len(chunk) <= size
        chunk.decode("utf-8")  # each chunk is valid UTF-8 on its own
    for chunk in chunks[:-1]:
        assert len(chunk) > size - 4


@given(text=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40))
def test_long_texts_split_at_the_sdk_chunk_size(text: str) -> None:
    long = text * (STREAM_CHUNK_SIZE // len(text.encode("utf-8")) + 2)
    chunks = split_text(long)
    assert len(chunks) >= 2
    assert all(len(c) <= STREAM_CHUNK_SIZE for c in chunks)
    assert "".join(c.decode("utf-8") for c in chunks) == long


@given(data=st.binary(max_size=300), size=SIZES)
def test_byte_chunks_round_trip_at_fixed_offsets(data: bytes, size: int) -> None:
    chunks = split_bytes(data, size)
    assert b"".join(chunks) == data
    assert all(len(c) == size for c in chunks[:-1])
    assert all(0 < len(c) <= size for c in chunks)


def _receive_all(header: StreamHeader, sent: list[tuple[StreamPacket, ...]]) -> IncomingStream:
    stream = IncomingStream(header, sender_identity="alice")
    for packets in sent[1:]:
        for packet in packets:
            assert not isinstance(packet, StreamHeader)
            stream.receive(packet)
    return stream


@given(pieces=st.lists(TEXTS, max_size=8))
def test_whatever_a_text_writer_sends_a_reader_reassembles(pieces: list[str]) -> None:
    header = text_header(stream_id="ST_1", topic="t", timestamp=0.0)
    sent: list[tuple[StreamPacket, ...]] = []
    with TextStreamWriter.open(header, sent.append) as writer:
        for piece in pieces:
            writer.write(piece)
    indexes = [p.chunk_index for call in sent for p in call if isinstance(p, StreamChunk)]
    assert indexes == list(range(len(indexes)))
    reader = TextStreamReader(_receive_all(header, sent))
    assert reader.read_all() == "".join(pieces)
    assert reader.done


@given(pieces=st.lists(st.binary(max_size=100), max_size=8), total=st.booleans())
def test_whatever_a_byte_writer_sends_a_reader_reassembles(
    pieces: list[bytes], total: bool
) -> None:
    data = b"".join(pieces)
    header = byte_header(
        stream_id="ST_2", topic="t", timestamp=0.0, total_length=len(data) if total else None
    )
    sent: list[tuple[StreamPacket, ...]] = []
    with ByteStreamWriter.open(header, sent.append) as writer:
        for piece in pieces:
            writer.write(piece)
    stream = _receive_all(header, sent)
    assert stream.error is None
    assert ByteStreamReader(stream).read_all() == data
