"""A small LiveKit app, written only against ``livekit.rtc`` and ``livekit.api``.

An agent joins a room, greets every participant who joins (a data message on the
``greetings`` topic, sent to that participant only), and keeps the queue of raised hands:
participants raise a hand with the attribute ``hand=up`` and lower it by deleting the
attribute; the agent publishes the queue, in raise order, as its own attribute ``hands``
(comma-separated identities).  Anyone may call the agent's RPC method ``next_hand``: the agent
takes the first raised hand off the queue, answers with that identity (``""`` when no hand is
up) and says who has the floor in a transcript streamed word by word on ``lk.transcription``,
as LiveKit agents stream their speech.

Nothing here knows about roomsim: the same code runs against a LiveKit server.  Its tests
(``tests/interop/test_sdk_app.py``) run it against ``roomsim.livekit.serve()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from livekit import api, rtc

GREETING_TOPIC = "greetings"
NEXT_HAND_METHOD = "next_hand"
TRANSCRIPTION_TOPIC = "lk.transcription"


def make_token(
    api_key: str,
    api_secret: str,
    identity: str,
    room: str,
    *,
    name: str = "",
    agent: bool = False,
) -> str:
    """A join token for ``room``; participants may set their own attributes (raise a hand)."""
    token = (
        api.AccessToken(api_key, api_secret)
        .with_identity(identity)
        .with_grants(api.VideoGrants(room_join=True, room=room, can_update_own_metadata=True))
    )
    if name:
        token = token.with_name(name)
    if agent:
        token = token.with_kind("agent")
    return token.to_jwt()


async def raise_hand(room: rtc.Room) -> None:
    await room.local_participant.set_attributes({"hand": "up"})


async def lower_hand(room: rtc.Room) -> None:
    await room.local_participant.set_attributes({"hand": ""})  # "" deletes the attribute


def hands_of(participant: rtc.Participant) -> list[str]:
    """The hand queue an agent publishes, as a list of identities."""
    value = participant.attributes.get("hands", "")
    return value.split(",") if value else []


async def call_next_hand(room: rtc.Room, agent_identity: str = "agent") -> str:
    """Ask the agent (over RPC) who speaks next: an identity, or ``""`` when no hand is up."""
    return await room.local_participant.perform_rpc(
        destination_identity=agent_identity, method=NEXT_HAND_METHOD, payload=""
    )


def listen_to_transcripts(
    room: rtc.Room, transcripts: list[tuple[str, str, dict[str, str]]]
) -> None:
    """Append (speaker, text, stream attributes) to ``transcripts`` for each finished transcript."""
    tasks: set[asyncio.Task[None]] = set()

    async def read(reader: rtc.TextStreamReader, speaker: str) -> None:
        text = await reader.read_all()
        transcripts.append((speaker, text, dict(reader.info.attributes or {})))

    def on_stream(reader: rtc.TextStreamReader, speaker: str) -> None:
        task = asyncio.get_running_loop().create_task(read(reader, speaker))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    room.register_text_stream_handler(TRANSCRIPTION_TOPIC, on_stream)


class HandRaiseAgent:
    """Greets joiners and keeps the raised-hands queue of one room."""

    def __init__(self, room: rtc.Room) -> None:
        self.room = room
        self.greeted: list[str] = []
        self.queue: list[str] = []
        self._tasks: set[asyncio.Task[None]] = set()
        room.on("participant_connected", self._on_connected)
        room.on("participant_attributes_changed", self._on_attributes_changed)
        room.on("participant_disconnected", self._on_disconnected)
        self._segments = 0

    @classmethod
    async def start(cls, url: str, token: str) -> HandRaiseAgent:
        agent = cls(rtc.Room())
        await agent.room.connect(url, token)
        agent.room.local_participant.register_rpc_method(NEXT_HAND_METHOD, agent._next_hand)
        # who was already there is state, not events: pick up their hands
        for participant in agent.room.remote_participants.values():
            if participant.attributes.get("hand") == "up":
                agent.queue.append(participant.identity)
        await agent._publish_queue()
        return agent

    async def stop(self) -> None:
        await asyncio.gather(*self._tasks)
        await self.room.disconnect()

    # -- handlers (livekit.rtc calls them synchronously; the work goes to tasks) ------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_connected(self, participant: rtc.RemoteParticipant) -> None:
        self._spawn(self._greet(participant))

    def _on_attributes_changed(self, changed: dict[str, str], participant: rtc.Participant) -> None:
        if "hand" not in changed or participant.identity == self.room.local_participant.identity:
            return
        identity = participant.identity
        if changed["hand"] == "up" and identity not in self.queue:
            self.queue.append(identity)
        elif changed["hand"] != "up" and identity in self.queue:
            self.queue.remove(identity)
        else:
            return
        self._spawn(self._publish_queue())

    def _on_disconnected(self, participant: rtc.RemoteParticipant) -> None:
        if participant.identity in self.queue:
            self.queue.remove(participant.identity)
            self._spawn(self._publish_queue())

    # -- what the agent does -----------------------------------------------------------------

    async def _greet(self, participant: rtc.RemoteParticipant) -> None:
        await self.room.local_participant.publish_data(
            f"welcome, {participant.name or participant.identity}!",
            topic=GREETING_TOPIC,
            destination_identities=[participant.identity],
        )
        self.greeted.append(participant.identity)

    async def _publish_queue(self) -> None:
        await self.room.local_participant.set_attributes({"hands": ",".join(self.queue)})

    async def _next_hand(self, data: rtc.RpcInvocationData) -> str:
        speaker = self.queue.pop(0) if self.queue else ""
        if speaker:
            await self._publish_queue()
        await self._say(f"{speaker}, you have the floor." if speaker else "No hands are raised.")
        return speaker

    async def _say(self, sentence: str) -> None:
        """Stream ``sentence`` on ``lk.transcription``, one word per write."""
        self._segments += 1
        writer = await self.room.local_participant.stream_text(
            topic=TRANSCRIPTION_TOPIC, attributes={"lk.segment_id": f"SG_{self._segments}"}
        )
        words = sentence.split(" ")
        for i, word in enumerate(words):
            await writer.write(word if i == len(words) - 1 else word + " ")
        await writer.aclose(attributes={"lk.transcription_final": "true"})
