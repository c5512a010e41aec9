"""The echo agent (``examples/echo_agent/agent.py``, only ``livekit.rtc`` and ``livekit.api``)
hears a WAV through ``roomsim.livekit.serve()``: speaker events follow from the audio as
LiveKit's server computes them (audio §3, §4), and its ``AudioStream`` gets the samples."""

from __future__ import annotations

import math
import wave
from array import array
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("livekit.api")

from livekit import rtc

from roomsim.livekit import LiveKitServer, NotSimulated, serve
from tests.interop._examples import example_path, import_lines, load_example

APP = example_path("echo_agent")
RATE = 48000


app = load_example("echo_agent")


def write_wav(path: Path, tone_s: float, silence_s: float, amplitude: float = 0.5) -> None:
    """A mono 48 kHz WAV: a 440 Hz sine burst, then silence."""
    n = int(RATE * tone_s)
    tone = array(
        "h", (round(amplitude * 32767 * math.sin(2 * math.pi * 440 * k / RATE)) for k in range(n))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(tone.tobytes() + bytes(2 * int(RATE * silence_s)))


def read_wav(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        return w.readframes(w.getnframes())


async def join(lk: LiveKitServer, identity: str) -> rtc.Room:
    room = rtc.Room()
    await room.connect(lk.url, app.make_token(lk.api_key, lk.api_secret, identity, "call"))
    return room


def test_the_agent_imports_nothing_of_roomsim() -> None:
    assert import_lines(APP) == [
        "from __future__ import annotations",
        "import asyncio",
        "from collections.abc import Coroutine",
        "from typing import Any",
        "from livekit import api, rtc",
    ]


async def _run_call(
    lk: LiveKitServer, pcm: bytes
) -> tuple[Any, list[tuple[float, list[str]]], list[str]]:
    agent = await app.EchoAgent.start(
        lk.url, app.make_token(lk.api_key, lk.api_secret, "agent", "call", agent=True)
    )
    alice = await join(lk, "alice")
    bob = await join(lk, "bob")
    seen: list[tuple[float, list[str]]] = []
    bob.on(
        "active_speakers_changed",
        lambda speakers: seen.append((lk.clock.now, [p.identity for p in speakers])),
    )
    reports: list[str] = []
    bob.on(
        "data_received",
        lambda pkt: reports.append(pkt.data.decode()) if pkt.topic == app.SPEECH_TOPIC else None,
    )
    source = rtc.AudioSource(RATE, 1)
    await app.publish_microphone(alice, source)
    await lk.settle()
    # the whole WAV is captured at once: capture_frame returns without waiting (audio §8)
    await app.say(source, pcm)
    assert lk.clock.now == 0.0
    for _ in range(20):
        lk.advance(0.2)
        await lk.settle()
    await agent.stop()
    for room in (alice, bob):
        await room.disconnect()
    return agent, seen, reports


def test_a_sine_burst_makes_alice_speak_and_silence_ends_it(tmp_path: Path) -> None:
    wav = tmp_path / "hello.wav"
    write_wav(wav, tone_s=1.0, silence_s=1.0)
    pcm = read_wav(wav)

    async def main() -> None:
        async with serve() as lk:
            agent, seen, reports = await _run_call(lk, pcm)
            # bob hears alice speak, from LiveKit's computation: the first 400 ms window of
            # audio closes 420 ms in (the first packet counts 0 ms), the tick at 0.8 s sends it
            started = [t for t, who in seen if "alice" in who]
            assert started and started[0] == pytest.approx(0.8)
            # level 9 (sine at 0.5): 0.237 -> 0.316 -> 0.342, quantized 0.25 -> 0.375
            stopped = [t for t, who in seen if t > started[0] and "alice" not in who]
            # the tone ends at 1.0 s; the window closing at 1.22 s is only 180 ms active
            # (>= 160 ms), the one closing at 1.62 s has none: the tick at 2.0 s ends it
            assert stopped and stopped[0] == pytest.approx(2.0)
            assert seen[-1][1] == []
            assert agent.reports == ["alice started speaking", "alice stopped speaking"]
            assert reports == agent.reports
            # the agent's AudioStream got the WAV's samples, exactly, from the first one
            heard = bytes(agent.heard["alice"])
            assert heard[: len(pcm)] == pcm
            # then silence while alice's source has nothing queued (at most 1 s of it)
            assert set(heard[len(pcm) :]) <= {0}
            assert len(heard) - len(pcm) <= 2 * RATE

    import asyncio

    asyncio.run(main())


def test_a_muted_microphone_is_silent() -> None:
    async def main() -> None:
        async with serve() as lk:
            alice = await join(lk, "alice")
            bob = await join(lk, "bob")
            speakers: list[list[str]] = [[]]
            bob.on(
                "active_speakers_changed",
                lambda ps: speakers.append([p.identity for p in ps]),
            )
            source = rtc.AudioSource(RATE, 1)
            track = rtc.LocalAudioTrack.create_audio_track("mic", source)
            options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
            await alice.local_participant.publish_track(track, options)
            await lk.settle()
            track.mute()
            tone = array("h", [16000, -16000] * (RATE // 2))
            await app.say(source, tone.tobytes())
            for _ in range(5):
                lk.advance(0.4)
                await lk.settle()
            # the muted track sends zeros: nobody speaks (audio §5)
            assert speakers == [[]]
            track.unmute()
            await app.say(source, tone.tobytes())
            for _ in range(3):
                lk.advance(0.4)
                await lk.settle()
            assert speakers[-1] == ["alice"]

    import asyncio

    asyncio.run(main())


def test_streams_convert_channels_and_refuse_other_rates() -> None:
    async def main() -> None:
        async with serve() as lk:
            alice = await join(lk, "alice")
            bob = await join(lk, "bob")
            stereo = rtc.AudioSource(RATE, 2)
            await app.publish_microphone(alice, stereo)
            await lk.settle()
            track = next(iter(bob.remote_participants["alice"].track_publications.values())).track
            assert track is not None
            with pytest.raises(NotSimulated, match="does not resample"):
                rtc.AudioStream(track, sample_rate=16000, num_channels=1)
            mono = rtc.AudioStream(track, sample_rate=RATE, num_channels=1, frame_size_ms=20)
            pairs = array("h", [100, 300, -5, -8] * 480)  # 20 ms of stereo
            frame = rtc.AudioFrame(pairs.tobytes(), RATE, 2, len(pairs) // 2)
            await stereo.capture_frame(frame)
            with pytest.raises(Exception, match="don't match"):
                await stereo.capture_frame(rtc.AudioFrame(pairs.tobytes(), RATE, 1, len(pairs)))
            lk.advance(0.02)
            await lk.settle()
            event = await mono.__anext__()
            assert event.frame.samples_per_channel == 960
            # stereo -> mono: the floor average of each pair, as libwebrtc downmixes (audio §7)
            assert list(event.frame.data[:4]) == [200, -7, 200, -7]
            await mono.aclose()

    import asyncio

    asyncio.run(main())
