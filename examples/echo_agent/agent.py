"""An echo agent, written only against ``livekit.rtc`` and ``livekit.api``.

The agent joins a room and subscribes to every participant's microphone.  It

- reports when someone starts and stops speaking, as LiveKit's server decides it (the room's
  ``active_speakers_changed`` events): each report is kept in ``reports`` and sent to the room
  as a data message on the ``speech`` topic;
- listens to each microphone through an ``rtc.AudioStream`` and keeps what it heard
  (``heard[identity]``, int16 PCM bytes), which a speech-to-text step would consume;
- with ``echo=True``, says back what it hears on its own microphone track ``echo``.

Nothing here knows about roomsim: the same code runs against a LiveKit server.  Its tests
(``tests/interop/test_echo_agent.py``) run it against ``roomsim.livekit.serve()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from livekit import api, rtc

SPEECH_TOPIC = "speech"
SAMPLE_RATE = 48000


def make_token(
    api_key: str, api_secret: str, identity: str, room: str, *, agent: bool = False
) -> str:
    """A join token for ``room`` that may publish and subscribe."""
    token = (
        api.AccessToken(api_key, api_secret)
        .with_identity(identity)
        .with_grants(api.VideoGrants(room_join=True, room=room))
    )
    if agent:
        token = token.with_kind("agent")
    return token.to_jwt()


async def publish_microphone(room: rtc.Room, source: rtc.AudioSource, name: str = "mic") -> str:
    """Publish ``source`` as the participant's microphone; returns the track sid."""
    track = rtc.LocalAudioTrack.create_audio_track(name, source)
    options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
    publication = await room.local_participant.publish_track(track, options)
    return publication.sid


async def say(source: rtc.AudioSource, pcm: bytes, frame_ms: int = 10) -> None:
    """Capture mono int16 ``pcm`` into ``source`` in ``frame_ms`` frames."""
    per = source.sample_rate * frame_ms // 1000
    step = per * 2 * source.num_channels
    for start in range(0, len(pcm), step):
        chunk = pcm[start : start + step]
        frame = rtc.AudioFrame(
            chunk, source.sample_rate, source.num_channels, len(chunk) // (2 * source.num_channels)
        )
        await source.capture_frame(frame)


class EchoAgent:
    """Reports who speaks, keeps what it hears, and optionally echoes it."""

    def __init__(self, room: rtc.Room, *, echo: bool = False) -> None:
        self.room = room
        self.echo = echo
        self.reports: list[str] = []
        self.heard: dict[str, bytearray] = {}
        self.speaking: set[str] = set()
        self.echo_source: rtc.AudioSource | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        room.on("track_subscribed", self._on_track_subscribed)
        room.on("active_speakers_changed", self._on_speakers)

    @classmethod
    async def start(cls, url: str, token: str, *, echo: bool = False) -> EchoAgent:
        agent = cls(rtc.Room(), echo=echo)
        await agent.room.connect(url, token)
        if echo:
            agent.echo_source = rtc.AudioSource(SAMPLE_RATE, 1)
            await publish_microphone(agent.room, agent.echo_source, "echo")
        return agent

    async def stop(self) -> None:
        await self.room.disconnect()
        await asyncio.gather(*self._tasks)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- who speaks ------------------------------------------------------------------------------

    def _on_speakers(self, speakers: list[rtc.Participant]) -> None:
        me = self.room.local_participant.identity
        now = {p.identity for p in speakers if p.identity != me}
        changes = [f"{i} started speaking" for i in sorted(now - self.speaking)]
        changes += [f"{i} stopped speaking" for i in sorted(self.speaking - now)]
        self.speaking = now
        for report in changes:
            self.reports.append(report)
            self._spawn(self.room.local_participant.publish_data(report, topic=SPEECH_TOPIC))

    # -- what it hears ---------------------------------------------------------------------------

    def _on_track_subscribed(
        self,
        track: rtc.Track,
        publication: rtc.RemoteTrackPublication,
        participant: rtc.RemoteParticipant,
    ) -> None:
        if publication.source != rtc.TrackSource.SOURCE_MICROPHONE:
            return
        stream = rtc.AudioStream(track, sample_rate=SAMPLE_RATE, num_channels=1)
        self._spawn(self._listen(participant.identity, stream))

    async def _listen(self, identity: str, stream: rtc.AudioStream) -> None:
        heard = self.heard.setdefault(identity, bytearray())
        async for event in stream:
            pcm = bytes(event.frame.data)
            heard.extend(pcm)
            if self.echo_source is not None:
                await self.echo_source.capture_frame(event.frame)
