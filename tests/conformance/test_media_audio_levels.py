"""Transcripts: speaker events from pushed audio (``Client.push_audio``).

Spec: audio §2 (the per-packet level libwebrtc computes), audio §3 (LiveKit's ``AudioLevel``:
400 ms windows of audio time, 40 % active, smoothing 2/3, the 0.0178 threshold), audio §4 (the
loudest MICROPHONE track; the 400 ms broadcast, quantized to eighths), audio §5 (a muted track
sends silence), audio §9 (roomsim's model: 20 ms packets from the first push, the first one
counting 0 ms; ``set_audio_levels`` combined by taking the louder).
"""

from __future__ import annotations

import math
from array import array

import pytest

from roomsim import (
    Client,
    IllegalState,
    InvalidArgument,
    InvalidType,
    Room,
    TrackKind,
    TrackSource,
    UnknownTrack,
)
from roomsim import events as ev

AUDIO, MIC, SSA = TrackKind.AUDIO, TrackSource.MICROPHONE, TrackSource.SCREEN_SHARE_AUDIO
RATE = 48000


def sine(seconds: float, amplitude: float = 0.5, rate: int = RATE) -> array[int]:
    n = round(rate * seconds)
    return array(
        "h", (round(amplitude * 32767 * math.sin(2 * math.pi * 440 * k / rate)) for k in range(n))
    )


def _call() -> tuple[Room, Client, Client, str]:
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    mic = alice.publish_track(AUDIO, MIC)
    bob.drain()
    return room, alice, bob, mic


def _speakers(room: Room, bob: Client, steps: int) -> list[tuple[float, tuple[str, ...]]]:
    """bob's active_speakers_changed, with the virtual time each came at, 0.4 s at a time."""
    out = []
    for _ in range(steps):
        room.advance(0.4)
        out += [
            (round(room.now, 3), e.speakers)
            for e in bob.drain()
            if isinstance(e, ev.ActiveSpeakersChanged)
        ]
    return out


def test_a_second_of_tone_speaks_from_the_second_tick_to_the_fifth_after_it() -> None:
    """audio §3, §4, §9: packets from t=0; the first window (packets 1-20) closes at 0.42 s,
    so the 0.4 s tick sees nothing and the 0.8 s tick sends alice (level 9: 2/3·0.355 =
    0.237, quantized 0.25).  The tone ends at 1.0 s: the window closing at 1.22 s is 180 ms
    active (still speaking), the one at 1.62 s silent, so the 2.0 s tick ends it."""
    room, alice, bob, mic = _call()
    alice.push_audio(mic, sine(1.0))
    seen = _speakers(room, bob, 7)
    assert seen[0] == (0.8, ("alice",))
    assert seen[-1] == (2.0, ())
    assert all(who == ("alice",) for _, who in seen[:-1])
    assert room.participants["alice"].is_speaking is False


def test_levels_follow_the_smoothing_and_quantize_to_eighths() -> None:
    """audio §3 table: a sine at 0.5 (level 9, linear 0.355): 0.237, 0.316, 0.342, ...
    quantized ceil(8·x)/8: 0.25, 0.375, 0.375."""
    room, alice, _bob, mic = _call()
    alice.push_audio(mic, sine(3.0))
    levels = []
    for _ in range(5):
        room.advance(0.4)
        levels.append(room.participants["alice"].audio_level)
    assert levels == [0.0, 0.25, 0.375, 0.375, 0.375]


def test_level_32_is_too_quiet_in_its_first_window_and_35_never_speaks() -> None:
    """audio §3: fully active audio is active in its first window only if L <= 31; at 35 the
    smoothed level converges to the threshold from below and never passes it."""
    # a square wave of amplitude a has level int(-20·log10(a/32768) + 0.5)
    for amplitude, first, later in [(823, False, True), (582, False, False)]:  # L 32, 35
        room, alice, _bob, mic = _call()
        alice.push_audio(mic, array("h", [amplitude, -amplitude] * RATE * 2))
        room.advance(0.8)
        assert room.participants["alice"].is_speaking is first
        room.advance(0.8)
        assert room.participants["alice"].is_speaking is later


def test_a_muted_track_sends_silence_and_unmuting_speaks_again() -> None:
    """audio §5: muting zeroes what the track sends; the queue still drains meanwhile."""
    room, alice, bob, mic = _call()
    alice.set_track_muted(mic, True)
    alice.push_audio(mic, sine(1.0))
    assert _speakers(room, bob, 5) == []
    alice.set_track_muted(mic, False)
    alice.push_audio(mic, sine(1.0))
    assert _speakers(room, bob, 2)[-1] == (round(room.now, 3), ("alice",))


def test_muting_mid_speech_ends_it_at_the_next_tick() -> None:
    """audio §5, §9: the existing rule holds for pushed audio too: a muted microphone does not
    speak (roomsim ends it at the next tick; LiveKit within one window plus one tick)."""
    room, alice, _bob, mic = _call()
    alice.push_audio(mic, sine(3.0))
    room.advance(1.2)
    assert room.participants["alice"].is_speaking
    alice.set_track_muted(mic, True)
    room.advance(0.4)
    assert room.participants["alice"].is_speaking is False


def test_screen_share_audio_never_speaks() -> None:
    """audio §4: only MICROPHONE tracks count."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob")
    ssa = alice.publish_track(AUDIO, SSA)
    alice.push_audio(ssa, sine(2.0))
    room.advance(2.0)
    assert room.participants["alice"].is_speaking is False


def test_set_audio_levels_and_pushed_audio_take_the_louder() -> None:
    """audio §9: the level of an identity is the louder of its set_audio_levels level and its
    pushed audio's level; 0 from set_audio_levels leaves the audio to decide."""
    room, alice, _bob, mic = _call()
    room.set_audio_levels({"alice": 0.9})
    alice.push_audio(mic, sine(2.0))
    room.advance(0.8)
    assert room.participants["alice"].audio_level == 1.0  # 0.9 quantized
    room.set_audio_levels({"alice": 0.0})
    room.advance(0.4)
    assert room.participants["alice"].audio_level == 0.375  # the audio's 0.316


def test_unpublishing_forgets_the_audio() -> None:
    """audio §4: a track that is gone has no level."""
    room, alice, _bob, mic = _call()
    alice.push_audio(mic, sine(3.0))
    room.advance(0.8)
    alice.unpublish_track(mic)
    room.advance(0.4)
    assert room.participants["alice"].is_speaking is False


def test_long_silence_costs_nothing_and_a_later_push_speaks() -> None:
    """audio §5, §9: the track plays silence between pushes; a push an hour later speaks."""
    room, alice, _bob, mic = _call()
    alice.push_audio(mic, sine(0.5))
    room.advance(3600.0)
    assert room.participants["alice"].is_speaking is False
    alice.push_audio(mic, sine(1.0))
    room.advance(0.8)
    assert room.participants["alice"].is_speaking


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"samples": b"\x00"}, InvalidArgument),
        ({"samples": "loud"}, InvalidType),
        ({"samples": b"\x00\x00", "num_channels": 2}, InvalidArgument),
        ({"samples": b"", "sample_rate": 22050}, InvalidArgument),
        ({"samples": b"", "sample_rate": 0}, InvalidArgument),
        ({"samples": b"", "num_channels": 0}, InvalidArgument),
        ({"samples": b"", "track_sid": "TR_nope"}, UnknownTrack),
        ({"samples": b"\x00\x00", "sample_rate": 16000}, InvalidArgument),
    ],
)
def test_refused_pushes_change_nothing(kwargs: dict[str, object], error: type[Exception]) -> None:
    """design §4: odd bytes, a str, a rate that is not whole 10 ms frames, an unknown track and
    a format other than the track's first one are refused; the room is as it was."""
    room, alice, _bob, mic = _call()
    alice.push_audio(mic, b"\x00\x00")  # the track's format: 48 kHz mono
    before = room.snapshot()
    args = {"track_sid": mic, "sample_rate": RATE, "num_channels": 1, **kwargs}
    with pytest.raises(error):
        alice.push_audio(**args)  # type: ignore[arg-type]
    assert room.snapshot() == before


def test_video_tracks_take_no_audio() -> None:
    room = Room("r")
    alice = room.connect("alice")
    cam = alice.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
    with pytest.raises(InvalidArgument, match="video track"):
        alice.push_audio(cam, b"\x00\x00")


def test_receive_audio_needs_a_subscription() -> None:
    room, _alice, _bob, mic = _call()
    carol = room.connect("carol", auto_subscribe=False)
    with pytest.raises(IllegalState, match="not subscribed"):
        carol.receive_audio(mic)
