"""``serve()``: data streams through the SDK alone (issue 17; rpc-and-streams §7, §9).

The SDK's ``send_text`` / ``send_bytes`` / ``send_file`` / ``stream_text`` / ``stream_bytes``
requests become roomsim's stream verbs, and every stream a session's client receives reaches
the handler registered on the SDK Room (``register_text_stream_handler`` /
``register_byte_stream_handler``) as a reader whose ``info`` and chunks are what was sent."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("livekit.api")

from livekit import rtc

from roomsim import mutations as M
from roomsim.livekit import LiveKitServer
from roomsim.streams import TextStreamReader
from tests.interop._serving import join, run


class Inbox:
    """What an SDK Room's stream handler received: (sender, info, content or error)."""

    def __init__(self, room: rtc.Room, topic: str, *, byte: bool = False) -> None:
        self.got: list[tuple[str, Any, Any]] = []
        self.tasks: list[asyncio.Task[None]] = []
        if byte:
            room.register_byte_stream_handler(topic, self._on_stream)
        else:
            room.register_text_stream_handler(topic, self._on_stream)

    def _on_stream(self, reader: Any, sender: str) -> None:
        async def read() -> None:
            chunks = [c async for c in reader]
            self.got.append((sender, reader.info, chunks))

        self.tasks.append(asyncio.ensure_future(self._guard(read(), reader, sender)))

    async def _guard(self, work: Awaitable[None], reader: Any, sender: str) -> None:
        try:
            await work
        except rtc.StreamError as e:
            self.got.append((sender, reader.info, e))


def test_send_text_reaches_the_handler_of_its_topic_with_its_info() -> None:
    async def body(lk: LiveKitServer) -> None:
        agent = await join(lk, "agent")
        user = await join(lk, "user")
        inbox = Inbox(agent, "lk.chat")
        info = await user.local_participant.send_text(
            "héllo", topic="lk.chat", attributes={"k": "v"}
        )
        await lk.settle()
        assert (info.topic, info.size, info.attributes, info.mime_type) == (
            "lk.chat",
            len("héllo".encode()),
            {"k": "v"},
            "text/plain",
        )
        ((sender, got, chunks),) = inbox.got
        assert sender == "user" and "".join(chunks) == "héllo"
        assert (got.stream_id, got.topic, got.size, got.attributes, got.mime_type) == (
            info.stream_id,
            "lk.chat",
            info.size,
            {"k": "v"},
            "text/plain",
        )
        assert got.timestamp == info.timestamp
        assert any(type(m) is M.SendStreamPackets for m in lk.room("r").log)
        # every reader ended and was forgotten
        assert lk.ffi.streams.readers == {}
        await agent.disconnect()
        await user.disconnect()

    run(body)


def test_stream_text_is_read_chunk_by_chunk_with_the_trailers_attributes() -> None:
    async def body(lk: LiveKitServer) -> None:
        agent = await join(lk, "agent")
        user = await join(lk, "user")
        parts: list[str] = []
        done = asyncio.Event()
        seen: dict[str, Any] = {}

        async def read(reader: rtc.TextStreamReader) -> None:
            async for chunk in reader:
                parts.append(chunk)
            seen["info"] = reader.info
            done.set()

        tasks: list[asyncio.Task[None]] = []

        def on_stream(reader: rtc.TextStreamReader, who: str) -> None:
            tasks.append(asyncio.ensure_future(read(reader)))

        user.register_text_stream_handler("lk.transcription", on_stream)
        writer = await agent.local_participant.stream_text(
            topic="lk.transcription", attributes={"lk.segment_id": "s1"}
        )
        await lk.settle()
        for word in ("one ", "two ", "three"):
            await writer.write(word)
            await lk.settle()
        assert parts == ["one ", "two ", "three"] and not done.is_set()
        await writer.aclose(attributes={"lk.transcription_final": "true"})
        await lk.settle()
        assert done.is_set()
        assert seen["info"].attributes == {"lk.segment_id": "s1", "lk.transcription_final": "true"}
        assert seen["info"].stream_id == writer.info.stream_id
        with pytest.raises(RuntimeError, match="closed"):
            await writer.write("more")
        await agent.disconnect()
        await user.disconnect()

    run(body)


def test_long_text_is_chunked_and_reassembled() -> None:
    async def body(lk: LiveKitServer) -> None:
        a = await join(lk, "a")
        b = await join(lk, "b")
        inbox = Inbox(b, "t")
        text = "é" * 20_000  # 40 000 UTF-8 bytes: three chunks of at most 15 000
        await a.local_participant.send_text(text, topic="t")
        await lk.settle()
        ((_, info, chunks),) = inbox.got
        assert "".join(chunks) == text and info.size == 40_000
        assert [len(c.encode()) for c in chunks] == [15_000, 15_000, 10_000]
        await a.disconnect()
        await b.disconnect()

    run(body)


def test_bytes_files_and_byte_streams(tmp_path: Path) -> None:
    async def body(lk: LiveKitServer) -> None:
        a = await join(lk, "a")
        b = await join(lk, "b")
        inbox = Inbox(b, "files", byte=True)
        me = a.local_participant
        sent = await me.send_bytes(b"\x00\x01" * 10_000, topic="files", name="blob.bin")
        path = tmp_path / "notes.txt"
        path.write_text("file body")
        filed = await me.send_file(str(path), topic="files", attributes={"a": "1"})
        writer = await me.stream_bytes(
            "photo.jpg", topic="files", total_size=6, mime_type="image/jpeg"
        )
        await writer.write(b"abc")
        await writer.write(b"def")
        await writer.aclose()
        await lk.settle()
        assert (sent.name, sent.size, sent.mime_type) == (
            "blob.bin",
            20_000,
            "application/octet-stream",
        )
        assert (filed.name, filed.mime_type, filed.size) == ("notes.txt", "text/plain", 9)
        got = {info.name: (who, info, b"".join(chunks)) for who, info, chunks in inbox.got}
        assert got["blob.bin"][2] == b"\x00\x01" * 10_000 and got["blob.bin"][1].size == 20_000
        assert got["notes.txt"][2] == b"file body"
        assert got["notes.txt"][1].attributes == {"a": "1"}
        assert got["notes.txt"][1].mime_type == "text/plain"
        assert got["photo.jpg"][2] == b"abcdef"
        assert (got["photo.jpg"][1].size, got["photo.jpg"][1].mime_type) == (6, "image/jpeg")
        assert {who for who, _, _ in got.values()} == {"a"}
        with pytest.raises(rtc.StreamError, match="cannot read file"):
            await me.send_file(str(tmp_path / "missing.bin"), topic="files")
        await a.disconnect()
        await b.disconnect()

    run(body)


def test_destinations_and_topics_without_a_handler() -> None:
    async def body(lk: LiveKitServer) -> None:
        a = await join(lk, "a")
        b = await join(lk, "b")
        c = await join(lk, "c")
        to_b = Inbox(b, "t")
        to_c = Inbox(c, "t")
        await a.local_participant.send_text("only b", topic="t", destination_identities=["b"])
        await a.local_participant.send_text("nobody listens", topic="other")
        await lk.settle()
        assert [chunks for _, _, chunks in to_b.got] == [["only b"]]
        assert to_c.got == []
        # the stream on "other" was handed to every SDK Room, which dropped it
        assert lk.ffi.streams.readers == {}
        for room in (a, b, c):
            await room.disconnect()

    run(body)


def test_streams_between_an_sdk_room_and_a_roomsim_client() -> None:
    async def body(lk: LiveKitServer) -> None:
        sdk = await join(lk, "sdk")
        bot = lk.room("r").connect("bot")
        inbox = Inbox(sdk, "lk.chat")
        got: list[tuple[str, str]] = []

        def on_text(reader: TextStreamReader, who: str) -> None:
            got.append((who, reader.info.topic))

        bot.register_text_stream_handler("lk.chat", on_text)
        bot.send_text("from roomsim", topic="lk.chat", attributes={"x": "y"})
        with bot.stream_text(topic="lk.chat") as w:
            w.write("streamed ")
            w.write("by roomsim")
        await lk.settle()
        assert [(who, "".join(chunks)) for who, _, chunks in inbox.got] == [
            ("bot", "from roomsim"),
            ("bot", "streamed by roomsim"),
        ]
        assert inbox.got[0][1].attributes == {"x": "y"}
        await sdk.local_participant.send_text("from the sdk", topic="lk.chat")
        await lk.settle()
        assert got == [("sdk", "lk.chat")]
        await sdk.disconnect()

    run(body)


def test_a_sender_leaving_mid_stream_ends_the_sdk_reader_with_an_error() -> None:
    async def body(lk: LiveKitServer) -> None:
        sdk = await join(lk, "sdk")
        bot = lk.room("r").connect("bot")
        inbox = Inbox(sdk, "t")
        w = bot.stream_text(topic="t")
        w.write("partial")
        await lk.settle()
        bot.disconnect()
        await lk.settle()
        ((who, _, error),) = inbox.got
        assert who == "bot"
        assert isinstance(error, rtc.StreamError)
        assert "bot unexpectedly disconnected" in error.description
        await sdk.disconnect()

    run(body)


def test_a_sender_without_can_publish_data_succeeds_and_reaches_nobody() -> None:
    """rpc-and-streams §7: no SDK checks the grant; the server drops the packets."""

    async def body(lk: LiveKitServer) -> None:
        mute = await join(lk, "mute", can_publish_data=False)
        other = await join(lk, "other")
        inbox = Inbox(other, "t")
        info = await mute.local_participant.send_text("x", topic="t")
        writer = await mute.local_participant.stream_text(topic="t")
        await writer.write("y")
        await writer.aclose()
        await mute.local_participant.send_bytes(b"x", topic="t")
        await lk.settle()
        assert info.topic == "t" and inbox.got == []
        await mute.disconnect()
        await other.disconnect()

    run(body)


def test_a_refused_stream_is_an_sdk_stream_error_and_changes_nothing() -> None:
    """rpc-and-streams §7: a header over 15 000 bytes is refused before anything is sent."""

    async def body(lk: LiveKitServer) -> None:
        a = await join(lk, "a")
        b = await join(lk, "b")
        inbox = Inbox(b, "t")
        huge = {"k": "v" * 16_000}
        before = len(lk.room("r").log)
        me = a.local_participant
        with pytest.raises(rtc.StreamError, match="15000"):
            await me.send_text("x", topic="t", attributes=huge)
        with pytest.raises(rtc.StreamError, match="15000"):
            await me.stream_text(topic="t", attributes=huge)
        with pytest.raises(rtc.StreamError, match="15000"):
            await me.send_bytes(b"x", topic="t", attributes=huge)
        with pytest.raises(rtc.StreamError, match="15000"):
            await me.stream_bytes("f", topic="t", attributes=huge)
        await lk.settle()
        assert len(lk.room("r").log) == before and inbox.got == []
        await a.disconnect()
        # a writer whose Room has left answers with an error, never hangs
        writer = await b.local_participant.stream_text(topic="t")
        await b.disconnect()
        with pytest.raises((rtc.StreamError, RuntimeError)):
            await writer.write("late")

    run(body)


def test_two_sdk_rooms_exchange_attributes_data_rpc_and_a_text_stream() -> None:
    """Issue 17's "done when": everything through ``livekit.rtc`` alone (tokens from lk)."""

    async def body(lk: LiveKitServer) -> None:
        agent = await join(lk, "agent", can_update_own_metadata=True)
        user = await join(lk, "user", can_update_own_metadata=True)
        packets: list[tuple[str, bytes]] = []
        agent.on("data_received", lambda p: packets.append((p.topic, p.data)))
        inbox = Inbox(user, "lk.chat")

        async def add(data: rtc.RpcInvocationData) -> str:
            a, b = data.payload.split("+")
            return str(int(a) + int(b))

        agent.local_participant.register_rpc_method("add", add)

        await user.local_participant.set_attributes({"hand": "up"})
        await user.local_participant.publish_data(b"ping", topic="pings")
        answer = await user.local_participant.perform_rpc(
            destination_identity="agent", method="add", payload="2+3"
        )
        writer = await agent.local_participant.stream_text(topic="lk.chat")
        await writer.write("five, ")
        await writer.write("as asked")
        await writer.aclose()
        await lk.settle()

        assert agent.remote_participants["user"].attributes == {"hand": "up"}
        assert packets == [("pings", b"ping")]
        assert answer == "5"
        assert [(who, "".join(chunks)) for who, _, chunks in inbox.got] == [
            ("agent", "five, as asked")
        ]
        await agent.disconnect()
        await user.disconnect()

    run(body)


def test_abnormal_ends_hidden_senders_and_a_receiver_that_leaves() -> None:
    async def body(lk: LiveKitServer) -> None:
        a = await join(lk, "a")
        b = await join(lk, "b")
        ghost = await join(lk, "ghost", hidden=True)
        inbox = Inbox(b, "t")
        # a trailer with a reason ends the reader with the SDK's StreamError
        writer = await a.local_participant.stream_text(topic="t")
        await writer.write("half")
        await writer.aclose(reason="cancelled")
        # a hidden sender arrives as identity ""
        await ghost.local_participant.send_text("boo", topic="t")
        await lk.settle()
        (first, second) = inbox.got
        assert first[0] == "a" and isinstance(first[2], rtc.StreamError)
        assert first[2].description == "stream closed abnormally: cancelled"
        assert second[0] == "" and second[2] == ["boo"]
        # the receiving Room leaves mid-stream: its reader ends with the SDK's error
        open_writer = await a.local_participant.stream_text(topic="t")
        await open_writer.write("never finished")
        await lk.settle()
        await b.disconnect()
        await lk.settle()
        third = inbox.got[2]
        assert isinstance(third[2], rtc.StreamError)
        assert third[2].description == "Disconnected while receiving"
        assert lk.ffi.streams.readers == {}
        await open_writer.aclose()
        await a.disconnect()
        await ghost.disconnect()

    run(body)
