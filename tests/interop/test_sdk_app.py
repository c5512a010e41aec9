"""The example app (``examples/sdk_app/agent.py``, only ``livekit.rtc`` and ``livekit.api``)
runs unchanged against ``roomsim.livekit.serve()``: no server, no native library."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("livekit.api")

from livekit import rtc

from roomsim import events as E
from roomsim import mutations as M
from roomsim.livekit import LiveKitServer, serve
from roomsim.streams import StreamChunk
from tests.interop._examples import example_path, import_lines, load_example

APP = example_path("sdk_app")


app = load_example("sdk_app")


def test_the_app_imports_nothing_of_roomsim() -> None:
    assert import_lines(APP) == [
        "from __future__ import annotations",
        "import asyncio",
        "from collections.abc import Coroutine",
        "from typing import Any",
        "from livekit import api, rtc",
    ]


async def user(lk: LiveKitServer, identity: str, name: str = "") -> tuple[rtc.Room, list[str]]:
    room = rtc.Room()
    inbox: list[str] = []
    room.on(
        "data_received",
        lambda pkt: inbox.append(pkt.data.decode()) if pkt.topic == app.GREETING_TOPIC else None,
    )
    token = app.make_token(lk.api_key, lk.api_secret, identity, "class", name=name)
    await room.connect(lk.url, token)
    return room, inbox


def test_the_agent_greets_joiners_and_keeps_the_hand_queue() -> None:
    async def main() -> None:
        async with serve() as lk:
            early, early_inbox = await user(lk, "early")
            await app.raise_hand(early)
            agent = await app.HandRaiseAgent.start(
                lk.url, app.make_token(lk.api_key, lk.api_secret, "agent", "class", agent=True)
            )
            alice, alice_inbox = await user(lk, "alice", name="Alice")
            bob, bob_inbox = await user(lk, "bob")
            await lk.settle()
            # greetings go to the joiner only; who was there before the agent is not greeted
            assert alice_inbox == ["welcome, Alice!"]
            assert bob_inbox == ["welcome, bob!"]
            assert early_inbox == []
            assert agent.greeted == ["alice", "bob"]

            await app.raise_hand(bob)
            await app.raise_hand(alice)
            await lk.settle()
            for room in (alice, bob, early):
                assert app.hands_of(room.remote_participants["agent"]) == ["early", "bob", "alice"]

            await app.lower_hand(bob)
            await early.disconnect()
            await lk.settle()
            assert app.hands_of(alice.remote_participants["agent"]) == ["alice"]
            # the roomsim side saw the same: the agent's attribute in the room, each step logged
            server_room = lk.room("class")
            assert server_room.participants["agent"].attributes["hands"] == "alice"
            changes = [
                e.changed_attributes["hands"]
                for e in server_room.clients["alice"].events
                if isinstance(e, E.ParticipantAttributesChanged) and e.participant == "agent"
            ]
            assert changes == ["early,bob", "early,bob,alice", "early,alice", "alice"]
            await agent.stop()
            await lk.settle()
            assert "agent" not in alice.remote_participants

    asyncio.run(main())


def test_the_agent_answers_next_hand_over_rpc_and_streams_a_transcript() -> None:
    async def main() -> None:
        async with serve() as lk:
            agent = await app.HandRaiseAgent.start(
                lk.url, app.make_token(lk.api_key, lk.api_secret, "agent", "class", agent=True)
            )
            alice, _ = await user(lk, "alice")
            bob, _ = await user(lk, "bob")
            heard: list[tuple[str, str, dict[str, str]]] = []
            app.listen_to_transcripts(alice, heard)
            # a roomsim client next to the SDK rooms hears the same stream
            observer = lk.room("class").connect("observer")
            observed: list[str] = []
            observer.register_text_stream_handler(
                app.TRANSCRIPTION_TOPIC, lambda reader, who: observed.append(who)
            )
            await app.raise_hand(bob)
            await app.raise_hand(alice)
            await lk.settle()

            assert await app.call_next_hand(alice) == "bob"
            await lk.settle()
            assert heard == [
                (
                    "agent",
                    "bob, you have the floor.",
                    {"lk.segment_id": "SG_1", "lk.transcription_final": "true"},
                )
            ]
            assert observed == ["agent"]
            assert app.hands_of(alice.remote_participants["agent"]) == ["alice"]
            # the transcript went out as one mutation per SDK write: header, a chunk per word,
            # trailer
            server_room = lk.room("class")
            writes = [m for m in server_room.log if isinstance(m, M.SendStreamPackets)]
            chunks = [p.content for m in writes for p in m.packets if isinstance(p, StreamChunk)]
            assert chunks == [b"bob, ", b"you ", b"have ", b"the ", b"floor."]
            assert len(writes) == 1 + len(chunks) + 1

            assert await app.call_next_hand(bob) == "alice"
            assert await app.call_next_hand(bob) == ""
            await lk.settle()
            assert [text for _, text, _ in heard[1:]] == [
                "alice, you have the floor.",
                "No hands are raised.",
            ]
            assert server_room.participants["agent"].attributes.get("hands", "") == ""
            await agent.stop()
            await alice.disconnect()
            await bob.disconnect()

    asyncio.run(main())
